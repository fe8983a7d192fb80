"""The HTTP pipeline: route, hooks, `on_request` then `on_<method>`, errors.

A request runs: route lookup (404, or a 308 trailing-slash redirect),
before hooks, the view's `on_request`, its `on_<method>` (405 when the
method is not allowed), after hooks; then the response sends itself.
An exception anywhere is answered by the error handler found by its MRO,
on a response started over; after hooks still run once.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from spangle._internal.asgi import TEST_CLIENT_EXTENSION, Receive, Scope, Send
from spangle._internal.views import Responder, ViewEntry
from spangle.component import api_ctx
from spangle.exceptions import NotFoundError, SpangleError
from spangle.models.http import Request, Response

if TYPE_CHECKING:
    from spangle._internal.compiled import Compiled

logger = logging.getLogger("spangle")

_MISSING: Any = object()
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


async def serve_http(
    compiled: Compiled, scope: Scope, receive: Receive, send: Send
) -> None:
    """Answer one HTTP request.

    A view, hook or error handler may return a `Response`: that one is
    used from then on, as in spangle 0.11; any other return value is ignored.

    Args:
        compiled: The serving tables of the Api.
        scope: The ASGI `http` scope.
        receive: The ASGI receive callable.
        send: The ASGI send callable.

    Raises:
        Exception: The error being handled, after the response is sent, when
            `resp.reraise` is set.
    """
    req = Request(scope, receive, send, compiled.max_upload_bytes)
    resp = Response()
    error: Exception | None = None
    # PERF: the view and the hooks run in this frame: every coroutine layer
    # saved is a measurable share of a request.
    try:
        try:
            target = _resolve(compiled, scope, resp)
            if target is not None:
                entry, responder, params = target
                for hook in compiled.before_http:
                    result = await hook(req, resp)
                    resp = resp if result is None else _returned(result, resp)
                if entry.on_request is not None:
                    result = await entry.on_request(req, resp, **params)
                    resp = resp if result is None else _returned(result, resp)
                if responder is not None:
                    # PERF: a call without `**{}` skips building keywords.
                    result = await (
                        responder(req, resp, **params)
                        if params
                        else responder(req, resp)
                    )
                    resp = resp if result is None else _returned(result, resp)
                elif scope["method"] == "OPTIONS":
                    resp.headers["allow"] = entry.allow
        except Exception as exc:
            resp, error = await _handle_error(compiled, scope, req, resp, exc)
        if compiled.after_http:
            resp, error = await _after(compiled, scope, req, resp, error)
        # PERF: by name, the call skips the slot wrapper that calling an
        # instance goes through; `Response.__call__` is the one send path.
        await resp.__call__(scope, receive, send)
        if error is not None and resp.reraise:
            raise error
    finally:
        req.close()


async def serve_http_error(
    compiled: Compiled, scope: Scope, receive: Receive, send: Send, exc: Exception
) -> None:
    """Answer a request with the error handling of an Api.

    Mounted parts of the app (static files) use it so that their errors
    look like the app's own.

    Args:
        compiled: The serving tables of the Api.
        scope: The ASGI `http` scope; `req`/`resp` are taken from its
            `extensions["spangle"]` when a mount put them there.
        receive: The ASGI receive callable.
        send: The ASGI send callable.
        exc: The error to answer.

    Raises:
        Exception: `exc`, after the response is sent, when `resp.reraise`
            is set.
    """
    made = (scope.get("extensions") or {}).get("spangle") or {}
    req = made.get("req") or Request(scope, receive, send)
    error: Exception | None
    resp, error = await _handle_error(
        compiled, scope, req, made.get("resp") or Response(), exc
    )
    if compiled.after_http:
        resp, error = await _after(compiled, scope, req, resp, error)
    await resp.__call__(scope, receive, send)
    if error is not None and resp.reraise:
        raise error


def _returned(result: object, resp: Response) -> Response:
    """Pick the response to go on with after a call returned `result`."""
    return result if isinstance(result, Response) else resp


def _resolve(
    compiled: Compiled, scope: Scope, resp: Response
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
    responder = entry.responders.get(scope["method"], _MISSING)
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


async def _after(
    compiled: Compiled,
    scope: Scope,
    req: Request,
    resp: Response,
    error: Exception | None,
) -> tuple[Response, Exception | None]:
    """Run the after hooks; one that raises is answered as a view's error."""
    try:
        for hook in compiled.after_http:
            result = await hook(req, resp)
            resp = resp if result is None else _returned(result, resp)
    except Exception as exc:
        return await _handle_error(compiled, scope, req, resp, exc)
    return resp, error


async def _handle_error(
    compiled: Compiled, scope: Scope, req: Request, resp: Response, exc: Exception
) -> tuple[Response, Exception]:
    """Answer an error with its handler, or the default answer.

    Returns:
        The response to send and the error it answers (the handler's own,
        when the handler failed).
    """
    handler: Any = compiled.http_errors.find(type(exc))
    resp = _fresh(resp)
    if handler is None:
        _default_response(scope, resp, exc)
        return resp, exc
    try:
        result = await handler.on_error(req, resp, exc)
    except Exception as second:
        logger.exception("error handler %s failed", type(handler).__qualname__)
        resp = _fresh(resp)
        _default_response(scope, resp, second, logged=True)
        return resp, second
    return (resp if result is None else _returned(result, resp)), exc


def _fresh(resp: Response) -> Response:
    """Start the response over for an error handler; only `reraise` is kept."""
    fresh = Response()
    fresh.reraise = resp.reraise
    return fresh


def _default_response(
    scope: Scope, resp: Response, exc: Exception, logged: bool = False
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
    if TEST_CLIENT_EXTENSION in (scope.get("extensions") or ()):
        # The test client raises it after the 500, as Starlette's does; a
        # real server only gets the 500 and the log.
        resp.reraise = True
