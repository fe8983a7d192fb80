"""The in-process HTTP test client, through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, cast

from addict import Dict as AttrDict
from multidict import CIMultiDict, CIMultiDictProxy

from spangle._internal.extras import missing_extra

try:
    import httpx
    from asgi_lifespan import LifespanManager
except ImportError as error:
    raise missing_extra("spangle.testing", "testing", error) from error

from spangle._internal.asgi import (
    TEST_CLIENT_EXTENSION,
    ASGIApp,
    Receive,
    Scope,
    Send,
)
from spangle.testing.websocket import (
    AsyncWebsocketClient,
    Headers,
    Params,
    websocket_scope,
)

__all__ = ["AsyncHttpTestClient", "HttpTestResponse"]


class HttpTestResponse:
    """A response received by the test client.

    Attributes:
        status_code (`int`): The HTTP status, an `http.HTTPStatus` when it
            has a name.
        headers (`CIMultiDictProxy`): Response headers; repeated ones kept.
        cookies (`dict[str, str]`): Cookies the response set.
        content (`bytes`): The body.
        text (`str`): The body decoded.
        json (`addict.Dict`): The body decoded as JSON, with dot access.
    """

    def __init__(self, response: httpx.Response) -> None:
        """Wrap an httpx response.

        Args:
            response: The response.
        """
        self._response = response
        self.status_code: int = _named_status(response.status_code)
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(
            CIMultiDict(response.headers.multi_items())
        )
        self.cookies: dict[str, str] = dict(response.cookies)
        self.content = response.content

    @property
    def text(self) -> str:
        """The body decoded with the response's charset (UTF-8 by default)."""
        return self._response.text

    @property
    def json(self) -> Any:
        """The body decoded as JSON (objects with dot access); `None` if not JSON."""
        try:
            value = self._response.json()
        except ValueError:
            return None
        return AttrDict(value) if isinstance(value, dict) else value


