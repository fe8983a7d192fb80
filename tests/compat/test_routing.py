"""0.11's routing: converters across segments, `Api.router`, registrations."""

from __future__ import annotations

from typing import Any

from spangle import Api, Blueprint, ErrorHandler, Request, Response
from spangle.blueprint import Router


def _echo_api(template: str, **route: Any) -> Api:
    api = Api(static_dir=None)

    @api.route(template, **route)
    class Echo:
        async def on_get(self, req: Request, resp: Response, **params: Any) -> None:
            resp.json = params

    return api


async def test_rest_string_may_stand_in_the_middle_of_a_path() -> None:
    api = _echo_api("/{a}/{b:str}/{n:int}/{x:float}/{rest:rest_string}/tail")
    async with api.client() as client:
        resp = await client.get("/p/q/12/1.5/any/thing/here/tail")
    assert resp.json == {
        "a": "p",
        "b": "q",
        "n": 12,
        "x": 1.5,
        "rest": "any/thing/here",
    }


async def test_url_for_a_middle_rest_string_route_round_trips() -> None:
    api = _echo_api("/{a}/{rest:rest_string}/tail")
    view = next(iter(api.router.routes)).view
    params = {"a": "x", "rest": "with/slashes"}
    async with api.client() as client:
        resp = await client.get(api.url_for(view, params))
    assert resp.json == params


async def test_a_custom_converter_pattern_captures_across_segments() -> None:
    def words(value: str) -> str:
        return value

    words.pattern = r"[A-Za-z]+(/[A-Za-z]+)+"  # type: ignore[attr-defined]
    api = _echo_api("/accept/custom-pattern/{path:regex}", converters={"regex": words})
    async with api.client() as client:
        resp = await client.get("/accept/custom-pattern/ab/cd/ef")
        refused = await client.get("/accept/custom-pattern/ab")
    assert resp.json == {"path": "ab/cd/ef"}
    assert refused.status_code == 404


async def test_a_static_route_wins_over_a_spanning_one() -> None:
    api = _echo_api("/files/{rest:rest_string}/raw")

    @api.route("/files/readme/raw")
    class Readme:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "static"

    async with api.client() as client:
        resp = await client.get("/files/readme/raw")
    assert resp.text == "static"


def test_api_router_is_a_blueprint_router() -> None:
    assert isinstance(Api(static_dir=None).router, Router)


def test_api_router_get_returns_the_view_and_its_params() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()

    @api.route("/")
    class Index:
        pass

    @bp.route("/{var:int}")
    class Item:
        pass

    api.add_blueprint("/items", bp)
    assert api.router.get("/") == (Index, {})
    assert api.router.get("/items/7") == (Item, {"var": 7})
    assert api.router.get("/missing") is None


def test_a_path_that_only_redirects_has_no_view() -> None:
    api = Api(static_dir=None)

    @api.route("/a")
    class A:
        pass

    assert api.router.get("/a/") is None


def test_a_standalone_router_finds_its_own_routes() -> None:
    class View:
        pass

    router = Router("slash")
    router.add("/x/{n:int}", View)
    assert router.get("/x/3/") == (View, {"n": 3})
    assert router.get("/x/3") is None


def test_blueprint_views_list_routes_by_full_path() -> None:
    parent, child = Blueprint(), Blueprint()

    @child.route("/leaf", routing="strict")
    class Leaf:
        pass

    parent.add_blueprint("/and", child)
    assert parent.views == {"/and/leaf": (Leaf, {}, "strict")}


def test_api_lists_error_handlers_hooks_and_lifespan_functions() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()
    eh = ErrorHandler()

    @eh.handle(KeyError)
    class Missing:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            pass

    @bp.before_request
    class Before:
        pass

    def start() -> None:
        pass

    bp.on_start(start)
    api.add_error_handler(eh)
    api.add_blueprint("/bp", bp)
    assert api.error_handlers == {KeyError: Missing}
    assert api.request_hooks == {"before": [Before], "after": []}
    assert api.lifespan_handlers == {"startup": [start], "shutdown": []}


def test_api_lists_mounted_apps_by_prefix() -> None:
    api = Api(static_dir=None)
    inner = Api(static_dir=None)
    api.mount("/inner", inner)
    assert api.mounted_app == {"/inner": inner}


def test_registration_methods_take_0_11_keyword_names() -> None:
    api = Api(static_dir=None)
    bp = Blueprint()

    def start() -> None:
        pass

    class Hook:
        pass

    api.add_lifespan_handler(event_type="startup", handler=start)
    api.on_stop(f=start)
    api.before_request(handler=Hook)
    api.add_error_handler(eh=ErrorHandler())
    bp.add_blueprint(path="/c", bp=Blueprint())
    assert api.lifespan_handlers == {"startup": [start], "shutdown": [start]}
    assert api.request_hooks["before"] == [Hook]


def _hooked_api(log: list[str]) -> Api:
    api = Api(static_dir=None)

    @api.before_request
    class Before:
        async def on_request(self, req: Request, resp: Response) -> None:
            log.append(req.url.path)
            resp.headers["x-before"] = "1"

    @api.route("/only-get")
    class OnlyGet:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    return api


async def test_before_hooks_run_for_an_unknown_path_whose_404_keeps_their_header() -> (
    None
):
    log: list[str] = []
    async with _hooked_api(log).client() as client:
        resp = await client.get("/nowhere")
    assert (resp.status_code, resp.headers.get("x-before")) == (404, "1")
    assert log == ["/nowhere"]


async def test_before_hooks_run_for_a_method_not_allowed() -> None:
    log: list[str] = []
    async with _hooked_api(log).client() as client:
        resp = await client.put("/only-get")
    assert (resp.status_code, log) == (405, ["/only-get"])


async def test_before_hooks_run_for_a_trailing_slash_redirect() -> None:
    log: list[str] = []
    async with _hooked_api(log).client() as client:
        resp = await client.get("/only-get/", allow_redirects=False)
    assert (resp.status_code, log) == (308, ["/only-get/"])


async def test_a_before_hook_refusing_a_request_answers_unknown_paths_too() -> None:
    api = Api(static_dir=None)

    class Unauthorized(Exception):
        pass

    @api.handle(Unauthorized)
    class Refuse:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 401

    @api.before_request
    class Auth:
        async def on_request(self, req: Request, resp: Response) -> None:
            raise Unauthorized()

    async with api.client() as client:
        assert (await client.get("/admin/secret")).status_code == 401


def test_handle_takes_the_exception_type_as_keyword_e() -> None:
    api, bp, eh = Api(static_dir=None), Blueprint(), ErrorHandler()

    class Handler:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            pass

    for registrar in (api, bp, eh):
        registrar.handle(e=LookupError)(Handler)
    assert api.error_handlers == bp.error_handler.handlers == {LookupError: Handler}
    assert eh.handlers == {LookupError: Handler}
