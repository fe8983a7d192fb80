"""Through uvicorn: the server process's CPU time per message or request.

uvicorn runs each app in a subprocess on a free 127.0.0.1 port with
`--loop uvloop --http httptools --ws websockets`; the load comes from other
processes (`websockets` clients, `wrk`). CPU time (utime + stime from
`/proc/<pid>/stat`) is read just before and just after the load, so it
counts the messages only, not start-up or handshakes, and it is steadier
than throughput when other work shares the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from bench.apps import MODULES
from bench.drivers import HELLO
from bench.scenarios import ROOT, ScenarioError

#: uvicorn's default (`auto`) WebSocket implementation, which the figures
#: of every framework use unless `--ws` names another: `websockets-sansio`,
#: built on the `websockets` library's Sans-I/O core. `spangle run` serves
#: with `wsproto` instead (it passes every Autobahn|Testsuite case).
WS_IMPLEMENTATION = "websockets-sansio"
WS_IMPLEMENTATIONS = ("websockets-sansio", "wsproto", "websockets")


def uvicorn_options(ws: str = WS_IMPLEMENTATION) -> tuple[str, ...]:
    """Return uvicorn's options for a bench server.

    Args:
        ws: uvicorn's WebSocket implementation.

    Returns:
        The command-line options after the app.
    """
    return (
        *("--loop", "uvloop", "--http", "httptools", "--ws", ws),
        *("--lifespan", "on", "--no-access-log", "--log-level", "warning"),
    )


READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
WRK_CONNECTIONS = 50
_TICKS = os.sysconf("SC_CLK_TCK")
_WRK_TOTAL = re.compile(r"(\d+) requests in ([\d.]+)(m?s)")
# The server keeps one core and the load another, so that neither pays for
# migrations and cold caches; with a single core both share it.
_CPUS = sorted(os.sched_getaffinity(0))
SERVER_CPUS = {_CPUS[0]}
LOAD_CPUS = {_CPUS[-1]}


def _pin(cpus: set[int]) -> None:
    os.sched_setaffinity(0, cpus)


@dataclass
class Server:
    """A running uvicorn process.

    Attributes:
        port: Its port on 127.0.0.1.
        process: The process.
        log: Its output file.
    """

    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def cpu_seconds(self) -> float:
        """Return the CPU time the server process has used so far."""
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
        # Fields 14 and 15 of proc(5), utime and stime, counted after the name.
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def output(self) -> str:
        """Return what the server printed so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn(
    app: str,
    wrapper: Sequence[str] = (),
    ready_timeout: float = READY_TIMEOUT,
    env: Mapping[str, str] | None = None,
    ws: str = WS_IMPLEMENTATION,
) -> Iterator[Server]:
    """Serve a bench app with uvicorn until the block ends.

    Args:
        app: A framework name of `bench.apps.MODULES`.
        wrapper: A command that runs uvicorn, such as valgrind's.
        ready_timeout: Seconds to wait for the first answer.
        env: The server's environment; this process's when `None`.
        ws: uvicorn's WebSocket implementation.

    Yields:
        The server, answering `GET /`.
    """
    port = free_port()
    target = f"{MODULES[app]}:app"
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1"]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [*wrapper, *command, "--port", str(port), *uvicorn_options(ws)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=partial(_pin, SERVER_CPUS),
        )
        server = Server(port, process, log)
        try:
            _wait_ready(server, ready_timeout)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)


