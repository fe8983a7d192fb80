"""The compared apps: each serves `GET /` and a WebSocket echo at `/ws`.

Every module exposes `app` and `routing_app(count, dynamic)`, an app with
`count` routes whose last registered one is `target_path(dynamic)`;
`HIT_STATIC` and `DYNAMIC_HITS` are the paths the benchmark requests,
`HIT_DYNAMIC` one of the latter.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

#: Framework name -> module, raw ASGI (the limit) first.
FRAMEWORKS = {
    "raw": "bench.apps.raw",
    "spangle": "bench.apps.spangle_app",
    "starlette": "bench.apps.starlette_app",
    "fastapi": "bench.apps.fastapi_app",
    "litestar": "bench.apps.litestar_app",
    "falcon": "bench.apps.falcon_app",
    "blacksheep": "bench.apps.blacksheep_app",
}
#: Reference apps, measured only when named (`--frameworks`): not peers.
REFERENCES = {"raw_coroutines": "bench.apps.raw_coroutines"}
MODULES = {**FRAMEWORKS, **REFERENCES}
NAMES = tuple(FRAMEWORKS)

ROUTES = 1000
HIT_STATIC = "/target"
HIT_DYNAMIC = "/target/42"
#: Real traffic asks for many ids: a cache of recent paths must not be all
#: that the dynamic figure measures.
DYNAMIC_HITS = tuple(f"/target/{i}" for i in range(4096))


def filler_paths(count: int, dynamic: bool, param: str = "{item}") -> list[str]:
    """Return the paths registered before the target, in order.

    Args:
        count: The total number of routes, the target included.
        dynamic: Whether the routes end with a path parameter.
        param: The framework's spelling of a path parameter named `item`.

    Returns:
        `count - 1` distinct paths.
    """
    suffix = "/" + param if dynamic else ""
    return [f"/route{i}{suffix}" for i in range(count - 1)]


def target_path(dynamic: bool, param: str = "{item}") -> str:
    """Return the template of the route the benchmark requests.

    Args:
        dynamic: Whether it ends with a path parameter.
        param: The framework's spelling of a path parameter named `item`.

    Returns:
        The template.
    """
    return "/target/" + param if dynamic else "/target"


def load(name: str) -> Any:
    """Import an app module by framework name.

    Args:
        name: A key of `MODULES`.

    Returns:
        The module.
    """
    return import_module(MODULES[name])
