"""How long one large request body keeps the event loop from the others.

`python -m bench.stall` serves `bench.apps.bodies` with `spangle run` and,
for each body, posts it on one connection while another connection sends
`GET /ping` back to back; it prints the longest ping round trip seen while
the body was being served (the stall), the ping's median round trip outside
of it, the post's status and its duration. `--checkout PATH` serves the
spangle of another checkout instead (e.g. to compare with main).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from statistics import median

import httpx

from bench.scenarios import ROOT
from bench.scenarios.server import free_port

MiB = 1024 * 1024
READY_TIMEOUT = 30.0
TIMEOUT = 120.0


def _objects(size: int) -> bytes:
    items: list[str] = []
    total = 0
    while total < size - 64:
        item = json.dumps(
            {"id": len(items), "name": f"user{len(items)}", "tags": ["a"]}
        )
        items.append(item)
        total += len(item) + 1
    return ('{"items":[' + ",".join(items) + "]}").encode()


def _fields(count: int, size: int) -> bytes:
    value = "%41" * ((size // count - 8) // 3)
    return "&".join(f"f{i}={value}" for i in range(count)).encode()


FORM = "application/x-www-form-urlencoded"
BODIES = {
    "JSON 512 KiB": ("application/json", lambda: _objects(512 * 1024)),
    "JSON 1 MiB": ("application/json", lambda: _objects(MiB)),
    "JSON 10 MiB": ("application/json", lambda: _objects(10 * MiB - 4096)),
    "form 10 MiB, 1M fields": (
        FORM,
        lambda: "&".join(f"f{i}=v{i}" for i in range(1_000_000)).encode()[
            : 10 * MiB - 4096
        ],
    ),
    "form 10 MiB, 999 fields": (FORM, lambda: _fields(999, 10 * MiB - 4096)),
}


@contextmanager
def _server(checkout: str | None) -> Iterator[int]:
    port = free_port()
    with tempfile.TemporaryDirectory() as here:
        # The app is copied beside nothing else, so that `spangle` comes
        # from the checkout on PYTHONPATH (or this one's install).
        shutil.copy(ROOT / "bench" / "apps" / "bodies.py", here)
        env = {**os.environ, "PYTHONPATH": checkout or str(ROOT)}
        command = [sys.executable, "-m", "spangle", "run", "bodies:api"]
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            cwd=here,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield port
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def _ready(http: httpx.AsyncClient) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            await http.get("/ping")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)  # the server is starting


async def _measure(port: int, content_type: str, body: bytes) -> dict[str, float]:
    base = f"http://127.0.0.1:{port}"
    async with (
        httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as pinger,
        httpx.AsyncClient(base_url=base, timeout=TIMEOUT) as poster,
    ):
        await _ready(pinger)
        idle = []
        for _ in range(200):
            start = time.perf_counter()
            await pinger.get("/ping")
            idle.append(time.perf_counter() - start)
        started = time.perf_counter()
        post = asyncio.create_task(
            poster.post("/parse", content=body, headers={"content-type": content_type})
        )
        worst = 0.0
        while not post.done():
            start = time.perf_counter()
            await pinger.get("/ping")
            worst = max(worst, time.perf_counter() - start)
        answer = await post
        elapsed = time.perf_counter() - started
    return {
        "status": answer.status_code,
        "post_ms": elapsed * 1000,
        "stall_ms": worst * 1000,
        "ping_ms": median(idle) * 1000,
    }


def main() -> None:
    """Measure every body once against one server; print a line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkout", help="root of another spangle checkout")
    args = parser.parse_args()
    label = args.checkout or "this checkout"
    print(f"{label}: longest GET /ping while a body is served (spangle run)")
    with _server(args.checkout) as port:
        for name, (content_type, make) in BODIES.items():
            result = asyncio.run(_measure(port, content_type, make()))
            print(
                f"  {name:<26} status {result['status']}  stall "
                f"{result['stall_ms']:7.1f} ms  (ping {result['ping_ms']:.2f} ms, "
                f"post {result['post_ms']:.0f} ms)",
                flush=True,
            )


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
