"""The [new] WebSocket features of SPEC §2, through a real uvicorn process."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from tests.support.server import Server, server_fixture
from tests.support.ws_client import (
    assert_no_server_error,
    close_of,
    json_of,
    new_id,
    recv,
    seen,
)

APP = "tests.apps.ws_features:api"


server = server_fixture(APP, "server")
# A server of its own, for tests that check the log stays free of errors.
quiet_server = server_fixture(APP, "quiet_server", scope="function")


@pytest.mark.parametrize("message", ["text", b"\x00binary", "", b""])
async def test_receive_without_mode_returns_the_type_that_arrived(
    server: Server, message: str | bytes
) -> None:
    async with connect(server.ws_url + "/echo") as ws:
        await ws.send(message)
        echoed = await recv(ws)
    assert type(echoed) is type(message)
    assert echoed == message


async def test_iterating_over_a_connection_ends_when_the_client_closes(
    server: Server,
) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/echo?id={key}") as ws:
        await ws.send("one")
        await recv(ws)
    facts = await seen(server, key)
    assert facts["loop_ended"] is True
    assert facts["close_code"] == 1000


async def test_json_round_trips_through_receive_json_and_send_json(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/json") as ws:
        await ws.send('{"a": [1, "é"], "b": null}')
        assert json_of(await recv(ws)) == {"got": {"a": [1, "é"], "b": None}}


async def test_invalid_json_closes_with_1007_without_a_traceback(
    quiet_server: Server,
) -> None:
    async with connect(quiet_server.ws_url + "/json") as ws:
        await ws.send("{not json")
        assert (await close_of(ws))[0] == 1007
    assert_no_server_error(quiet_server)


async def test_close_sends_the_reason(server: Server) -> None:
    async with connect(server.ws_url + "/close?code=4000&reason=bye") as ws:
        assert await close_of(ws) == (4000, "bye")


async def test_close_refuses_codes_never_sent_and_long_reasons(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/bad-close") as ws:
        report = json_of(await recv(ws))
        assert await close_of(ws) == (4999, "r" * 123)
    # The last refused close is the one with a 124-byte reason.
    assert report["refused"] == [999, 1004, 1005, 1006, 1015, 5000, 1000]
    assert report["closed"] is False


async def test_accept_picks_an_offered_subprotocol(server: Server) -> None:
    offered = [Subprotocol("one"), Subprotocol("two")]
    url = server.ws_url + "/subprotocol?pick=two"
    async with connect(url, subprotocols=offered) as ws:
        assert ws.subprotocol == "two"
        assert json_of(await recv(ws)) == ["one", "two"]


async def test_accept_without_subprotocol_picks_none(server: Server) -> None:
    url = server.ws_url + "/subprotocol"
    async with connect(url, subprotocols=[Subprotocol("one")]) as ws:
        assert ws.subprotocol is None


async def test_accepting_a_subprotocol_not_offered_refuses_with_500(
    server: Server,
) -> None:
    url = server.ws_url + "/subprotocol?pick=three"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=[Subprotocol("one")]):
            pass
    assert refused.value.response.status_code == 500
    server.wait_for_line("did not offer subprotocol 'three'")


async def test_accept_adds_headers_to_the_handshake_response(server: Server) -> None:
    async with connect(server.ws_url + "/accept-headers") as ws:
        assert ws.response is not None
        assert ws.response.headers["x-spangle"] == "yes"


async def test_accept_takes_headers_as_pairs(server: Server) -> None:
    async with connect(server.ws_url + "/accept-headers?pairs=1") as ws:
        assert ws.response is not None
        assert ws.response.headers.get_all("x-one") == ["1", "2"]


async def test_cookies_and_client_reach_the_view(server: Server) -> None:
    headers = {"Cookie": "a=1; b=two"}
    async with connect(server.ws_url + "/info", additional_headers=headers) as ws:
        info = json_of(await recv(ws))
        local = ws.local_address
    assert info["cookies"] == {"a": "1", "b": "two"}
    assert info["client"] == [local[0], local[1]]


async def test_a_cookie_header_with_a_stray_pair_serves_the_other_cookies(
    server: Server,
) -> None:
    headers = {"Cookie": "foo; a=1"}
    async with connect(server.ws_url + "/info", additional_headers=headers) as ws:
        info = json_of(await recv(ws))
    assert info["cookies"] == {"a": "1"}


async def test_reject_answers_with_its_status_and_text(quiet_server: Server) -> None:
    key = new_id()
    url = f"{quiet_server.ws_url}/reject?id={key}&status=401&text=who%20are%20you"
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url):
            pass
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == b"who are you"
    facts = await seen(quiet_server, key)
    assert facts["returned"] is True
    assert facts["closed_in_view"] is True
    assert_no_server_error(quiet_server)


async def test_reject_defaults_to_403(server: Server) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url + "/reject"):
            pass
    assert refused.value.response.status_code == 403


async def test_a_handshake_from_another_origin_is_refused_with_403(
    server: Server,
) -> None:
    origin = Origin(f"http://evil.example:{server.port}")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(server.ws_url + "/echo", origin=origin):
            pass
    assert refused.value.response.status_code == 403
    assert "allowed_origins" in server.wait_for_line("evil.example")


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_a_handshake_from_the_same_host_and_port_is_allowed(
    server: Server, scheme: str
) -> None:
    origin = Origin(f"{scheme}://127.0.0.1:{server.port}")
    async with connect(server.ws_url + "/echo", origin=origin) as ws:
        await ws.send("same origin")
        assert await recv(ws) == "same origin"
