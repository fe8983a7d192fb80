from __future__ import annotations

import uuid
from typing import Any

from spangle import Api, Request, Response
from spangle._internal.routing.converters import BUILTIN, resolve_converter


def _uuid(value: str) -> uuid.UUID:
    return uuid.UUID(value)


_uuid.pattern = r"[0-9a-f-]{36}"  # type: ignore[attr-defined]


def _app(path: str, converters: dict[str, Any] | None = None) -> Api:
    api = Api()

    @api.route(path, converters=converters)
    class View:
        async def on_get(self, req: Request, resp: Response, **params: Any) -> None:
            resp.json = {k: [type(v).__name__, str(v)] for k, v in params.items()}

    return api


def test_builtin_names() -> None:
    assert set(BUILTIN) == {"default", "str", "int", "float", "rest_string"}


def test_custom_converter_pattern_attribute_is_used() -> None:
    spec = resolve_converter("uuid", {"uuid": _uuid})
    assert spec.pattern == _uuid.pattern  # type: ignore[attr-defined]


def test_custom_converter_without_pattern_matches_one_segment() -> None:
    spec = resolve_converter("up", {"up": str.upper})
    assert spec.pattern == BUILTIN["default"].pattern


async def test_int_converter_refuses_non_numbers_with_404() -> None:
    api = _app("/n/{n:int}")
    async with api.client() as client:
        assert (await client.get("/n/12")).json == {"n": ["int", "12"]}
        assert (await client.get("/n/x")).status_code == 404


async def test_float_converter() -> None:
    api = _app("/f/{f:float}")
    async with api.client() as client:
        assert (await client.get("/f/1.5")).json == {"f": ["float", "1.5"]}
        assert (await client.get("/f/1.5.5")).status_code == 404


async def test_custom_converter_with_pattern() -> None:
    api = _app("/u/{id:uuid}", {"uuid": _uuid})
    value = "12345678-1234-5678-1234-567812345678"
    async with api.client() as client:
        assert (await client.get(f"/u/{value}")).json == {"id": ["UUID", value]}
        assert (await client.get("/u/short")).status_code == 404


async def test_failing_custom_converter_means_no_match() -> None:
    api = _app("/u/{id:uuid}", {"uuid": _uuid})
    async with api.client() as client:
        resp = await client.get("/u/" + "z" * 36)
    assert resp.status_code == 404


async def test_custom_converter_can_shadow_a_builtin() -> None:
    api = _app("/{n:int}", {"int": lambda v: int(v) * 2})
    async with api.client() as client:
        assert (await client.get("/4")).json == {"n": ["int", "8"]}


async def test_path_params_are_percent_decoded() -> None:
    api = _app("/{name}")
    async with api.client() as client:
        assert (await client.get("/a%20b")).json == {"name": ["str", "a b"]}
