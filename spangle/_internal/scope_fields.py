"""Fields that HTTP requests and WebSocket connections both read off a scope."""

from __future__ import annotations

from typing import Any

from addict import Dict as AttrDict
from multidict import CIMultiDict, CIMultiDictProxy
from starlette.datastructures import URL, Address

from spangle._internal.asgi import Scope

UNSET: Any = object()


class ScopeFields:
    """Lazily parsed `state`, `headers`, `url` and `client` of an ASGI scope.

    Subclasses set `_scope` and start the other slots as `UNSET`.
    """

    __slots__ = ("_scope", "_state", "_headers", "_url")

    _scope: Scope
    _state: AttrDict
    _headers: CIMultiDictProxy[str]
    _url: URL

    @property
    def state(self) -> AttrDict:
        """Anything you want to keep while it lasts (`addict.Dict`)."""
        if self._state is UNSET:
            self._state = AttrDict()
        return self._state

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The headers, case-insensitive; repeated headers kept."""
        if self._headers is UNSET:
            raw = CIMultiDict(
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in self._scope["headers"]
            )
            self._headers = CIMultiDictProxy(raw)
        return self._headers

    @property
    def url(self) -> URL:
        """The parsed URL of the request (`starlette.datastructures.URL`)."""
        if self._url is UNSET:
            self._url = URL(scope=self._scope)
        return self._url

    @property
    def client(self) -> Address | None:
        """The client's address (`.host`, `.port`), when the server knows it."""
        client = self._scope.get("client")
        return None if client is None else Address(*client)
