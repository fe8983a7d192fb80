"""0.11's component lookups and the context component methods run in."""

from __future__ import annotations

import pytest

from spangle import Api, Request, Response, use_api, use_component
from spangle.component import ComponentsCache, component_ctx


class Another:
    def value(self) -> str:
        return "another"

    async def later(self) -> str:
        return "later"


class Root:
    def _private(self) -> str:
        return "private"

    def combined(self) -> str:
        return use_component(Another).value() + "+" + self._private()

    def which_api(self) -> Api:
        return use_api()

    async def combined_async(self) -> str:
        return await use_component(Another).later()


def _api() -> Api:
    return Api(static_dir=None, components=[Root, Another])


def test_use_api_outside_any_api_raises_key_error() -> None:
    with pytest.raises(KeyError):
        use_api()


def test_use_component_of_an_unregistered_class_raises_key_error() -> None:
    with pytest.raises(KeyError):
        use_component(Root, api=Api(static_dir=None))


def test_use_component_outside_any_api_raises_key_error() -> None:
    with pytest.raises(KeyError):
        use_component(Root)


def test_a_component_fetched_with_api_can_call_use_component_in_its_methods() -> None:
    assert use_component(Root, api=_api()).combined() == "another+private"


async def test_an_async_component_method_runs_in_its_api_context() -> None:
    assert await use_component(Root, api=_api()).combined_async() == "later"


def test_a_component_method_sees_the_api_that_holds_it() -> None:
    api = _api()
    assert use_component(Root, api=api).which_api() is api


def test_calling_a_component_method_leaves_no_api_behind() -> None:
    use_component(Root, api=_api()).which_api()
    with pytest.raises(KeyError):
        use_api()


async def test_a_mounted_api_component_sees_its_own_api_from_the_root_api() -> None:
    inner = _api()
    outer = Api(static_dir=None)
    seen: list[Api] = []

    @outer.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(use_component(Root, api=inner).which_api())

    async with outer.client() as client:
        await client.get("/")
    assert seen == [inner]


def test_components_cache_returns_instances_by_class() -> None:
    fake = Another()
    cache = ComponentsCache({Another: fake})
    assert cache(Another) is fake
    token = component_ctx.set(cache)
    try:
        assert use_component(Another, api=Api(static_dir=None)) is fake
    finally:
        component_ctx.reset(token)


def test_components_cache_is_a_mapping_of_classes_to_instances() -> None:
    fake = Another()
    cache = ComponentsCache({Another: fake})
    assert dict(cache) == {Another: fake}
    assert len(cache) == 1
