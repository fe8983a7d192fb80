from __future__ import annotations

import pytest

from spangle import Api, Request, Response
from spangle._internal.compiled import Compiled, middleware_stack


class Hello:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "hello"


def test_a_default_route_matching_no_route_is_refused() -> None:
    api = Api(static_dir=None, default_route="/missing")
    api.route("/")(Hello)
    with pytest.raises(ValueError, match="default_route '/missing' matches no route"):
        Compiled(api)


def test_a_default_route_is_looked_up_once() -> None:
    api = Api(static_dir=None, default_route="/")
    api.route("/")(Hello)
    compiled = Compiled(api)
    assert compiled.default is not None
    assert compiled.default[0].target is compiled.views[Hello]


def test_views_hooks_and_handlers_are_created_once_across_rebuilds() -> None:
    api = Api(static_dir=None)
    api.route("/")(Hello)
    first = Compiled(api).views[Hello].view
    api.route("/again")(Hello)
    assert Compiled(api).views[Hello].view is first


def test_the_middleware_stack_is_rebuilt_only_when_middleware_changes() -> None:
    api = Api(static_dir=None)
    stack = middleware_stack(api)
    api.route("/")(Hello)
    assert middleware_stack(api) is stack

    def passthrough(app: object) -> object:
        return app

    api.add_middleware(passthrough)  # type: ignore[arg-type]
    assert middleware_stack(api) is not stack


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

    api = Api(static_dir=None)
    api.on_start(start)
    api.on_stop(stop)
    api.register_component(Db)
    compiled = Compiled(api)
    db = api._components[Db]
    assert compiled.startup == [db.startup, start]
    assert compiled.shutdown == [api._close_connections, stop, db.shutdown]
