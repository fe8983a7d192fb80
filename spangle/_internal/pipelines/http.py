"""The HTTP pipeline: route, hooks, `on_request` then `on_<method>`, errors."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from spangle._internal.asgi import Receive, Scope, Send
from spangle.exceptions import MethodNotAllowedError, NotFoundError, SpangleError
from spangle.models.http import Request, Response

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled
    from spangle.api import Api

logger = logging.getLogger("spangle")

_MISSING: Any = object()
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


async def serve_http(
    api: Api, compiled: Compiled, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one HTTP request.

    Args:
        api: The serving Api.
        compiled: Its serving tables.
        scope: The ASGI `http` scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
    """
    req = Request(scope, receive, send)
    req.max_upload_bytes = api.max_upload_bytes
    resp = Response()
    method = scope["method"].lower()
    try:
        found = compiled.routes.lookup(scope["path"]) or compiled.default
        if found is None:
            raise NotFoundError()
        endpoint, params = found
        if endpoint.redirect is not None:
            _redirect_slash(scope, resp, endpoint.redirect)
        else:
            await _run_view(compiled, endpoint.target, method, req, resp, params)
    except Exception as exc:
        await _handle_error(compiled, req, resp, exc)
    await resp._send_to(send, with_body=method != "head")
    if resp.reraise and resp._error is not None:
        raise resp._error


async def _run_view(
    compiled: Compiled,
    entry: Any,
    method: str,
    req: Request,
    resp: Response,
    params: dict[str, Any],
) -> None:
    responder = entry.responders.get(method, _MISSING)
    if responder is _MISSING:
        raise entry.not_allowed()
    for hook in compiled.before_http:
        await hook(req, resp)
    if entry.on_request is not None:
        await entry.on_request(req, resp, **params)
    if responder is not None:
        await responder(req, resp, **params)
    elif method == "options":
        resp.status_code = 204
        resp.headers["allow"] = entry.allow
    for hook in compiled.after_http:
        await hook(req, resp)


def _redirect_slash(scope: Scope, resp: Response, how: str) -> None:
    path: str = scope["path"]
    path = path + "/" if how == "add" else path.rstrip("/")
    query = scope.get("query_string", b"").decode("latin-1")
    location = quote(scope.get("root_path", "") + path, safe=_PATH_SAFE)
    if query:
        location += "?" + query
    resp.status_code = 308
    resp.headers["location"] = location


async def _handle_error(
    compiled: Compiled, req: Request, resp: Response, exc: Exception
) -> None:
    resp._reset()
    resp._error = exc
    handler: Any = compiled.errors.find(type(exc))
    on_error = getattr(handler, "on_error", None)
    if on_error is None:
        _default_response(resp, exc)
        return
    try:
        await on_error(req, resp, exc)
    except Exception as second:
        logger.exception("error handler %s failed", type(handler).__qualname__)
        resp._reset()
        resp._error = second
        _default_response(resp, second)


def _default_response(resp: Response, exc: Exception) -> None:
    if isinstance(exc, SpangleError):
        resp.status_code = exc.status_code
        resp.text = exc.message
        if isinstance(exc, MethodNotAllowedError):
            resp.headers["allow"] = ", ".join(exc.allowed_methods)
        return
    logger.error("unhandled error in a view", exc_info=exc)
    resp.status_code = 500
    resp.text = "Internal Server Error"
