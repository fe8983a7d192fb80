"""A fresh virtualenv with the wheel: the core alone serves HTTP and WebSocket.

The virtualenvs install from the package index the machine is set up with,
as a user's would.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.dist import built
from tests.support.server import free_port, stop, watch

INSTALL_TIMEOUT = 300.0
OPTIONAL = {
    "httpx",
    "asgi-lifespan",
    "jinja2",
    "redis",
    "uvloop",
    "httptools",
    "websockets",
    "watchfiles",
}
# HTTP at / and a WebSocket echo at /echo, importing nothing but spangle.
HELLO = Path(__file__).resolve().parents[1] / "apps" / "echo.py"


def _venv(path: Path, requirement: str) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", requirement],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def _installed(python: Path) -> set[str]:
    done = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return {entry["name"].lower() for entry in json.loads(done.stdout)}


def _python_says(python: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel and no extra; its python."""
    return _venv(tmp_path_factory.mktemp("bare"), str(built().wheel))


@pytest.fixture
def served(bare: Path, tmp_path: Path) -> Iterator[str]:
    """A small app served by `spangle run` from the bare virtualenv; its URL."""
    shutil.copy(HELLO, tmp_path / "app.py")
    port = free_port()
    process = subprocess.Popen(
        [str(bare.parent / "spangle"), "run", "app:api", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = watch(process, port)
    try:
        server.wait_for_line("Uvicorn running on")
        yield f"127.0.0.1:{port}"
    finally:
        stop(server)
    assert "Traceback" not in server.output, server.output


@pytest.mark.timeout(600)
def test_the_bare_wheel_installs_no_optional_dependency(bare: Path) -> None:
    installed = _installed(bare)
    assert {"spangle", "starlette", "uvicorn", "wsproto"} <= installed
    assert not installed & OPTIONAL


@pytest.mark.timeout(600)
def test_the_bare_environment_is_consistent(bare: Path) -> None:
    done = subprocess.run(
        [str(bare), "-m", "pip", "check"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.timeout(600)
def test_the_bare_wheel_serves_http_behind_uvicorn(served: str) -> None:
    response = httpx.get(f"http://{served}/", timeout=10)
    assert response.text == "<h1>hi</h1>"


@pytest.mark.timeout(600)
async def test_the_bare_wheel_serves_websocket_behind_uvicorn(served: str) -> None:
    async with connect(f"ws://{served}/echo", open_timeout=10) as ws:
        await ws.send("ping")
        assert await asyncio.wait_for(ws.recv(), 10) == "ping"


@pytest.mark.timeout(600)
def test_the_test_client_without_its_extra_names_it(bare: Path) -> None:
    done = _python_says(bare, "import spangle.testing")
    assert "pip install 'spangle[testing]'" in done.stderr


@pytest.mark.timeout(600)
def test_a_redis_url_without_its_extra_names_it(bare: Path) -> None:
    done = _python_says(
        bare, "from spangle import Broadcast; Broadcast('redis://127.0.0.1:1/0')"
    )
    assert "pip install 'spangle[redis]'" in done.stderr


@pytest.mark.timeout(600)
def test_the_redis_extra_adds_redis_py(tmp_path: Path) -> None:
    python = _venv(tmp_path / "venv", f"{built().wheel}[redis]")
    assert "redis" in _installed(python)
    done = _python_says(
        python,
        """
        from spangle.broadcast.backends import backend_for_url
        print(type(backend_for_url("redis://127.0.0.1:1/0")).__name__)
        """,
    )
    assert done.stdout.strip() == "RedisBackend", done.stderr
