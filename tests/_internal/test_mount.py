from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from spangle import Api, Connection, Request, Response, use_api, use_component
from spangle._internal.asgi import Receive, Scope, Send
from spangle._internal.mount import find_mount, normalize_prefix


async def show_scope(scope: Scope, receive: Receive, send: Send) -> None:
    """A raw ASGI app answering with what it saw of the scope."""
    seen = {
        "root_path": scope["root_path"],
        "path": scope["path"],
        "spangle": sorted(scope["extensions"]["spangle"]),
        "api": use_api() is not None,
    }
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": json.dumps(seen)})
        await send({"type": "websocket.close", "code": 1000})
        return
    body = json.dumps(seen).encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize(
    ("given", "normalized"),
    [("/sub", "/sub"), ("sub/", "/sub"), ("/", ""), ("", ""), ("/a/b/", "/a/b")],
)
def test_normalize_prefix_keeps_one_leading_and_no_trailing_slash(
    given: str, normalized: str
) -> None:
    assert normalize_prefix(given) == normalized


def test_find_mount_matches_whole_segments_only() -> None:
    mounts: list[tuple[str, Any]] = [("/sub", show_scope)]
    assert find_mount(mounts, "/sub") == ("/sub", show_scope)
    assert find_mount(mounts, "/sub/x") == ("/sub", show_scope)
    assert find_mount(mounts, "/subway") is None


async def test_a_mounted_app_sees_root_path_extended_and_path_stripped() -> None:
    api = Api(static_dir=None)
    api.mount("/sub", show_scope)
    async with api.client() as client:
        deep = (await client.get("/sub/a/b")).json
        top = (await client.get("/sub")).json
    assert (deep.root_path, deep.path) == ("/sub", "/a/b")
    assert (top.root_path, top.path) == ("/sub", "/")


async def test_a_mounted_app_gets_the_request_and_response_models() -> None:
    api = Api(static_dir=None)
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["extensions"]["spangle"])
        await show_scope(scope, receive, send)

    api.mount("/sub", app)
    async with api.client() as client:
        await client.get("/sub/x?q=1")
    assert isinstance(seen["req"], Request)
    assert isinstance(seen["resp"], Response)
    assert seen["req"].params["q"] == "1"
    assert seen["req"].url.path == "/sub/x"


async def test_the_mounted_models_carry_the_apis_size_limits() -> None:
    api = Api(static_dir=None, max_upload_bytes=10, ws_max_message_bytes=20)
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["extensions"]["spangle"])
        await show_scope(scope, receive, send)

    api.mount("/sub", app)
    async with api.client() as client:
        await client.get("/sub")
        async with client.ws_connect("/sub") as ws:
            await ws.receive(str)
    assert seen["req"].max_upload_bytes == 10
    assert seen["conn"]._max_message_bytes == 20


async def test_a_mounted_app_gets_the_connection_for_websockets() -> None:
    api = Api(static_dir=None)
    seen: dict[str, Any] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.update(scope["extensions"])
        await show_scope(scope, receive, send)

    api.mount("/ws", app)
    async with api.client() as client, client.ws_connect("/ws/room") as ws:
        answer = json.loads(await ws.receive(str))
    assert (answer["root_path"], answer["path"]) == ("/ws", "/room")
    assert isinstance(seen["spangle"]["conn"], Connection)
    # The server's own extensions stay available.
    assert "websocket.http.response" in seen


async def test_the_longest_prefix_wins() -> None:
    api = Api(static_dir=None)

    def answer(text: str) -> Any:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await PlainTextResponse(text)(scope, receive, send)

        return app

    api.mount("/a", answer("short"))
    api.mount("/a/b", answer("long"))
    async with api.client() as client:
        assert (await client.get("/a/b/c")).text == "long"
        assert (await client.get("/a/c")).text == "short"


async def test_mounted_apps_win_over_routes_under_their_prefix() -> None:
    api = Api(static_dir=None)
    api.mount("/sub", show_scope)

    @api.route("/sub/view")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "view"

    @api.route("/subway")
    class Subway:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "subway"

    async with api.client() as client:
        assert (await client.get("/sub/view")).json.path == "/view"
        assert (await client.get("/subway")).text == "subway"


async def test_an_app_mounted_at_the_root_serves_only_unmatched_paths() -> None:
    api = Api(static_dir=None)
    api.mount("/", show_scope)

    @api.route("/mine")
    class Mine:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "mine"

    async with api.client() as client:
        assert (await client.get("/mine")).text == "mine"
        other = (await client.get("/legacy/page")).json
    assert (other.root_path, other.path) == ("", "/legacy/page")


async def test_a_mount_after_the_first_request_is_picked_up() -> None:
    api = Api(static_dir=None)
    async with api.client() as client:
        assert (await client.get("/sub/x")).status_code == 404
        api.mount("/sub", show_scope)
        assert (await client.get("/sub/x")).status_code == 200


async def test_mount_refuses_what_is_not_callable() -> None:
    with pytest.raises(TypeError, match="ASGI callable"):
        Api(static_dir=None).mount("/x", "not an app")  # type: ignore[arg-type]


async def test_a_mounted_api_serves_its_own_routes_and_components() -> None:
    class Name:
        def __init__(self) -> None:
            self.value = "inner"

    outer = Api(static_dir=None)
    inner = Api(static_dir=None, components=[Name])

    @inner.route("/hello/{who}")
    class Hello:
        async def on_get(self, req: Request, resp: Response, who: str) -> None:
            mine = use_component(Name).value == "inner" and use_api() is inner
            resp.text = f"{mine} says hi to {who}"

        async def on_ws(self, conn: Connection, who: str) -> None:
            await conn.accept()
            await conn.send(f"{who} via {conn.url.path}")

    outer.mount("/inner", inner)
    async with outer.client() as client:
        assert (await client.get("/inner/hello/bob")).text == "True says hi to bob"
        async with client.ws_connect("/inner/hello/amy") as ws:
            assert (await ws.receive(str)).startswith("amy via ")


async def test_a_mounted_starlette_app_routes_on_the_stripped_path() -> None:
    async def hello(request: StarletteRequest) -> PlainTextResponse:
        return PlainTextResponse(f"hello {request.path_params['name']}")

    api = Api(static_dir=None)
    api.mount("/star", Starlette(routes=[Route("/hello/{name}", hello)]))
    async with api.client() as client:
        assert (await client.get("/star/hello/ann")).text == "hello ann"


async def test_the_caller_scope_is_not_changed_by_a_mount() -> None:
    api = Api(static_dir=None)
    api.mount("/sub", show_scope)
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/sub/x",
        "root_path": "",
        "query_string": b"",
        "headers": [],
    }
    sent: list[Any] = []

    async def receive() -> Any:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        sent.append(message)

    await api(scope, receive, send)
    assert (scope["path"], scope["root_path"]) == ("/sub/x", "")
    assert "extensions" not in scope
    assert sent[0]["status"] == 200
