"""SIGTERM with open WebSockets, one of whose clients never reads.

Under `spangle run`, and under plain uvicorn with a graceful timeout, every
connection is closed with 1012 (the normal clients see it), each view sees
`WebSocketDisconnect`, the after-hooks, stop functions, component shutdowns
and the Broadcast drain run, and the process exits. hypercorn cancels the
connections when its graceful timeout ends: the clients then see 1001 and
the rest runs too. (A client that never reads holds hypercorn's shutdown
forever, with any ASGI app: it is left out of the hypercorn case; and
hypercorn's asyncio server logs a traceback of its own for each connection it
cancels.)
"""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests.support.server import Server, run_server
from tests.support.ws_client import close_of, recv

APP = "tests.apps.shutdown:api"
NORMAL_CLIENTS = 3
# A bound, not a speed: a shutdown that hangs fails here.
EXIT_TIMEOUT = 20.0
HANDSHAKE = (
    b"GET /ws/flood HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


@dataclass
class Case:
    server: str
    args: list[str]
    silent_client: bool
    close_code: int
    echo_view_saw: str


CASES = {
    "spangle-run": Case(
        "spangle",
        ["--timeout-graceful-shutdown", "1"],
        True,
        1012,
        "WebSocketDisconnect 1012",
    ),
    "uvicorn": Case(
        "uvicorn",
        ["--timeout-graceful-shutdown", "1"],
        True,
        1012,
        "WebSocketDisconnect 1012",
    ),
    "hypercorn": Case(
        "hypercorn", ["--graceful-timeout", "1"], False, 1001, "CancelledError"
    ),
}


@dataclass
class Outcome:
    case: Case
    server: Server
    codes: list[int | None]

    @property
    def events(self) -> list[str]:
        prefix = "EVENT "
        lines = self.server.output.splitlines()
        return [line[len(prefix) :] for line in lines if line.startswith(prefix)]


def open_silent_websocket(port: int) -> socket.socket:
    """Open a WebSocket, read the handshake answer, then never read again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(EXIT_TIMEOUT)
    sock.connect(("127.0.0.1", port))
    sock.sendall(HANDSHAKE)
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)  # byte by byte: leave the frames unread
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def open_clients(server: Server) -> list[ClientConnection]:
    clients = [await connect(server.ws_url + "/ws/echo") for _ in range(NORMAL_CLIENTS)]
    for ws in clients:
        await ws.send("hi")
        assert await recv(ws) == "hi"
    return clients


async def _shut_down(case: Case, server: Server) -> list[int | None]:
    clients = await open_clients(server)
    silent = None
    if case.silent_client:
        silent = await asyncio.to_thread(open_silent_websocket, server.port)
        await asyncio.to_thread(server.wait_for_line, "EVENT flood view sending")
    try:
        server.process.send_signal(signal.SIGTERM)
        codes = [(await close_of(ws))[0] for ws in clients]
        try:
            await asyncio.to_thread(server.process.wait, EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the server did not exit; output:\n{server.output}")
        return codes
    finally:
        if silent is not None:
            silent.close()


@pytest.fixture(scope="module", params=sorted(CASES))
def outcome(request: pytest.FixtureRequest) -> Outcome:
    """Serve the app, open the connections, send SIGTERM, wait for the exit."""
    case = CASES[request.param]
    with run_server(APP, server=case.server, extra_args=case.args) as server:
        codes = asyncio.run(_shut_down(case, server))
        return Outcome(case, server, codes)


def test_sigterm_closes_the_normal_clients(outcome: Outcome) -> None:
    assert outcome.codes == [outcome.case.close_code] * NORMAL_CLIENTS


def test_sigterm_ends_every_view_and_runs_its_after_hook(outcome: Outcome) -> None:
    events = outcome.events
    expected = f"echo view saw {outcome.case.echo_view_saw}"
    assert events.count(expected) == NORMAL_CLIENTS
    assert events.count("after hook /ws/echo") == NORMAL_CLIENTS


def test_sigterm_ends_the_view_of_a_client_that_never_reads(outcome: Outcome) -> None:
    if not outcome.case.silent_client:
        pytest.skip("hypercorn never finishes shutting down with such a client")
    events = outcome.events
    assert events.count("flood view saw WebSocketDisconnect 1012") == 1
    assert events.count("after hook /ws/flood") == 1


def test_sigterm_runs_the_shutdown_after_the_views(outcome: Outcome) -> None:
    events = outcome.events
    last_hook = max(i for i, event in enumerate(events) if event.startswith("after"))
    assert events[last_hook + 1 :] == [
        "stop function",
        "broadcast drained",
        "component shutdown",
    ]


def test_sigterm_ends_the_process_by_itself(outcome: Outcome) -> None:
    # uvicorn re-raises the signal it handled once it has shut down.
    assert outcome.server.process.returncode in (0, -signal.SIGTERM)


def test_sigterm_logs_no_traceback_of_the_app(outcome: Outcome) -> None:
    output = outcome.server.output
    for marker in ("Exception in ASGI application", "Error in ASGI Framework"):
        assert marker not in output, output
    frames = [line for line in output.splitlines() if line.startswith("  File ")]
    assert not [f for f in frames if "/spangle/" in f or "/tests/" in f], output
    if outcome.case.server != "hypercorn":
        # hypercorn's asyncio server logs a traceback of its own for each
        # connection it cancels, whatever the app.
        assert "Traceback" not in output, output
    if outcome.case.server == "spangle":
        assert "ERROR" not in output, output


def test_spangle_run_closes_every_connection_before_uvicorn_gives_up(
    outcome: Outcome,
) -> None:
    if outcome.case.server != "spangle":
        pytest.skip("plain uvicorn cancels the stuck view itself, logging an ERROR")
    assert "timeout graceful shutdown exceeded" not in outcome.server.output
