"""Lab 12 · the model: its metadata, one version's, and a reload without a restart (admins)."""

import logging
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, status

from app.api_docs import MODEL_UNAVAILABLE, RETRY_AFTER, error, not_found
from app.deps import AdminUser, ModelDep, SettingsDep
from app.errors import RETRY_AFTER_SECONDS, UnknownModelVersionError
from app.model import load_model
from app.schemas import ModelInfo
from app.security import ADMIN_ERRORS

logger = logging.getLogger(__name__)

router = APIRouter(tags=["model"])


@router.get(
    "/model",
    summary="Describe the loaded model",
    responses=MODEL_UNAVAILABLE,
)
def model_info(model: ModelDep) -> ModelInfo:
    """The loaded model's metadata: version, classes, features and metrics."""
    return ModelInfo(**model.metadata)


@router.get(
    "/models/{version}",
    summary="Describe one model version",
    responses={**not_found("model version"), **MODEL_UNAVAILABLE},
)
def model_by_version(version: str, model: ModelDep) -> ModelInfo:
    """The metadata of one model version: this server has only the one it loaded."""
    if version != model.version:
        raise UnknownModelVersionError(version, model.version)
    return ModelInfo(**model.metadata)


@router.post(
    "/model/reload",
    summary="Reload the model file (admins)",
    responses={
        **ADMIN_ERRORS,
        503: error("The file could not be loaded: the previous model still serves", RETRY_AFTER),
    },
)
def reload_model(admin: AdminUser, settings: SettingsDep, request: Request) -> ModelInfo:
    """Load the model again from MODEL_PATH, without a restart (admins only)."""
    try:
        model = load_model(Path(settings.model_path))
    except Exception:
        logger.exception("could not reload the model from %s", settings.model_path)
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="The model file could not be loaded; the previous model still serves.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from None
    request.app.state.model = model
    request.app.state.cache.clear()
    logger.info("model %s loaded by %s", model.version, admin.username)
    return ModelInfo(**model.metadata)
