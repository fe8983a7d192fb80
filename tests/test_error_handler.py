from __future__ import annotations

from spangle import Api, ErrorHandler, Request, Response
from spangle._internal.errors import HandlerTable


class Base(Exception):
    pass


class Child(Base):
    pass


def text_handler(text: str) -> type:
    class Handler:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 418
            resp.text = text

    return Handler


def test_handle_registers_one_class_for_several_exceptions() -> None:
    handlers = ErrorHandler()
    cls = handlers.handle(KeyError, ValueError)(text_handler("x"))
    assert handlers.handlers == {KeyError: cls, ValueError: cls}


def test_handle_returns_the_class_unchanged() -> None:
    cls = text_handler("x")
    assert ErrorHandler().handle(KeyError)(cls) is cls


def test_lookup_follows_the_mro_to_the_closest_base() -> None:
    table = HandlerTable({Base: "base", Exception: "exception"})
    assert table.find(Child) == "base"
    assert table.find(ValueError) == "exception"
    assert HandlerTable({}).find(ValueError) is None


def test_lookup_prefers_an_exact_handler_over_a_base_one() -> None:
    table = HandlerTable({Base: "base", Child: "child"})
    assert table.find(Child) == "child"


async def test_an_error_handler_collection_answers_errors_of_subclasses() -> None:
    api = Api(static_dir=None)
    handlers = ErrorHandler()
    handlers.handle(Base)(text_handler("base"))
    api.add_error_handler(handlers)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise Child

    async with api.client() as client:
        answer = await client.get("/")
    assert (answer.status_code, answer.text) == (418, "base")


async def test_handlers_added_to_a_collection_later_are_picked_up() -> None:
    api = Api(static_dir=None)
    handlers = ErrorHandler()
    api.add_error_handler(handlers)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise Child

    async with api.client(raise_server_exceptions=False) as client:
        assert (await client.get("/")).status_code == 500
        handlers.handle(Child)(text_handler("child"))
        assert (await client.get("/")).text == "child"


async def test_the_handler_class_is_created_once_per_api() -> None:
    api = Api(static_dir=None)
    made: list[object] = []

    @api.handle(Base)
    class Counting:
        def __init__(self) -> None:
            made.append(self)

        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "handled"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise Base

    async with api.client() as client:
        await client.get("/")
        await client.get("/")
    assert len(made) == 1


def test_a_listener_hears_each_registration() -> None:
    handlers = ErrorHandler()
    heard: list[str] = []
    handlers.subscribe(lambda: heard.append("changed"))
    handlers.handle(KeyError, ValueError)(text_handler("x"))
    assert heard == ["changed"]