class AsyncHttpTestClient:
    """Talk to an app in-process, with its lifespan run around `async with`.

    Cookies set by responses persist across requests of one client. An
    exception that no error handler answers is raised out of the request
    call, after the app has answered 500, unless `raise_server_exceptions`
    is `False`.

    Attributes:
        app (`ASGIApp`): The app under test.
        host (`str`): The host requests are sent to.
        timeout (`float | None`): Seconds to wait for each request.
    """

    def __init__(
        self,
        app: ASGIApp,
        timeout: float | None = 1,
        host: str = "www.example.com",
        client: tuple[str, int] = ("127.0.0.1", 123),
        raise_server_exceptions: bool = True,
    ) -> None:
        """Make the client.

        Args:
            app: The ASGI app, usually an `Api`.
            timeout: Seconds to wait for lifespan events, each request and each
                WebSocket message; `None` waits forever.
            host: The host of the URLs requested (`Host` header, `req.url`).
            client: The client address the app sees.
            raise_server_exceptions: Raise what no error handler answered out
                of the request call; `False` returns the 500 instead.
        """
        self.app = app
        self.timeout = timeout
        self.host = host
        self.client = client
        self.raise_server_exceptions = raise_server_exceptions
        self._lifespan: LifespanManager | None = None
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(
                app=_mark_test_scope(app) if raise_server_exceptions else app,
                raise_app_exceptions=raise_server_exceptions,
                client=client,
            ),
            base_url=f"http://{host}",
        )

    async def __aenter__(self) -> AsyncHttpTestClient:
        """Run the app's lifespan startup.

        Returns:
            The client.
        """
        self._lifespan = LifespanManager(
            self.app, startup_timeout=self.timeout, shutdown_timeout=self.timeout
        )
        await self._lifespan.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        """Run the app's lifespan shutdown and close the client."""
        try:
            if self._lifespan is not None:
                await self._lifespan.__aexit__(*exc_info)
        finally:
            await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
    ) -> HttpTestResponse:
        """Send a request.

        Args:
            method: The HTTP method.
            path: The path, optionally with a query string.
            params: Query parameters, a mapping or `(name, value)` pairs.
            headers: Request headers, a mapping or `(name, value)` pairs.
            cookies: Cookies for this request, on top of the client's.
            json: A value sent as a JSON body.
            files: A multipart form: `(filename, data[, mimetype])` tuples or
                file objects are files, plain `str`/`bytes` values are fields.
            form: Fields sent as a form body (multipart when `files` is given).
            content: A raw body.
            timeout: Seconds to wait; the client's timeout when `None`.
            allow_redirects: Follow redirects.

        Returns:
            The response.

        Raises:
            asyncio.TimeoutError: The app did not answer in time.
            Exception: What the app raised and no error handler answered.
        """
        all_headers = httpx.Headers(headers)
        if cookies:
            jar = {c.name: c.value or "" for c in self._http.cookies.jar}
            jar.update(cookies)
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        fields, uploads = _split_files(files)
        send = self._http.request(
            method.upper(),
            path,
            params=cast(Any, params),
            headers=all_headers,
            json=json,
            data={**fields, **(form or {})} if fields else form,
            files=uploads,
            content=content,
            follow_redirects=allow_redirects,
        )
        wait = self.timeout if timeout is None else timeout
        return HttpTestResponse(await asyncio.wait_for(send, wait))

    async def get(
        self,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
        *,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
    ) -> HttpTestResponse:
        """Send a GET request; see `request` for the arguments."""
        return await self.request(
            "GET",
            path,
            params,
            headers,
            cookies,
            json,
            files,
            form,
            content,
            timeout,
            allow_redirects,
        )

    async def delete(
        self,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
        *,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
    ) -> HttpTestResponse:
        """Send a DELETE request; see `request` for the arguments."""
        return await self.request(
            "DELETE",
            path,
            params,
            headers,
            cookies,
            json,
            files,
            form,
            content,
            timeout,
            allow_redirects,
        )

    # duplicates: one method per verb, with 0.11's signature (typed and
    # documented); each only forwards to `request`.
    async def post(
        self,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
    ) -> HttpTestResponse:
        """Send a POST request; see `request` for the arguments."""
        return await self.request(
            "POST",
            path,
            params,
            headers,
            cookies,
            json,
            files,
            form,
            content,
            timeout,
            allow_redirects,
        )

    async def put(
        self,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
    ) -> HttpTestResponse:
        """Send a PUT request; see `request` for the arguments."""
        return await self.request(
            "PUT",
            path,
            params,
            headers,
            cookies,
            json,
            files,
            form,
            content,
            timeout,
            allow_redirects,
        )

    async def patch(
        self,
        path: str,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        json: Any = None,
        files: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
        content: bytes | str | None = None,
        timeout: float | None = None,
        allow_redirects: bool = True,
    ) -> HttpTestResponse:
        """Send a PATCH request; see `request` for the arguments."""
        return await self.request(
            "PATCH",
            path,
            params,
            headers,
            cookies,
            json,
            files,
            form,
            content,
            timeout,
            allow_redirects,
        )

    def ws_connect(
        self,
        path: str,
        subprotocols: list[str] | None = None,
        params: Params | None = None,
        headers: Headers | None = None,
        cookies: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> AsyncWebsocketClient:
        """Prepare a WebSocket connection to the app.

        Use it as `async with client.ws_connect(path) as ws:`, or call
        `await ws.connect()` and `await ws.close()` yourself.

        Args:
            path: The path, optionally with a query string.
            subprotocols: Subprotocols to offer.
            params: Query parameters, a mapping or `(name, value)` pairs.
            headers: Handshake headers, a mapping or `(name, value)` pairs
                (repeated names kept).
            cookies: Cookies to send, on top of those earlier responses set.
            timeout: Seconds to wait for each message; the client's when `None`.

        Returns:
            The connection, open once entered; it is closed with 1000 on
            leaving the block if neither side closed it. Entering raises
            `WebSocketRejected` (with the status) when the app refuses.
        """
        # As a browser would, send the cookies earlier responses set.
        jar = {c.name: c.value or "" for c in self._http.cookies.jar}
        jar.update(cookies or {})
        scope = websocket_scope(
            path, subprotocols, params, headers, jar, host=self.host, client=self.client
        )
        app = _mark_test_scope(self.app) if self.raise_server_exceptions else self.app
        return AsyncWebsocketClient(
            app,
            scope,
            self.timeout if timeout is None else timeout,
            raise_app_exceptions=self.raise_server_exceptions,
        )


def _named_status(status: int) -> int:
    """Return the `HTTPStatus` of a status code, or the code when it has no name."""
    try:
        return HTTPStatus(status)
    except ValueError:
        return status


def _split_files(
    files: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Split a `files` mapping into plain form fields and files, as 0.11 reads it."""
    if not files:
        return {}, None
    fields = {k: v for k, v in files.items() if isinstance(v, str | bytes)}
    uploads = {k: v for k, v in files.items() if k not in fields}
    return fields, uploads or None


def _mark_test_scope(app: ASGIApp) -> ASGIApp:
    """Wrap an app so that its scopes carry the test client's extension.

    With it, the app raises what no error handler answered after answering
    500, instead of only answering.
    """

    async def marked(scope: Scope, receive: Receive, send: Send) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions[TEST_CLIENT_EXTENSION] = {}
        await app({**scope, "extensions": extensions}, receive, send)

    return marked
