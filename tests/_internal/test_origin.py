"""Cross-site WebSocket hijacking protection (`Api(allowed_origins=...)`)."""

from __future__ import annotations

import logging

import pytest

from spangle import Api, Connection
from spangle._internal.origin import OriginPolicy
from spangle.testing import WebSocketRejected


def scope(origin: str | None, host: str | None = "example.com") -> dict[str, object]:
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "websocket", "scheme": "ws", "headers": headers}


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://example.com", "example.com"),
        ("https://example.com", "example.com"),
        ("https://EXAMPLE.com", "example.com"),
        ("http://example.com:8000", "example.com:8000"),
        ("https://example.com", "example.com:443"),
        ("http://127.0.0.1:8000", "127.0.0.1:8000"),
        ("http://[::1]:8000", "[::1]:8000"),
    ],
)
def test_the_default_allows_the_same_host_and_port(origin: str, host: str) -> None:
    assert OriginPolicy(None).allows(scope(origin, host)) == (True, origin)


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("https://evil.example", "example.com"),
        ("http://example.com:3000", "example.com:8000"),
        ("http://example.com:8000", "example.com"),
        ("http://example.com.evil.example", "example.com"),
        ("null", "example.com"),
        ("http://example.com:notaport", "example.com"),
    ],
)
def test_the_default_refuses_another_host_or_port(origin: str, host: str) -> None:
    assert OriginPolicy(None).allows(scope(origin, host)) == (False, origin)


def test_the_default_refuses_an_origin_when_host_is_missing() -> None:
    assert OriginPolicy(None).allows(scope("http://example.com", None)) == (
        False,
        "http://example.com",
    )


@pytest.mark.parametrize("allowed", [None, [], ["https://app.example.com"]])
def test_a_handshake_without_origin_is_always_allowed(allowed: list[str]) -> None:
    assert OriginPolicy(allowed).allows(scope(None)) == (True, None)


def test_a_star_allows_every_origin() -> None:
    assert OriginPolicy(["*"]).allows(scope("https://evil.example"))[0]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://app.example.com/", True),
        ("https://APP.example.com", True),
        ("http://app.example.com", False),
        ("https://app.example.com:8443", False),
        ("https://example.com", False),
    ],
)
def test_a_list_allows_exactly_those_origins_scheme_included(
    origin: str, allowed: bool
) -> None:
    policy = OriginPolicy(["https://app.example.com/"])
    assert policy.allows(scope(origin, "app.example.com"))[0] is allowed


def echo_api(**options: object) -> Api:
    api = Api(**options)  # type: ignore[arg-type]

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("in")

    return api


async def test_a_cross_origin_handshake_is_refused_with_403_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = echo_api()
    async with api.client() as client:
        with pytest.raises(WebSocketRejected) as info:
            async with client.ws_connect(
                "/ws", headers={"Origin": "https://evil.example"}
            ):
                pass
    assert info.value.status_code == 403
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "allowed_origins" in record.getMessage()
    assert "https://evil.example" in record.getMessage()


async def test_a_same_origin_handshake_reaches_the_view() -> None:
    api = echo_api()
    async with (
        api.client() as client,
        client.ws_connect("/ws", headers={"Origin": "http://www.example.com"}) as ws,
    ):
        assert await ws.receive() == "in"


async def test_an_allowed_origin_from_the_list_reaches_the_view() -> None:
    api = echo_api(allowed_origins=["https://app.example.com"])
    headers = {"Origin": "https://app.example.com"}
    async with api.client() as client, client.ws_connect("/ws", headers=headers) as ws:
        assert await ws.receive() == "in"


async def test_the_view_and_hooks_do_not_run_for_a_refused_origin() -> None:
    api = Api()
    events: list[str] = []

    @api.before_request
    class Hook:
        async def on_ws(self, conn: Connection) -> None:
            events.append("hook")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            events.append("view")

    async with api.client() as client:
        with pytest.raises(WebSocketRejected):
            async with client.ws_connect("/ws", headers={"Origin": "http://x.test"}):
                pass
    assert events == []
