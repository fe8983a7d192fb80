from __future__ import annotations

import os
import runpy
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from spangle import Api, cli
from spangle._internal.client import client_source
from tests.support.server import READY_TIMEOUT, ROOT, Server, _pump, free_port, stop


@pytest.fixture(autouse=True)
def keep_sys_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`main()` makes the current directory importable; undo it after each test."""
    monkeypatch.setattr(sys, "path", list(sys.path))


def spangle(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m spangle` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "spangle", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("tests.apps.nothing_here:api", "no module named 'tests.apps.nothing_here'"),
        ("tests.apps.echo:nope", "module 'tests.apps.echo' has no attribute 'nope'"),
        ("tests.apps.echo:Echo", "tests.apps.echo:Echo is a type, not a spangle Api"),
        ("tests.apps.echo", "expected MODULE:ATTRIBUTE, got 'tests.apps.echo'"),
        (".echo:api", "'.echo' is not an absolute module name"),
    ],
    ids=["no-module", "no-attribute", "not-an-api", "no-colon", "relative"],
)
@pytest.mark.parametrize("command", ["urls-ts", "run"])
def test_bad_input_prints_one_line_and_exits_2(
    command: str, target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([command, target]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"spangle: error: {message}\n")


def test_python_m_spangle_exits_2_on_bad_input() -> None:
    done = spangle("urls-ts", "tests.apps.echo:nope")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1


def test_the_package_runs_as_a_module(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["spangle", "urls-ts", "tests.apps.echo:nope"])
    monkeypatch.delitem(sys.modules, "spangle.__main__", raising=False)
    with pytest.raises(SystemExit) as exited:
        runpy.run_module("spangle", run_name="__main__")
    assert exited.value.code == 2


def test_urls_ts_prints_the_typescript_module(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["urls-ts", "tests.apps.urls:api"]) == 0
    out, err = capsys.readouterr()
    assert "export const urlFor" in out
    assert '"tests.apps.urls.Index": tag`/`,' in out
    assert err == ""


def test_the_current_directory_is_made_importable_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "path", ["", *(p for p in sys.path if p != "")])
    cli.load_api("tests.apps.urls:api")
    assert sys.path.count("") == 1


def test_a_dotted_attribute_is_followed() -> None:
    with pytest.raises(cli.CliError, match="api.debug is a bool"):
        cli.load_api("tests.apps.urls:api.debug")


@pytest.mark.parametrize(
    "option",
    [
        ["--ws", "auto"],
        ["--timeout-graceful-shutdown", "-1"],
        ["--timeout-graceful-shutdown", "nan"],
        ["--log-level", "loud"],
        ["--limit-concurrency", "0"],
        ["--gc-threshold", "1000,10"],
        ["--gc-threshold", "a,b,c"],
        ["--gc-threshold", "-1,10,10"],
        ["--gc-thaw-ratio", "0.5"],
    ],
)
def test_bad_run_options_are_refused_with_status_2(option: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "tests.apps.echo:api", *option])
    assert exited.value.code == 2


def test_run_help_describes_every_production_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag in (
        "--ws {wsproto,websockets,websockets-sansio}",
        "--ws-per-message-deflate offer permessage-deflate",
        "--ws-ping-interval SECONDS ping",
        "--ws-ping-timeout SECONDS close",
        "--limit-concurrency N answer 503",
        "--timeout-graceful-shutdown SECONDS on SIGTERM/SIGINT",
        "--log-level {critical,error,warning,info,debug,trace} level",
    ):
        assert flag in text


def test_workers_below_one_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["run", "tests.apps.echo:api", "--workers", "0"])
    assert exited.value.code == 2
    assert "must be at least 1" in capsys.readouterr().err


def get_once_listening(url: str) -> httpx.Response:
    """GET a URL, retrying while the port refuses connections.

    With `--workers` or `--reload`, uvicorn binds the socket in the parent but
    a worker starts listening only after its startup, and logs nothing then.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            return httpx.get(url, timeout=READY_TIMEOUT)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # polling a port of another process, bounded


