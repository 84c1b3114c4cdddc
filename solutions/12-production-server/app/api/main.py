"""Lab 12 · the API router: every route module of ``app/api/routes/``, in one router.

``app/main.py`` includes this router once. A new group of routes is one module in
``routes/`` and one line here.
"""

from fastapi import APIRouter

from app.api.routes import (
    auth,
    cache,
    flowers,
    greetings,
    health,
    jobs,
    live,
    metrics,
    models,
    observations,
    predict_v1,
    predict_v2,
    prediction_log,
    simulate,
    streams,
    uploads,
    worker,
)

api_router = APIRouter()
# /health, /ready and /metrics stay public: the machines that call them (orchestrators,
# Prometheus) hold no user account.
api_router.include_router(health.router)
api_router.include_router(metrics.router)
api_router.include_router(greetings.router)
api_router.include_router(flowers.router)
api_router.include_router(observations.router)
api_router.include_router(predict_v1.router)  # /v1/predict, /v1/predict/batch
api_router.include_router(predict_v2.router)  # /v2/predict
api_router.include_router(models.router)
api_router.include_router(auth.router)  # POST /token and GET /users/me
api_router.include_router(prediction_log.router)
api_router.include_router(jobs.router)
api_router.include_router(uploads.router)
api_router.include_router(cache.router)
api_router.include_router(simulate.router)
api_router.include_router(streams.router)
api_router.include_router(live.router)
api_router.include_router(worker.router)  # Lab 12: GET /worker
