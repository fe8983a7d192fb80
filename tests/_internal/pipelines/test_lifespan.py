from __future__ import annotations

import contextlib
import logging
from typing import Any

import pytest

from spangle import Api, Blueprint, use_api
from spangle._internal.asgi import Message
from spangle._internal.pipelines.lifespan import serve_lifespan


async def run_lifespan(api: Api, *events: str) -> list[Message]:
    """Feed lifespan events to the app and collect what it answers.

    A failure is re-raised after its report; the report is what matters here.
    """
    incoming = [{"type": f"lifespan.{event}"} for event in events]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    with contextlib.suppress(Exception):
        await api(scope, receive, send)
    return sent


async def test_on_start_and_on_stop_run_sync_and_async_functions() -> None:
    api = Api(static_dir=None)
    events: list[str] = []

    @api.on_start
    def sync_start() -> None:
        events.append("sync start")

    @api.on_start
    async def async_start() -> None:
        events.append("async start")

    @api.on_stop
    def sync_stop() -> None:
        events.append("sync stop")

    @api.on_stop
    async def async_stop() -> None:
        events.append("async stop")

    async with api.client():
        assert events == ["sync start", "async start"]
    assert events[2:] == ["sync stop", "async stop"]


async def test_components_start_before_and_stop_after_lifespan_functions() -> None:
    events: list[str] = []

    class Db:
        def startup(self) -> None:
            events.append("component start")

        def shutdown(self) -> None:
            events.append("component stop")

    api = Api(static_dir=None, components=[Db])
    # Registered in the opposite order on purpose.
    api.on_stop(lambda: events.append("stop function"))
    api.on_start(lambda: events.append("start function"))
    async with api.client():
        pass
    assert events == [
        "component start",
        "start function",
        "stop function",
        "component stop",
    ]


async def test_add_lifespan_handler_registers_for_either_event() -> None:
    api = Api(static_dir=None)
    events: list[str] = []
    api.add_lifespan_handler("startup", lambda: events.append("start"))
    api.add_lifespan_handler("shutdown", lambda: events.append("stop"))
    async with api.client():
        pass
    assert events == ["start", "stop"]


async def test_add_lifespan_handler_refuses_an_unknown_event() -> None:
    with pytest.raises(ValueError, match="'startup' or 'shutdown'"):
        Api().add_lifespan_handler("boot", lambda: None)  # type: ignore[arg-type]


async def test_lifespan_functions_run_inside_the_api_context() -> None:
    api = Api(static_dir=None)
    seen: list[Api] = []
    api.on_start(lambda: seen.append(use_api()))
    api.on_stop(lambda: seen.append(use_api()))
    async with api.client():
        pass
    assert seen == [api, api]


async def test_a_failing_startup_reports_startup_failed_with_the_message(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api(static_dir=None)
    later: list[str] = []

    @api.on_start
    def connect() -> None:
        raise RuntimeError("database unreachable")

    api.on_start(lambda: later.append("ran"))
    with caplog.at_level(logging.ERROR, logger="spangle"):
        sent = await run_lifespan(api, "startup")
    assert len(sent) == 1
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "database unreachable" in sent[0]["message"]
    assert "connect" in sent[0]["message"]
    assert later == []
    assert "connect failed" in caplog.text


async def test_a_failing_startup_is_re_raised_after_its_report() -> None:
    api = Api(static_dir=None)

    @api.on_start
    def connect() -> None:
        raise ConnectionError("db down")

    # The test client (asgi-lifespan) reads the exception, not the report.
    with pytest.raises(ConnectionError, match="db down"):
        async with api.client():
            pass


async def test_a_failing_component_startup_stops_the_startup() -> None:
    class Broken:
        async def startup(self) -> None:
            raise OSError("no route to host")

    api = Api(static_dir=None, components=[Broken])
    sent = await run_lifespan(api, "startup")
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "Broken.startup" in sent[0]["message"]
    assert "no route to host" in sent[0]["message"]


async def test_a_failing_shutdown_still_runs_the_rest_and_reports_it() -> None:
    api = Api(static_dir=None)
    stopped: list[str] = []

    @api.on_stop
    def first() -> None:
        raise RuntimeError("flush failed")

    api.on_stop(lambda: stopped.append("second"))
    sent = await run_lifespan(api, "startup", "shutdown")
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.failed",
    ]
    assert "flush failed" in sent[1]["message"]
    assert stopped == ["second"]


async def test_startup_and_shutdown_complete_without_functions() -> None:
    sent = await run_lifespan(Api(static_dir=None), "startup", "shutdown")
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


async def test_serve_lifespan_ignores_unknown_messages() -> None:
    incoming: list[Message] = [
        {"type": "lifespan.unknown"},
        {"type": "lifespan.startup"},
        {"type": "lifespan.shutdown"},
    ]
    sent: list[Any] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message["type"])

    await serve_lifespan([], [], receive, send)
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_blueprint_lifespan_functions_run_after_the_apis() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    events: list[str] = []
    bp.on_start(lambda: events.append("blueprint"))
    api.add_blueprint("/bp", bp)
    api.on_start(lambda: events.append("api"))
    async with api.client():
        pass
    assert events == ["api", "blueprint"]


async def test_with_several_shutdown_failures_the_first_is_reported(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api(static_dir=None)

    @api.on_stop
    def first() -> None:
        raise RuntimeError("one")

    @api.on_stop
    def second() -> None:
        raise RuntimeError("two")

    with caplog.at_level(logging.ERROR, logger="spangle"):
        sent = await run_lifespan(api, "startup", "shutdown")
    assert sent[1]["message"].endswith("first failed: RuntimeError: one")
    assert "<locals>.first failed" in caplog.text
    assert "<locals>.second failed" in caplog.text
