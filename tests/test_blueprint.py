from __future__ import annotations

import pytest

from spangle import Api, Blueprint, Connection, ErrorHandler, Request, Response
from spangle.blueprint import Registrar, Router, join_route


class Hello:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "hello"


def test_router_keeps_routes_in_registration_order() -> None:
    router = Router()
    router.add("/a", Hello)
    router.add("/b", Hello, routing="strict")
    assert [(r.path, r.routing) for r in router.routes] == [
        ("/a", None),
        ("/b", "strict"),
    ]


@pytest.mark.parametrize(
    ("prefix", "path", "joined"),
    [
        ("", "/", "/"),
        ("/api", "/", "/api/"),
        ("api/", "users", "/api/users"),
        ("/api", "/users/", "/api/users/"),
        ("/", "/users", "/users"),
        ("/api", "", "/api"),
    ],
)
def test_join_route_puts_one_slash_between_prefix_and_path(
    prefix: str, path: str, joined: str
) -> None:
    assert join_route(prefix, path) == joined


async def test_blueprint_routes_are_served_under_the_prefix() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    bp.route("/hello")(Hello)
    api.add_blueprint("/api", bp)
    async with api.client() as client:
        assert (await client.get("/api/hello")).text == "hello"
        assert (await client.get("/hello")).status_code == 404


async def test_blueprint_route_keeps_converters_and_routing() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()

    def upper(text: str) -> str:
        return text.upper()

    @bp.route("/shout/{word:up}", converters={"up": upper}, routing="strict")
    class Shout:
        async def on_get(self, req: Request, resp: Response, word: str) -> None:
            resp.text = word

    api.add_blueprint("/", bp)
    async with api.client() as client:
        assert (await client.get("/shout/hey")).text == "HEY"
        assert (await client.get("/shout/hey/")).status_code == 404


async def test_nested_blueprints_join_their_prefixes() -> None:
    api = Api(static_dir=None)
    outer, inner = Blueprint(), Blueprint()
    inner.route("/hello")(Hello)
    outer.add_blueprint("/v1", inner)
    api.add_blueprint("/api", outer)
    async with api.client() as client:
        assert (await client.get("/api/v1/hello")).text == "hello"
    assert api.url_for(Hello) == "/api/v1/hello"


async def test_a_blueprint_cannot_contain_itself() -> None:
    outer, inner = Blueprint(), Blueprint()
    outer.add_blueprint("/in", inner)
    with pytest.raises(ValueError, match="cannot contain itself"):
        inner.add_blueprint("/out", outer)
    with pytest.raises(ValueError, match="cannot contain itself"):
        outer.add_blueprint("/self", outer)


async def test_blueprint_error_handlers_reach_the_api() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()

    @bp.handle(KeyError)
    class Missing:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 404
            resp.text = "missing"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise KeyError("x")

    api.add_blueprint("/bp", bp)
    async with api.client() as client:
        answer = await client.get("/")
    assert (answer.status_code, answer.text) == (404, "missing")


async def test_the_apis_own_handler_wins_over_a_blueprints() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()

    def handler(text: str) -> type:
        class Handler:
            async def on_error(
                self, req: Request, resp: Response, e: Exception
            ) -> None:
                resp.text = text

        return Handler

    api.handle(KeyError)(handler("api"))
    bp.handle(KeyError)(handler("blueprint"))
    api.add_blueprint("/bp", bp)

    @bp.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise KeyError("x")

    async with api.client() as client:
        assert (await client.get("/bp/")).text == "api"


async def test_the_handler_registered_last_on_a_blueprint_wins() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    collection = ErrorHandler()

    @collection.handle(KeyError)
    class FromCollection:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "collection"

    bp.add_error_handler(collection)

    @bp.handle(KeyError)
    class Later:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "later"

    @bp.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise KeyError("x")

    api.add_blueprint("", bp)
    async with api.client() as client:
        assert (await client.get("/")).text == "later"


