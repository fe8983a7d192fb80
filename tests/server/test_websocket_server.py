"""The seed's Connection and the SPEC §2 table, through a real uvicorn process."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.apps.ws_features import LIMIT
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


# -- the seed -------------------------------------------------------------


async def test_send_str_and_bytes_arrive_as_text_and_binary_frames(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/echo") as ws:
        await ws.send("hi")
        assert await recv(ws) == "hi"
        await ws.send(b"\x00\x01")
        assert await recv(ws) == b"\x00\x01"


async def test_receive_str_returns_a_text_frame_as_str(server: Server) -> None:
    async with connect(server.ws_url + "/typed/str") as ws:
        await ws.send("text")
        assert await recv(ws) == "text"


async def test_receive_bytes_returns_a_binary_frame_as_bytes(server: Server) -> None:
    async with connect(server.ws_url + "/typed/bytes") as ws:
        await ws.send(b"\xff")
        assert await recv(ws) == b"\xff"


async def test_headers_params_and_url_reach_the_view(server: Server) -> None:
    headers = [("X-Multi", "a"), ("x-multi", "b"), ("x-single", "s")]
    url = server.ws_url + "/info?tag=1&tag=2"
    async with connect(url, additional_headers=headers) as ws:
        info = json_of(await recv(ws))
    assert info["multi"] == ["a", "b"]
    assert info["header_case"] == "s"
    assert info["tags"] == ["1", "2"]
    assert info["url"] == url
    assert info["path"] == "/info"
    assert info["scheme"] == "ws"


async def test_state_closed_and_reraise_start_as_documented(server: Server) -> None:
    async with connect(server.ws_url + "/info") as ws:
        info = json_of(await recv(ws))
    assert info["before"] is True  # state set by the before hook
    assert info["closed"] is False
    assert info["reraise"] is False


async def test_send_and_receive_refuse_other_types_with_type_error(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/info") as ws:
        await recv(ws)
        assert await recv(ws) == b"\x00bin"
        assert str(await recv(ws)).startswith("TypeError: send() takes str or bytes")
        assert str(await recv(ws)).startswith("TypeError: receive() mode")


async def test_close_sends_the_status_code(server: Server) -> None:
    async with connect(server.ws_url + "/close?code=4000") as ws:
        assert (await close_of(ws))[0] == 4000


async def test_close_defaults_to_1000(server: Server) -> None:
    async with connect(server.ws_url + "/close") as ws:
        assert (await close_of(ws))[0] == 1000


# -- SPEC §2: what the seed leaves open -------------------------------------


@pytest.mark.parametrize("path", ["/nowhere", "/page"])
async def test_a_path_without_on_ws_refuses_the_handshake_with_404(
    quiet_server: Server, path: str
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(quiet_server.ws_url + path):
            pass
    assert refused.value.response.status_code == 404
    assert_no_server_error(quiet_server)


async def test_returning_from_on_ws_closes_with_1000(server: Server) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/hello?id={key}") as ws:
        assert await recv(ws) == "hello"
        assert await close_of(ws) == (1000, "")
    facts = await seen(server, key)
    assert facts["closed"] is True
    assert facts["close_code"] == 1000


async def test_client_close_raises_websocket_disconnect_in_the_view(
    server: Server,
) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/listen?id={key}") as ws:
        assert await recv(ws) == "ready"
        await ws.close(4321, "bye")
    facts = await seen(server, key)
    assert facts["raised"] == "WebSocketDisconnect"
    assert (facts["code"], facts["reason"]) == (4321, "bye")
    assert facts["closed_in_view"] is True


async def test_websocket_disconnect_escaping_on_ws_ends_quietly(
    quiet_server: Server,
) -> None:
    key = new_id()
    async with connect(f"{quiet_server.ws_url}/listen?id={key}") as ws:
        await recv(ws)
    facts = await seen(quiet_server, key)
    assert facts["after_hook"] is True
    assert "handler" not in facts  # its error handler is not called
    assert_no_server_error(quiet_server)


@pytest.mark.parametrize(("mode", "wrong"), [("str", b"bin"), ("bytes", "text")])
async def test_a_frame_of_the_wrong_type_closes_with_1003(
    quiet_server: Server, mode: str, wrong: str | bytes
) -> None:
    key = new_id()
    async with connect(f"{quiet_server.ws_url}/typed/{mode}?id={key}") as ws:
        await ws.send(wrong)
        assert (await close_of(ws))[0] == 1003
    assert (await seen(quiet_server, key))["close_code"] == 1003
    assert_no_server_error(quiet_server)


async def test_a_websocket_error_caught_by_the_view_leaves_it_open(
    server: Server,
) -> None:
    async with connect(server.ws_url + "/tolerant") as ws:
        await ws.send(b"bin")
        assert await recv(ws) == "error 1003"
        await ws.send("still open")
        assert await recv(ws) == "still open"


@pytest.mark.parametrize("message", [b"x" * LIMIT, "é" * (LIMIT // 2)])
async def test_a_message_of_exactly_ws_max_message_bytes_is_accepted(
    server: Server, message: str | bytes
) -> None:
    async with connect(server.ws_url + "/echo") as ws:
        await ws.send(message)
        assert await recv(ws) == message


@pytest.mark.parametrize("message", [b"x" * (LIMIT + 1), "é" * (LIMIT // 2) + "a"])
async def test_a_message_over_ws_max_message_bytes_closes_with_1009(
    quiet_server: Server, message: str | bytes
) -> None:
    async with connect(quiet_server.ws_url + "/echo") as ws:
        await ws.send(message)
        assert (await close_of(ws))[0] == 1009
    assert_no_server_error(quiet_server)


async def test_send_and_receive_after_close_raise_runtime_error(
    server: Server,
) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/after-close?id={key}") as ws:
        assert (await close_of(ws))[0] == 1000
    facts = await seen(server, key)
    assert facts["closed_in_view"] is True
    assert facts["send"].startswith("send() on a connection that is closed")
    assert facts["receive"].startswith("receive() on a connection that is closed")


async def test_an_unhandled_error_closes_with_1011_and_reaches_the_server_log(
    server: Server,
) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/boom?id={key}") as ws:
        assert (await close_of(ws))[0] == 1011
    assert (await seen(server, key))["close_code"] == 1011
    server.wait_for_line(f"RuntimeError: boom-{key}")
    assert "Exception in ASGI application" in server.output


async def test_an_unhandled_error_before_accept_refuses_with_500(
    server: Server,
) -> None:
    key = new_id()
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/boom?early=1&id={key}"):
            pass
    assert refused.value.response.status_code == 500
    assert (await seen(server, key))["after_hook"] is True
    server.wait_for_line(f"RuntimeError: boom-{key}")


async def test_a_handled_error_closes_with_1011_without_a_traceback(
    quiet_server: Server,
) -> None:
    key = new_id()
    async with connect(f"{quiet_server.ws_url}/handled?id={key}") as ws:
        assert await recv(ws) == f"handled {key}"
        assert (await close_of(ws))[0] == 1011
    assert (await seen(quiet_server, key))["handler"] == "Handled"
    assert_no_server_error(quiet_server)


async def test_an_error_handler_may_close_with_its_own_code(server: Server) -> None:
    async with connect(f"{server.ws_url}/handled?id={new_id()}&close=1") as ws:
        await recv(ws)
        assert await close_of(ws) == (4001, "handled")


async def test_reraise_sends_a_handled_error_to_the_server_log(
    server: Server,
) -> None:
    key = new_id()
    async with connect(f"{server.ws_url}/handled?id={key}&reraise=1") as ws:
        assert await recv(ws) == f"handled {key}"
        assert (await close_of(ws))[0] == 1011
    server.wait_for_line(f"Handled: {key}")