@pytest.mark.parametrize(
    "options",
    [[], ["--workers", "2"], ["--reload"]],
    ids=["plain", "workers", "reload"],
)
def test_run_serves_the_app_on_the_given_host_and_port(options: list[str]) -> None:
    port = free_port()
    command = [sys.executable, "-m", "spangle", "run", "tests.apps.echo:api"]
    command += ["--host", "127.0.0.1", "--port", str(port), *options]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(port, process)
    server._reader = threading.Thread(
        target=_pump, args=(process.stdout, server._queue), daemon=True
    )
    server._reader.start()
    try:
        server.wait_for_line(f"Uvicorn running on http://127.0.0.1:{port}")
        server.wait_for_line("Application startup complete.")
        answer = get_once_listening(server.http_url + "/")
    finally:
        stop(server)
    assert answer.status_code == 200
    assert "hi" in answer.text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            [],
            {
                "app": "api",
                "reload": False,
                "workers": 1,
                "lifespan": "on",
                "ws": "wsproto",
                "ws_per_message_deflate": False,
                "timeout_graceful_shutdown": 5.0,
                "log_level": "info",
            },
        ),
        (
            ["--ws", "websockets-sansio", "--ws-per-message-deflate"],
            {"ws": "websockets-sansio", "ws_per_message_deflate": True},
        ),
        (
            ["--timeout-graceful-shutdown", "1.5", "--log-level", "warning"],
            {"timeout_graceful_shutdown": 1.5, "log_level": "warning"},
        ),
        (["--limit-concurrency", "100"], {"limit_concurrency": 100}),
        (["--reload"], {"app": "tests.apps.echo:api", "reload": True}),
        (["--workers", "3"], {"app": "tests.apps.echo:api", "workers": 3}),
        (["--port", "9123", "--host", "0.0.0.0"], {"port": 9123, "host": "0.0.0.0"}),
    ],
    ids=["defaults", "ws", "shutdown-log", "limit", "reload", "workers", "host-port"],
)
def test_run_hands_its_options_to_uvicorn(
    monkeypatch: pytest.MonkeyPatch, options: list[str], expected: dict[str, Any]
) -> None:
    from spangle._internal import serving
    from tests.apps.echo import api

    calls: list[dict[str, Any]] = []

    def fake_run(app: Any, **kwargs: Any) -> bool:
        calls.append({"app": "api" if app is api else app, **kwargs})
        return True

    monkeypatch.setattr(serving, "run", fake_run)
    assert cli.main(["run", "tests.apps.echo:api", *options]) == 0
    assert expected.items() <= calls[0].items()


@pytest.mark.parametrize(
    ("options", "freeze", "threshold", "ratio"),
    [
        ([], True, (10_000, 10, 10), 2.0),
        (["--no-gc-freeze", "--gc-threshold", "700,10,10"], False, (700, 10, 10), 2.0),
        (["--gc-thaw-ratio", "4"], True, (10_000, 10, 10), 4.0),
    ],
    ids=["defaults", "python-default", "ratio"],
)
def test_run_hands_its_collector_policy_to_the_server(
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    freeze: bool,
    threshold: tuple[int, int, int],
    ratio: float,
) -> None:
    from spangle._internal import serving

    policies: list[Any] = []

    def fake_run(app: Any, **kwargs: Any) -> bool:
        policies.append(kwargs["collector"])
        return True

    monkeypatch.setattr(serving, "run", fake_run)
    assert cli.main(["run", "tests.apps.echo:api", *options]) == 0
    policy = policies[0]
    assert (policy.freeze, policy.threshold, policy.thaw_ratio) == (
        freeze,
        threshold,
        ratio,
    )


def test_run_refuses_to_serve_an_app_whose_startup_fails() -> None:
    command = [sys.executable, "-m", "spangle", "run", "tests.apps.lifespan:failing"]
    command += ["--port", str(free_port())]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=READY_TIMEOUT
    )
    assert done.returncode != 0
    assert "cannot reach the database at db:5432" in done.stderr
    assert "Uvicorn running on" not in done.stderr


def test_urls_ts_refuses_two_views_with_one_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.apps import urls

    twin = type("Index", (urls.Index,), {"__module__": urls.Index.__module__})
    monkeypatch.setattr(urls, "api", Api(static_dir=None))
    urls.api.route("/one")(urls.Index)
    urls.api.route("/two")(twin)
    assert cli.main(["urls-ts", "tests.apps.urls:api"]) == 2
    message = "several views are named tests.apps.urls.Index; rename them"
    assert capsys.readouterr().err == f"spangle: error: {message}\n"


def test_client_js_prints_the_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["client-js"]) == 0
    assert capsys.readouterr().out == client_source()


def test_client_js_types_prints_its_declarations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["client-js", "--types"]) == 0
    assert "export declare class Room" in capsys.readouterr().out


def test_client_js_out_writes_both_files(tmp_path: Path) -> None:
    assert cli.main(["client-js", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "spangle.js").read_text() == client_source()
    assert (tmp_path / "spangle.d.ts").read_text() == client_source(types=True)


def test_client_js_into_an_unwritable_place_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["client-js", "--out", str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.startswith("spangle: error: cannot write to")