async def test_blueprint_hooks_run_for_every_request_and_connection() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    calls: list[str] = []

    @bp.before_request
    class Before:
        async def on_request(self, req: Request, resp: Response) -> None:
            calls.append("before http")

        async def on_ws(self, conn: Connection) -> None:
            calls.append("before ws")

    @bp.after_request
    class After:
        async def on_request(self, req: Request, resp: Response) -> None:
            calls.append("after http")

        async def on_ws(self, conn: Connection) -> None:
            calls.append("after ws")

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            calls.append("view")

        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("hi")

    api.add_blueprint("/bp", bp)
    async with api.client() as client:
        await client.get("/")
        async with client.ws_connect("/") as ws:
            await ws.receive(str)
    assert calls == ["before http", "view", "after http", "before ws", "after ws"]


async def test_blueprint_on_start_and_on_stop_reach_the_api() -> None:
    api = Api(static_dir=None)
    outer, inner = Blueprint(), Blueprint()
    events: list[str] = []

    @inner.on_start
    def start() -> None:
        events.append("start")

    @inner.on_stop
    async def stop() -> None:
        events.append("stop")

    inner.add_lifespan_handler("startup", lambda: events.append("handler"))
    outer.add_blueprint("/in", inner)
    api.add_blueprint("/out", outer)
    async with api.client():
        assert events == ["start", "handler"]
    assert events[-1] == "stop"


async def test_a_blueprint_added_twice_serves_both_prefixes_and_hooks_once() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    calls: list[str] = []

    @bp.before_request
    class Count:
        async def on_request(self, req: Request, resp: Response) -> None:
            calls.append(req.url.path)

    bp.route("/hello")(Hello)
    api.add_blueprint("/a", bp)
    api.add_blueprint("/b", bp)
    async with api.client() as client:
        assert (await client.get("/a/hello")).text == "hello"
        assert (await client.get("/b/hello")).text == "hello"
    assert calls == ["/a/hello", "/b/hello"]


async def test_registrations_after_the_first_request_are_picked_up() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    api.add_blueprint("/bp", bp)
    async with api.client() as client:
        assert (await client.get("/bp/hello")).status_code == 404
        bp.route("/hello")(Hello)
        assert (await client.get("/bp/hello")).text == "hello"

        @bp.before_request
        class Tag:
            async def on_request(self, req: Request, resp: Response) -> None:
                resp.headers["x-hook"] = "yes"

        assert (await client.get("/bp/hello")).headers["x-hook"] == "yes"
        nested = Blueprint()
        bp.add_blueprint("/deeper", nested)

        @nested.route("/")
        class Deep:
            async def on_get(self, req: Request, resp: Response) -> None:
                resp.text = "deep"

        assert (await client.get("/bp/deeper")).text == "deep"


async def test_one_blueprint_serves_two_apis() -> None:
    bp = Blueprint()
    bp.route("/hello")(Hello)
    first, second = Api(static_dir=None), Api(static_dir=None)
    first.add_blueprint("/one", bp)
    second.add_blueprint("/two", bp)
    async with first.client() as one, second.client() as two:
        assert (await one.get("/one/hello")).text == "hello"
        assert (await two.get("/two/hello")).text == "hello"


def test_tree_lists_nested_blueprints_with_their_full_prefixes() -> None:
    root, child, grandchild = Blueprint(), Blueprint(), Blueprint()
    child.add_blueprint("/b", grandchild)
    root.add_blueprint("/a", child)
    assert root.tree() == [("", root), ("a", child), ("a/b", grandchild)]


def test_a_listener_hears_registrations_in_nested_blueprints() -> None:
    root, child = Blueprint(), Blueprint()
    root.add_blueprint("/a", child)
    heard: list[str] = []
    root.subscribe(lambda: heard.append("changed"))
    child.route("/x")(Hello)
    child.error_handler.handle(KeyError)(_Handler)
    assert heard == ["changed", "changed"]


async def test_add_blueprint_takes_the_0_11_argument_names() -> None:
    api, blueprint, child = Api(static_dir=None), Blueprint(), Blueprint()
    child.route("/hello")(Hello)
    blueprint.add_blueprint("/b", bp=child)
    api.add_blueprint("/a", blueprint=blueprint)
    async with api.client() as client:
        assert (await client.get("/a/b/hello")).text == "hello"


class _Handler:
    async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
        pass


def test_a_registrar_that_names_no_blueprint_cannot_register() -> None:
    class Bare(Registrar):
        pass

    with pytest.raises(NotImplementedError):
        Bare().route("/")
