from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from spangle import Api, Blueprint, Connection, Request, Response
from spangle.testing import AsyncWebsocketClient
from tests.support.server import run_server


def make_api() -> Api:
    api = Api(static_dir=None)

    @api.route("/hello")
    class Hello:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "hello"

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("hi")

    return api


async def test_routes_below_the_servers_root_path() -> None:
    transport = httpx.ASGITransport(app=make_api(), root_path="/app")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        resp = await http.get("/app/hello")
    assert resp.text == "hello"


async def test_a_path_outside_root_path_is_routed_as_it_is() -> None:
    transport = httpx.ASGITransport(app=make_api(), root_path="/app")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        resp = await http.get("/hello")
    assert resp.text == "hello"


async def test_slash_redirect_keeps_the_root_path() -> None:
    transport = httpx.ASGITransport(app=make_api(), root_path="/app")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        resp = await http.get("/app/hello/?x=1")
    assert resp.status_code == 308
    assert resp.headers["location"] == "/app/hello?x=1"


async def test_uvicorn_root_path_serves_http_and_websocket() -> None:
    # A proxy strips the prefix; uvicorn puts root_path back in front of path.
    args = ["--root-path", "/app"]
    with run_server("tests.apps.echo:api", extra_args=args) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            page = await http.get("/")
        async with connect(server.ws_url + "/echo") as ws:
            await ws.send("ping")
            echoed = await ws.recv()
    assert page.status_code == 200
    assert echoed == "ping"


async def test_websocket_routes_below_root_path() -> None:
    api = make_api()

    async def below_app(scope: Any, receive: Any, send: Any) -> None:
        await api({**scope, "root_path": "/app"}, receive, send)

    async with AsyncWebsocketClient(below_app, "/app/ws", timeout=2) as ws:
        assert await ws.receive() == "hi"


def test_views_lists_every_routed_view_by_full_path() -> None:
    api = make_api()
    blueprint = Blueprint()

    class Nested:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    blueprint.route("/nested", routing="strict")(Nested)
    api.add_blueprint("/bp", blueprint)
    assert {path: view.__name__ for path, (view, _, _) in api.views.items()} == {
        "/hello": "Hello",
        "/ws": "Socket",
        "/bp/nested": "Nested",
    }
    assert api.views["/bp/nested"][2] == "strict"


def test_components_maps_each_class_to_its_instance_read_only() -> None:
    class Db:
        pass

    api = Api(static_dir=None, components=[Db])
    assert isinstance(api.components[Db], Db)
    with pytest.raises(TypeError):
        api.components[Db] = Db()  # type: ignore[index]


async def test_a_scope_type_spangle_does_not_know_is_ignored() -> None:
    async def never(*args: Any) -> Any:
        raise AssertionError("not called")

    await make_api()({"type": "telepathy", "path": "/"}, never, never)


async def test_serve_current_serves_a_call_when_the_api_is_not_current() -> None:
    api = make_api()

    async def serve(scope: Any, receive: Any, send: Any) -> None:
        await api.serve_current(scope, receive, send)

    transport = httpx.ASGITransport(app=serve)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/hello")
    assert response.text == "hello"


async def test_serve_current_serves_a_call_when_the_api_is_current() -> None:
    from spangle.component import api_ctx

    api = make_api()
    token = api_ctx.set(api)
    try:

        async def serve(scope: Any, receive: Any, send: Any) -> None:
            await api.serve_current(scope, receive, send)

        transport = httpx.ASGITransport(app=serve)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            response = await c.get("/hello")
    finally:
        api_ctx.reset(token)
    assert response.text == "hello"