def _wait_ready(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{server.port}/"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ScenarioError(f"uvicorn exited: {server.output()[-500:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read() == HELLO:
                    return
                raise ScenarioError(f"GET / answered {response.status}")
        except OSError:
            time.sleep(0.05)  # not listening yet
    raise ScenarioError(f"uvicorn not ready in {timeout} s")


class EchoClients:
    """WebSocket echo clients in a process of their own, kept across runs.

    The clients connect once and warm up; each `run()` then plays ping-pong
    for the given seconds and reads the server's CPU time around it, so
    that rounds pay neither process start-up nor handshakes.
    """

    def __init__(self, server: Server, clients: int, seconds: float) -> None:
        """Start the client process and wait until its sockets are open.

        Args:
            server: The running server.
            clients: Concurrent connections, each playing ping-pong.
            seconds: How long each run sends.

        Raises:
            ScenarioError: The client process failed to connect.
        """
        self._server = server
        self._seconds = seconds
        url = f"ws://127.0.0.1:{server.port}/ws"
        command = [sys.executable, "-m", "bench.scenarios.ws_client", url]
        args = ["--clients", str(clients), "--seconds", str(seconds)]
        self._process = subprocess.Popen(
            [*command, *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=partial(_pin, LOAD_CPUS),
        )
        if self._read_line(READY_TIMEOUT).strip() != "ready":
            raise ScenarioError(f"ws client: {_tail(self._process)}")

    def run(self) -> dict[str, Any]:
        """Measure the server's CPU time per echoed message, once.

        Returns:
            `messages`, `rate` (messages/s), `cpu` (seconds) and `value`
            (server CPU µs per message).

        Raises:
            ScenarioError: The client process failed.
        """
        stdin = self._process.stdin
        assert stdin is not None
        before = self._server.cpu_seconds()
        stdin.write("go\n")
        stdin.flush()
        line = self._read_line(self._seconds + 60)
        cpu = self._server.cpu_seconds() - before
        if not line:
            raise ScenarioError(f"ws client: {_tail(self._process)}")
        result = json.loads(line)
        messages = result["messages"]
        return {
            "messages": messages,
            "rate": messages / result["elapsed"],
            "cpu": cpu,
            "value": cpu / messages * 1e6,
        }

    def close(self) -> None:
        """Let the clients close their sockets and end, or kill them."""
        process = self._process
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_TIMEOUT)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> EchoClients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_line(self, timeout: float) -> str:
        # A stuck client is killed, which ends the read with "".
        stdout = self._process.stdout
        assert stdout is not None
        watchdog = threading.Timer(timeout, self._process.kill)
        watchdog.start()
        try:
            return stdout.readline()
        finally:
            watchdog.cancel()


def _tail(process: subprocess.Popen[str]) -> str:
    process.kill()
    _, err = process.communicate(timeout=STOP_TIMEOUT)
    return " | ".join(err.strip().splitlines()[-3:])


def http_cpu(server: Server, seconds: int, warmup: bool) -> dict[str, Any]:
    """Measure the server's CPU time per `GET /` under `wrk`.

    Args:
        server: The running server.
        seconds: How long wrk runs (whole seconds).
        warmup: Whether to run wrk for one second first, unmeasured.

    Returns:
        `requests`, `rate` (requests/s), `cpu` (seconds) and `value`
        (server CPU µs per request).

    Raises:
        ScenarioError: wrk is missing, failed, or saw errors.
    """
    if shutil.which("wrk") is None:
        raise ScenarioError("wrk is not installed (apt-get install wrk)")
    if warmup:
        wrk(server.port, 1)
    before = server.cpu_seconds()
    output = wrk(server.port, seconds)
    cpu = server.cpu_seconds() - before
    requests, elapsed = wrk_totals(output)
    return {
        "requests": requests,
        "rate": requests / elapsed,
        "cpu": cpu,
        "value": cpu / requests * 1e6,
    }


def wrk_totals(output: str) -> tuple[int, float]:
    """Read how many requests a wrk run made, all answered 2xx, and in what time.

    Args:
        output: What wrk printed.

    Returns:
        The request count and the run's duration in seconds.

    Raises:
        ScenarioError: The output has no totals, or reports errors.
    """
    found = _WRK_TOTAL.search(output)
    if found is None or "Non-2xx" in output or "Socket errors" in output:
        raise ScenarioError(f"wrk: {output.strip()[-300:]}")
    elapsed = float(found.group(2)) / (1000 if found.group(3) == "ms" else 1)
    return int(found.group(1)), elapsed


def wrk(port: int, seconds: int, connections: int = WRK_CONNECTIONS) -> str:
    """Run wrk against `GET /` on the load's core.

    Args:
        port: The server's port on 127.0.0.1.
        seconds: How long it runs (whole seconds).
        connections: How many connections it keeps busy.

    Returns:
        What wrk printed.

    Raises:
        ScenarioError: wrk failed.
    """
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    done = subprocess.run(
        [*command, f"http://127.0.0.1:{port}/"],
        capture_output=True,
        text=True,
        preexec_fn=partial(_pin, LOAD_CPUS),
        timeout=seconds + 30,
        check=False,
    )
    if done.returncode != 0:
        raise ScenarioError(f"wrk failed: {done.stderr.strip()[-300:]}")
    return done.stdout
