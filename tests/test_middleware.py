from __future__ import annotations

from typing import Any

from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from spangle import Api, Connection, Request, Response, use_api
from spangle._internal.asgi import ASGIApp, Message, Receive, Scope, Send


class Trace:
    """Appends its name to the `x-trace` response header on the way out."""

    made = 0

    def __init__(self, app: ASGIApp, name: str) -> None:
        Trace.made += 1
        self.app = app
        self.name = name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-trace", self.name.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, traced if scope["type"] == "http" else send)


def hello_api(**options: Any) -> Api:
    api = Api(static_dir=None, **options)

    @api.route("/")
    class Hello:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "hello"

    return api


async def test_the_middleware_added_last_runs_outermost() -> None:
    api = hello_api()
    api.add_middleware(Trace, name="inner")
    api.add_middleware(Trace, name="outer")
    async with api.client() as client:
        answer = await client.get("/")
    # The outermost middleware sees the response last, so appends last.
    assert answer.headers.getall("x-trace") == ["inner", "outer"]


async def test_middleware_given_to_the_api_runs_inside_later_ones() -> None:
    api = hello_api(middleware=[(Trace, {"name": "first"})])
    api.add_middleware(Trace, name="added")
    async with api.client() as client:
        answer = await client.get("/")
    assert answer.headers.getall("x-trace") == ["first", "added"]


async def test_middleware_added_after_the_first_request_is_picked_up() -> None:
    api = hello_api()
    async with api.client() as client:
        assert "x-trace" not in (await client.get("/")).headers
        api.add_middleware(Trace, name="late")
        assert (await client.get("/")).headers["x-trace"] == "late"


async def test_registering_a_route_keeps_the_middleware_instances() -> None:
    api = hello_api()
    api.add_middleware(Trace, name="once")
    Trace.made = 0
    async with api.client() as client:
        await client.get("/")

        @api.route("/later")
        class Later:
            async def on_get(self, req: Request, resp: Response) -> None:
                resp.text = "later"

        assert (await client.get("/later")).text == "later"
    assert Trace.made == 1


async def test_middleware_runs_inside_the_api_context() -> None:
    api = hello_api()
    seen: list[Api] = []

    def spy(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                seen.append(use_api())
            await app(scope, receive, send)

        return middleware

    api.add_middleware(spy)
    async with api.client() as client:
        await client.get("/")
    assert seen == [api]


async def test_websockets_pass_through_middleware() -> None:
    api = Api(static_dir=None)
    api.add_middleware(Trace, name="ws")

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("through")

    async with api.client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive(str) == "through"


async def test_starlette_cors_middleware_answers_preflight_requests() -> None:
    api = hello_api()
    api.add_middleware(
        CORSMiddleware, allow_origins=["https://app.example.com"], allow_methods=["*"]
    )
    origin = {"origin": "https://app.example.com"}
    async with api.client() as client:
        preflight = await client.request(
            "OPTIONS", "/", headers={**origin, "access-control-request-method": "PUT"}
        )
        simple = await client.get("/", headers=origin)
        foreign = await client.get("/", headers={"origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == origin["origin"]
    assert "PUT" in preflight.headers["access-control-allow-methods"]
    assert simple.headers["access-control-allow-origin"] == origin["origin"]
    assert "access-control-allow-origin" not in foreign.headers


async def test_starlette_gzip_middleware_compresses_large_bodies() -> None:
    api = Api(static_dir=None)
    api.add_middleware(GZipMiddleware, minimum_size=100)
    body = "spangle " * 200

    @api.route("/big")
    class Big:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = body

    async with api.client() as client:
        answer = await client.get("/big", headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.text == body


async def test_starlette_trusted_host_middleware_refuses_other_hosts() -> None:
    api = hello_api(middleware=[(TrustedHostMiddleware, {"allowed_hosts": ["good"]})])
    async with api.client() as client:
        good = await client.get("/", headers={"host": "good"})
        bad = await client.get("/", headers={"host": "evil"})
    assert (good.status_code, good.text) == (200, "hello")
    assert bad.status_code == 400
