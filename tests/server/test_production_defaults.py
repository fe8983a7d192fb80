"""`spangle run`'s production defaults, through the real server.

Large bodies leave the loop free, spangle's log lines look like uvicorn's and
follow `--log-level`, and bad input from a client logs no ERROR line.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import time
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.server import Server, run_server
from tests.support.ws_client import close_of

APP = "tests.apps.serving:api"
TIMEOUT = 10.0
MAX_PINGS = 100_000
HANDSHAKE = (
    b"GET /ws/text HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server(APP, server="spangle") as running:
        yield running


@pytest.fixture(scope="module")
def quiet_server() -> Iterator[Server]:
    # At WARNING uvicorn prints nothing once ready: wait for the port instead.
    args = ["--log-level", "warning"]
    with run_server(APP, server="spangle", extra_args=args, expect_start=False) as s:
        wait_until_listening(s.port)
        yield s


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT).close()
            return
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the server never listened"
            time.sleep(0.05)  # polling another process's port, bounded


def assert_no_error_line(server: Server) -> None:
    for marker in ("Traceback", "ERROR", "Exception in ASGI application"):
        assert marker not in server.output, server.output


async def test_a_request_is_answered_while_a_large_form_is_parsed(
    server: Server,
) -> None:
    # 999 fields of 3,000 escapes each: about 9 MB, a second of decoding.
    body = "&".join(f"f{i}=" + "%41" * 3000 for i in range(999)).encode()
    form = {"content-type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT) as http:
        posted = asyncio.create_task(http.post("/form", content=body, headers=form))
        for _ in range(MAX_PINGS):
            if posted.done():
                break
            assert (await http.get("/ping")).text == "pong"
        answer = (await posted).json()
    # Ordered by the app itself: pings it answered between the parse's start
    # and end. A parse on the event loop would let none through.
    assert answer["fields"] == 999
    assert answer["pings_during_parse"] > 0


async def test_a_form_of_1001_fields_is_refused_with_413(server: Server) -> None:
    body = "&".join(f"f{i}=v" for i in range(1001))
    form = {"content-type": "application/x-www-form-urlencoded"}
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT) as http:
        answer = await http.post("/form", content=body, headers=form)
    assert (answer.status_code, answer.text) == (413, "form has more than 1000 fields")


async def test_a_malformed_multipart_body_prints_no_bare_line(server: Server) -> None:
    bad = b"--x\r\n"  # python-multipart warns "Expected boundary character"
    headers = {"content-type": "multipart/form-data; boundary=b"}
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT) as http:
        answer = await http.post("/upload", content=bad, headers=headers)
        assert (await http.get("/ping")).status_code == 200
    assert answer.status_code == 400
    output = server.output
    lines = output.splitlines()
    assert all(
        line.split(":", 1)[0] in ("INFO", "WARNING", "EVENT") for line in lines
    ), output


async def test_spangle_log_lines_look_like_uvicorns(server: Server) -> None:
    async with connect(server.ws_url + "/ws/text") as ws:
        await ws.send(b"binary")
        assert (await close_of(ws))[0] == 1003
    line = await asyncio.to_thread(server.wait_for_line, "closed WebSocket /ws/text")
    assert line == "INFO:     closed WebSocket /ws/text: 1003: expected a text frame"


async def test_spangle_log_lines_follow_the_log_level(quiet_server: Server) -> None:
    async with connect(quiet_server.ws_url + "/ws/text") as ws:
        await ws.send(b"binary")
        assert (await close_of(ws))[0] == 1003
    async with connect(quiet_server.ws_url + "/ws/text") as ws:
        await ws.send("after")  # served after the first one's log line
        assert await ws.recv() == "after"
    assert "closed WebSocket" not in quiet_server.output
    assert "Uvicorn running on" not in quiet_server.output


def _masked_frame(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


def _answer_to_invalid_utf8(port: int) -> int | None:
    """Send a text frame that is not UTF-8; return the close code, or `None`
    when the server failed the connection without a close frame (both are
    what RFC 6455 §8.1 asks)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(HANDSHAKE)
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101"), head
        sock.sendall(_masked_frame(0x1, b"ok \xff\xfe"))
        frame = b""
        while len(frame) < 4:
            chunk = sock.recv(4 - len(frame))
            if not chunk:
                assert frame == b"", frame
                return None
            frame += chunk
    assert frame[0] == 0x88, frame  # a close frame, unmasked
    return int(struct.unpack("!H", frame[2:4])[0])


async def test_invalid_utf8_from_a_client_fails_the_connection_with_no_error_logged(
    server: Server,
) -> None:
    assert await asyncio.to_thread(_answer_to_invalid_utf8, server.port) in (1007, None)
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT) as http:
        assert (await http.get("/ping")).status_code == 200
    assert_no_error_line(server)


def test_the_production_defaults_leave_permessage_deflate_off(server: Server) -> None:
    async def extensions() -> str | None:
        async with connect(server.ws_url + "/ws/text") as ws:
            assert ws.response is not None
            return ws.response.headers.get("sec-websocket-extensions")

    assert asyncio.run(extensions()) is None


async def test_the_deflate_flag_offers_permessage_deflate() -> None:
    with run_server(
        APP, server="spangle", extra_args=["--ws-per-message-deflate"]
    ) as s:
        async with connect(s.ws_url + "/ws/text") as ws:
            assert ws.response is not None
            offered = ws.response.headers.get("sec-websocket-extensions", "")
    assert offered.startswith("permessage-deflate")


@pytest.mark.parametrize(
    ("args", "frozen", "threshold"),
    [([], True, [10_000, 10, 10]), (["--no-gc-freeze"], False, [10_000, 10, 10])],
    ids=["defaults", "no-freeze"],
)
def test_spangle_run_applies_its_collector_policy_after_startup(
    args: list[str], frozen: bool, threshold: list[int]
) -> None:
    with run_server("tests.apps.collector:api", server="spangle", extra_args=args) as s:
        found = httpx.get(s.http_url + "/gc", timeout=TIMEOUT).json()
    assert found["threshold"] == threshold
    assert (found["frozen"] > 0) is frozen


async def test_spangle_run_holds_no_context_token_per_open_connection() -> None:
    with run_server("tests.apps.collector:api", server="spangle") as s:
        url = f"ws://127.0.0.1:{s.port}/idle"
        clients = [await connect(url, open_timeout=TIMEOUT) for _ in range(20)]
        try:
            for client in clients:
                assert await asyncio.wait_for(client.recv(), TIMEOUT) == "ready"
            found = httpx.get(s.http_url + "/tokens", timeout=TIMEOUT).json()
        finally:
            for client in clients:
                await client.close()
    assert found["tokens"] < 5
