"""A submission whose `app` is a Starlette application, not a FastAPI one."""

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


async def root(request):
    return JSONResponse({"message": "Welcome"})


app = Starlette(routes=[Route("/", root)])
