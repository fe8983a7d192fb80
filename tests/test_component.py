from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from spangle import (
    Api,
    Connection,
    Request,
    Response,
    component_ctx,
    use_api,
    use_component,
)
from spangle.component import (
    AsyncShutdownComponentProtocol,
    AsyncStartupComponentProtocol,
    SyncStartupComponentProtocol,
)


class Tag:
    """A component whose `name` tells which Api it belongs to."""

    def __init__(self) -> None:
        self.name = ""


class Gate:
    """Opens once `parties` callers wait at it, so their calls overlap."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.event = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived == self.parties:
            self.event.set()
        await asyncio.wait_for(self.event.wait(), 1)


def tagged_api(name: str) -> Api:
    api = Api(static_dir=None, components=[Tag])
    use_component(Tag, api=api).name = name
    return api


async def both(
    first: Api, second: Api, call: Callable[[Any], Awaitable[str]]
) -> list[str]:
    async with first.client() as one, second.client() as two:
        return list(await asyncio.gather(call(one), call(two)))


async def test_use_component_returns_the_instance_registered_on_the_api() -> None:
    api = Api(static_dir=None, components=[Tag])
    seen: list[Tag] = []

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(use_component(Tag))

    async with api.client() as client:
        await client.get("/")
        await client.get("/")
    assert seen[0] is seen[1] is use_component(Tag, api=api)


async def test_register_component_works_as_a_class_decorator() -> None:
    api = Api(static_dir=None)

    @api.register_component
    class Settings:
        pass

    assert isinstance(use_component(Settings, api=api), Settings)


async def test_registering_a_component_again_keeps_its_instance() -> None:
    api = Api(static_dir=None, components=[Tag])
    first = use_component(Tag, api=api)
    api.register_component(Tag)
    assert use_component(Tag, api=api) is first


async def test_register_component_refuses_an_instance() -> None:
    with pytest.raises(TypeError, match="must be a class"):
        Api(static_dir=None).register_component(Tag())  # type: ignore[type-var]


async def test_an_unregistered_component_raises_key_error_naming_it() -> None:
    api = Api(static_dir=None)
    with pytest.raises(KeyError, match="Tag is not registered"):
        use_component(Tag, api=api)


async def test_use_component_outside_an_api_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="outside of an Api"):
        use_component(Tag)


async def test_use_api_outside_an_api_raises_lookup_error() -> None:
    with pytest.raises(LookupError, match="inside a view"):
        use_api()


async def test_use_api_returns_the_serving_api() -> None:
    api = Api(static_dir=None)
    seen: list[Api] = []

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(use_api())

    async with api.client() as client:
        await client.get("/")
    assert seen == [api]


async def test_a_view_constructor_may_use_components() -> None:
    api = tagged_api("a")

    @api.route("/")
    class View:
        def __init__(self) -> None:
            self.tag = use_component(Tag)

        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = self.tag.name

    async with api.client() as client:
        assert (await client.get("/")).text == "a"


async def test_sync_and_async_startup_and_shutdown_run() -> None:
    events: list[str] = []

    class SyncOne:
        def startup(self) -> None:
            events.append("sync start")

        def shutdown(self) -> None:
            events.append("sync stop")

    class AsyncOne:
        async def startup(self) -> None:
            events.append("async start")

        async def shutdown(self) -> None:
            events.append("async stop")

    api = Api(static_dir=None, components=[SyncOne, AsyncOne])
    async with api.client():
        assert events == ["sync start", "async start"]
    assert events[2:] == ["sync stop", "async stop"]


async def test_a_component_startup_reaches_other_components() -> None:
    class Config:
        url = "memory://"

    class Pool:
        def __init__(self) -> None:
            self.url = ""

        async def startup(self) -> None:
            self.url = use_component(Config).url

    api = Api(static_dir=None, components=[Config, Pool])
    async with api.client():
        assert use_component(Pool, api=api).url == "memory://"


async def test_component_ctx_overrides_a_component() -> None:
    api = Api(static_dir=None, components=[Tag])
    fake = Tag()
    fake.name = "fake"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = use_component(Tag).name

    token = component_ctx.set({Tag: fake})
    try:
        async with api.client() as client:
            assert (await client.get("/")).text == "fake"
    finally:
        component_ctx.reset(token)


async def test_component_protocols_describe_startup_and_shutdown() -> None:
    class Both:
        async def startup(self) -> None:
            pass

        async def shutdown(self) -> None:
            pass

    assert isinstance(Both(), AsyncStartupComponentProtocol)
    assert isinstance(Both(), AsyncShutdownComponentProtocol)
    assert isinstance(Both(), SyncStartupComponentProtocol)  # names only at runtime
    assert not isinstance(Tag(), AsyncStartupComponentProtocol)


# -- two Apis served at the same time never mix --------------------------------


async def test_two_apis_keep_their_components_apart_in_http_views() -> None:
    gate = Gate(2)
    apis = tagged_api("a"), tagged_api("b")
    for api in apis:

        @api.route("/")
        class View:
            owner = api

            async def on_get(self, req: Request, resp: Response) -> None:
                await gate.wait()
                resp.text = use_component(Tag).name + str(use_api() is self.owner)

    async def call(client: Any) -> str:
        return str((await client.get("/")).text)

    assert await both(*apis, call) == ["aTrue", "bTrue"]


async def test_two_apis_keep_their_components_apart_in_websocket_views() -> None:
    gate = Gate(2)
    apis = tagged_api("a"), tagged_api("b")
    for api in apis:

        @api.route("/ws")
        class Socket:
            async def on_ws(self, conn: Connection) -> None:
                await conn.accept()
                await gate.wait()
                await conn.send(use_component(Tag).name)

    async def call(client: Any) -> str:
        async with client.ws_connect("/ws") as ws:
            return str(await ws.receive(str))

    assert await both(*apis, call) == ["a", "b"]


async def test_two_apis_keep_their_components_apart_in_hooks() -> None:
    gate = Gate(2)
    apis = tagged_api("a"), tagged_api("b")
    for api in apis:

        @api.before_request
        class Hook:
            async def on_request(self, req: Request, resp: Response) -> None:
                await gate.wait()
                resp.headers["x-tag"] = use_component(Tag).name

        @api.route("/")
        class View:
            async def on_get(self, req: Request, resp: Response) -> None:
                pass

    async def call(client: Any) -> str:
        return str((await client.get("/")).headers["x-tag"])

    assert await both(*apis, call) == ["a", "b"]


async def test_two_apis_keep_their_components_apart_in_error_handlers() -> None:
    gate = Gate(2)
    apis = tagged_api("a"), tagged_api("b")
    for api in apis:

        @api.handle(LookupError)
        class Handler:
            async def on_error(
                self, req: Request, resp: Response, e: Exception
            ) -> None:
                await gate.wait()
                resp.text = use_component(Tag).name

        @api.route("/")
        class View:
            async def on_get(self, req: Request, resp: Response) -> None:
                raise LookupError

    async def call(client: Any) -> str:
        return str((await client.get("/")).text)

    assert await both(*apis, call) == ["a", "b"]


async def test_two_apis_keep_their_components_apart_in_lifespan_functions() -> None:
    gate = Gate(2)
    started: dict[str, str] = {}
    apis = tagged_api("a"), tagged_api("b")
    for label, api in zip("ab", apis, strict=True):

        def record(label: str = label) -> Callable[[], Awaitable[None]]:
            async def on_start() -> None:
                await gate.wait()
                started[label] = use_component(Tag).name

            return on_start

        api.on_start(record())

    async def start(api: Api) -> None:
        async with api.client():
            pass

    await asyncio.gather(*(start(api) for api in apis))
    assert started == {"a": "a", "b": "b"}


async def test_two_apis_keep_their_components_apart_in_component_methods() -> None:
    gate = Gate(2)

    class Greeter:
        async def greet(self) -> str:
            await gate.wait()
            return "hello " + use_component(Tag).name

    apis = tagged_api("a"), tagged_api("b")
    for api in apis:
        api.register_component(Greeter)

        @api.route("/")
        class View:
            async def on_get(self, req: Request, resp: Response) -> None:
                resp.text = await use_component(Greeter).greet()

    async def call(client: Any) -> str:
        return str((await client.get("/")).text)

    assert await both(*apis, call) == ["hello a", "hello b"]
