from __future__ import annotations

from typing import Any

import pytest

from spangle import Api, Blueprint, Request, Response
from spangle._internal.asgi import ASGIApp
from spangle._internal.compiled import Compiled


class Hello:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "hello"


def _routed(*paths: str) -> list[tuple[str, Blueprint]]:
    blueprint = Blueprint()
    for path in paths:
        blueprint.route(path)(Hello)
    return blueprint.tree()


def test_a_default_route_matching_no_route_is_refused() -> None:
    with pytest.raises(ValueError, match="default_route '/missing' matches no route"):
        Compiled(_routed("/"), default_route="/missing")


def test_a_default_route_is_looked_up_once() -> None:
    compiled = Compiled(_routed("/"), default_route="/")
    assert compiled.default is not None
    assert compiled.default[0].target is compiled.views[Hello]


def test_a_view_routed_twice_has_one_entry() -> None:
    compiled = Compiled(_routed("/", "/again"))
    found = compiled.routes.lookup("/again")
    assert found is not None
    assert found[0].target is compiled.views[Hello]


def test_views_are_made_by_the_instance_function() -> None:
    made: list[type] = []

    def instance(cls: type) -> Any:
        made.append(cls)
        return cls()

    Compiled(_routed("/", "/again"), instance=instance)
    assert made == [Hello]


def test_lifespan_order_is_component_startups_then_start_functions() -> None:
    class Db:
        def startup(self) -> None:
            pass

        def shutdown(self) -> None:
            pass

    def start() -> None:
        pass

    def stop() -> None:
        pass

    db = Db()
    compiled = Compiled(
        [], components=[db], lifespan={"startup": [start], "shutdown": [stop]}
    )
    assert compiled.startup == [db.startup, start]
    assert compiled.shutdown == [stop, db.shutdown]


def test_mounts_are_tried_longest_prefix_first_without_the_root() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    compiled = Compiled([], mounts={"/a": app, "/a/b": app, "": app})
    assert [prefix for prefix, _ in compiled.mounts] == ["/a/b", "/a"]
    assert compiled.root_mount is app


def test_a_favicon_adds_its_path_to_the_mount_prefixes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        pass

    compiled = Compiled([], mounts={"/static": app}, favicon="icon.ico")
    assert compiled.mount_prefixes == ("/static", "/favicon.ico")


async def test_an_api_makes_each_view_once_across_rebuilds() -> None:
    made: list[object] = []

    class Counted(Hello):
        def __init__(self) -> None:
            made.append(self)

    api = Api(static_dir=None)
    api.route("/")(Counted)
    async with api.client() as client:
        await client.get("/")
        api.route("/again")(Counted)
        assert (await client.get("/again")).text == "hello"
    assert len(made) == 1


async def test_the_middleware_stack_is_built_again_only_after_add_middleware() -> None:
    built: list[str] = []

    def tagging(name: str) -> Any:
        def factory(app: ASGIApp) -> ASGIApp:
            built.append(name)
            return app

        return factory

    api = Api(static_dir=None)
    api.route("/")(Hello)
    api.add_middleware(tagging("first"))
    async with api.client() as client:
        await client.get("/")
        api.route("/again")(Hello)
        await client.get("/again")
        assert built == ["first"]
        api.add_middleware(tagging("second"))
        await client.get("/")
    assert built == ["first", "first", "second"]
