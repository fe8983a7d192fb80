"""In-process test clients: HTTP through httpx, WebSocket through queues.

`async with api.client() as client:` runs the app's lifespan around the
block; requests and connections never touch a socket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from addict import Dict as AttrDict
from multidict import CIMultiDict, CIMultiDictProxy

from spangle._internal.extras import missing_extra

try:
    import httpx
    from asgi_lifespan import LifespanManager
except ImportError as error:
    raise missing_extra("spangle.testing", "testing", error) from error

from spangle._internal.asgi import ASGIApp
from spangle._internal.ws_transport import (
    AsyncWebsocketClient,
    WebSocketClosed,
    WebSocketRejected,
    websocket_scope,
)

__all__ = [
    "AsyncHttpTestClient",
    "AsyncWebsocketClient",
    "HttpTestResponse",
    "WebSocketClosed",
    "WebSocketRejected",
]

_DEFAULT: Any = object()


class HttpTestResponse:
    """A response received by the test client.

    Attributes:
        status_code (`int`): The HTTP status.
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
        self.status_code = response.status_code
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
        """The body decoded as JSON; objects have dot access."""
        value = self._response.json()
        return AttrDict(value) if isinstance(value, dict) else value


class AsyncHttpTestClient:
    """Talk to an app in-process, with its lifespan run around `async with`.

    Cookies set by responses persist across requests of one client.
    """

    def __init__(self, app: ASGIApp, timeout: float | None = 1) -> None:
        """Make the client.

        Args:
            app: The ASGI app, usually an `Api`.
            timeout: Seconds to wait for lifespan events, each request and each
                WebSocket message; `None` waits forever.
        """
        self.app = app
        self.timeout = timeout
        self._lifespan: LifespanManager | None = None
        self._http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://testserver",
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
        *,
        params: Any = None,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        json: Any = None,
        form: dict[str, Any] | None = None,
        files: Any = None,
        content: bytes | str | None = None,
        timeout: float | None = _DEFAULT,
        allow_redirects: bool = True,
    ) -> HttpTestResponse:
        """Send a request.

        Args:
            method: The HTTP method.
            path: The path, optionally with a query string.
            params: Query parameters.
            headers: Request headers.
            cookies: Cookies for this request, on top of the client's.
            json: A value sent as a JSON body.
            form: Fields sent as a form body (multipart when `files` is given).
            files: Files as httpx takes them: `{"name": (filename, data, type)}`.
            content: A raw body.
            timeout: Seconds to wait; the client's timeout by default.
            allow_redirects: Follow redirects.

        Returns:
            The response.

        Raises:
            asyncio.TimeoutError: The app did not answer in time.
        """
        all_headers = dict(headers or {})
        if cookies:
            jar = {c.name: c.value or "" for c in self._http.cookies.jar}
            jar.update(cookies)
            all_headers["cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        send = self._http.request(
            method.upper(),
            path,
            params=params,
            headers=all_headers,
            json=json,
            data=form,
            files=files,
            content=content,
            follow_redirects=allow_redirects,
        )
        wait = self.timeout if timeout is _DEFAULT else timeout
        return HttpTestResponse(await asyncio.wait_for(send, wait))

    async def get(self, path: str, **kwargs: Any) -> HttpTestResponse:
        """Send a GET request; see `request` for the arguments."""
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> HttpTestResponse:
        """Send a POST request; see `request` for the arguments."""
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> HttpTestResponse:
        """Send a PUT request; see `request` for the arguments."""
        return await self.request("PUT", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> HttpTestResponse:
        """Send a PATCH request; see `request` for the arguments."""
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> HttpTestResponse:
        """Send a DELETE request; see `request` for the arguments."""
        return await self.request("DELETE", path, **kwargs)

    @asynccontextmanager
    async def ws_connect(
        self,
        path: str,
        subprotocols: list[str] | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
        timeout: float | None = _DEFAULT,
    ) -> AsyncIterator[AsyncWebsocketClient]:
        """Open a WebSocket connection to the app.

        Args:
            path: The path, optionally with a query string.
            subprotocols: Subprotocols to offer.
            params: Query parameters.
            headers: Handshake headers.
            cookies: Cookies to send, on top of those earlier responses set.
            timeout: Seconds to wait for each message; the client's by default.

        Yields:
            The open connection; it is closed with 1000 on leaving the block
            if neither side closed it.

        Raises:
            WebSocketRejected: The app refused the handshake (carries the status).
        """
        # As a browser would, send the cookies earlier responses set.
        jar = {c.name: c.value or "" for c in self._http.cookies.jar}
        jar.update(cookies or {})
        scope = websocket_scope(path, subprotocols, params, headers, jar)
        wait = self.timeout if timeout is _DEFAULT else timeout
        async with AsyncWebsocketClient(self.app, scope, wait) as ws:
            yield ws
