"""The HTTP pipeline: route, hooks, `on_request` then `on_<method>`, errors.

A request runs: route lookup (404, or a 308 trailing-slash redirect),
before hooks, the view's `on_request`, its `on_<method>` (405 when the
method is not allowed), after hooks; then the response is rendered and sent.
An exception anywhere is answered by the error handler found by its MRO,
with the response reset first; after hooks still run once.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from spangle._internal.asgi import TEST_CLIENT_EXTENSION, Receive, Scope, Send
from spangle._internal.views import Responder, ViewEntry
from spangle.component import api_ctx, use_api
from spangle.exceptions import NotFoundError, SpangleError
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

    Raises:
        Exception: The error being handled, after the response is sent, when
            the handler set `resp.reraise`.
    """
    req = Request(scope, receive, send, api.max_upload_bytes)
    resp = Response()
    method: str = scope["method"]
    # PERF: the view runs in this frame and the response is sent from it;
    # every coroutine layer saved is a measurable share of a request.
    try:
        try:
            target = _resolve(compiled, scope, method, resp)
            if target is not None:
                entry, responder, params = target
                for hook in compiled.before_http:
                    await hook(req, resp)
                if entry.on_request is not None:
                    await entry.on_request(req, resp, **params)
                if responder is not None and params:
                    await responder(req, resp, **params)
                elif responder is not None:
                    # PERF: a call without `**{}` skips building keywords.
                    await responder(req, resp)
                elif method == "OPTIONS":
                    resp.headers["allow"] = entry.allow
        except Exception as exc:
            await _handle_error(compiled, req, resp, exc)
        if compiled.after_http:
            await _after(compiled, req, resp)
        # PERF: `Response.__call__`, inlined: a call less a request.
        try:
            start, body = resp._render(scope)
        except Exception as exc:
            start, body = resp._render_failure(scope, exc)
        await send(start)
        if resp.streaming is None or method == "HEAD":
            await send(
                {
                    "type": "http.response.body",
                    "body": b"" if method == "HEAD" else body,
                }
            )
        else:
            await resp._stream(send)
        if resp.reraise and resp._error is not None:
            raise resp._error
    finally:
        if req._files is not None:
            req._close_files()


async def serve_http_error(
    scope: Scope, receive: Receive, send: Send, exc: Exception
) -> None:
    """Answer a request with the error handling of the current Api.

    Mounted parts of the app (static files) use it so that their errors
    look like the app's own.

    Args:
        scope: The ASGI `http` scope; `req`/`resp` are taken from its
            `extensions["spangle"]` when a mount put them there.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
        exc: The error to answer.
    """
    api = use_api()
    compiled = api._compiled or api._build()
    made = (scope.get("extensions") or {}).get("spangle") or {}
    req = made.get("req") or Request(scope, receive, send)
    resp = made.get("resp") or Response()
    await _handle_error(compiled, req, resp, exc)
    await _respond(compiled, scope, receive, send, req, resp)


def _resolve(
    compiled: Compiled, scope: Scope, method: str, resp: Response
) -> tuple[ViewEntry, Responder | None, dict[str, Any]] | None:
    """Find the view entry, responder and path parameters of a request.

    Returns:
        `None` when the response is already made (a trailing-slash redirect).

    Raises:
        NotFoundError: No route matches and there is no default route.
        MethodNotAllowedError: The view does not allow the method.
    """
    found = compiled.routes.lookup(scope["path"])
    if found is None:
        if compiled.default is None:
            raise NotFoundError()
        # The default route serves even if its own path would redirect:
        # redirecting an unmatched path could send the client off-site.
        found = compiled.default
    elif found[0].redirect is not None:
        _redirect_slash(scope, resp, found[0].redirect)
        return None
    endpoint, params = found
    entry = endpoint.target
    responder = entry.responders.get(method, _MISSING)
    if responder is _MISSING:
        raise entry.not_allowed()
    return entry, responder, params


def _redirect_slash(scope: Scope, resp: Response, how: str) -> None:
    path: str = scope["path"]
    path = path + "/" if how == "add" else path.rstrip("/")
    # "//host" would be a protocol-relative URL: never leave the site.
    location = "/" + quote(scope.get("root_path", "") + path, safe=_PATH_SAFE).lstrip(
        "/"
    )
    query = scope.get("query_string", b"")
    if query:
        location += "?" + query.decode("latin-1")
    resp.status_code = 308
    resp.headers["location"] = location


async def _respond(
    compiled: Compiled,
    scope: Scope,
    receive: Receive,
    send: Send,
    req: Request,
    resp: Response,
) -> None:
    """Run after hooks, then send the response (no body for HEAD)."""
    if compiled.after_http:
        await _after(compiled, req, resp)
    await resp(scope, receive, send)
    if resp.reraise and resp._error is not None:
        raise resp._error


async def _after(compiled: Compiled, req: Request, resp: Response) -> None:
    try:
        for hook in compiled.after_http:
            await hook(req, resp)
    except Exception as exc:
        await _handle_error(compiled, req, resp, exc)


async def _handle_error(
    compiled: Compiled, req: Request, resp: Response, exc: Exception
) -> None:
    resp._reset()
    resp._error = exc
    handler: Any = compiled.http_errors.find(type(exc))
    if handler is None:
        _default_response(req, resp, exc)
        return
    try:
        await handler.on_error(req, resp, exc)
    except Exception as second:
        logger.exception("error handler %s failed", type(handler).__qualname__)
        resp._reset()
        resp._error = second
        _default_response(req, resp, second, logged=True)


def _default_response(
    req: Request, resp: Response, exc: Exception, logged: bool = False
) -> None:
    if isinstance(exc, SpangleError):
        resp.status_code = exc.status_code
        resp.text = exc.message
        if exc.headers:
            resp.headers.update(exc.headers)
        return
    if not logged:
        logger.error("unhandled %s in a view", type(exc).__qualname__, exc_info=exc)
    resp.status_code = 500
    api = api_ctx.get(None)
    if api is not None and api.debug:
        # Development mode, as in 0.11: the traceback is the page.
        resp.text = "".join(traceback.format_exception(exc))
    else:
        resp.text = "Internal Server Error"
    if TEST_CLIENT_EXTENSION in (req._scope.get("extensions") or ()):
        # The test client raises it after the 500, as Starlette's does; a
        # real server only gets the 500 and the log.
        resp.reraise = True
