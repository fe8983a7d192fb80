"""Typed messages: `receive_json(type=...)` validates, `send_json` writes models."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, TypedDict

import msgspec
import pytest

from spangle import Api, Connection
from spangle.exceptions import MessageValidationError
from spangle.testing import WebSocketClosed


class Post(msgspec.Struct):
    nick: str
    text: str


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Move(TypedDict):
    piece: str
    to: list[int]


def echo_as(model: Any) -> Api:
    """Receive one message as `model`, send back its type name and repr."""
    api = Api()

    @api.route("/ws")
    class Echo:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            while True:
                value = await conn.receive_json(type=model)
                await conn.send_json(
                    {"type": type(value).__name__, "repr": repr(value)}
                )

    return api


async def roundtrip(api: Api, text: str) -> Any:
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(text)
        return await ws.receive_json()


async def test_a_struct_is_decoded_and_validated() -> None:
    got = await roundtrip(echo_as(Post), '{"nick": "ann", "text": "hi"}')
    assert got == {"type": "Post", "repr": "Post(nick='ann', text='hi')"}


async def test_a_dataclass_is_decoded() -> None:
    got = await roundtrip(echo_as(Point), '{"x": 1, "y": 2}')
    assert got == {"type": "Point", "repr": "Point(x=1, y=2)"}


async def test_a_typed_dict_is_decoded_as_a_dict() -> None:
    got = await roundtrip(echo_as(Move), '{"piece": "k", "to": [4, 5]}')
    assert got == {"type": "dict", "repr": "{'piece': 'k', 'to': [4, 5]}"}


async def test_a_binary_frame_of_utf8_json_is_decoded_too() -> None:
    api = echo_as(Point)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(b'{"x": 3, "y": 4}')
        assert (await ws.receive_json())["repr"] == "Point(x=3, y=4)"


@pytest.mark.parametrize(
    ("model", "text", "reason"),
    [
        (Post, '{"nick": 1, "text": "hi"}', "Expected `str`, got `int` - at `$.nick`"),
        (Post, '{"nick": "ann"}', "Object missing required field `text`"),
        (Move, '{"piece": "k", "to": [1, "x"]}', "got `str` - at `$.to[1]`"),
        (Point, "[1, 2]", "Expected `object`, got `array`"),
    ],
)
async def test_data_that_does_not_match_closes_with_1007_naming_the_field(
    model: Any, text: str, reason: str
) -> None:
    api = echo_as(model)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(text)
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1007
    assert reason in ws.close_reason


async def test_invalid_json_with_a_type_closes_with_1007_invalid_json() -> None:
    api = echo_as(Post)
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send("{nick")
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert (ws.close_code, ws.close_reason) == (1007, "invalid JSON")


async def test_the_view_may_catch_the_error_and_keep_the_connection() -> None:
    api = Api()

    @api.route("/ws")
    class Lenient:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            while True:
                try:
                    post = await conn.receive_json(type=Post)
                except MessageValidationError as exc:
                    await conn.send_json({"error": exc.message, "path": exc.path})
                    continue
                await conn.send_json(post)

    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send('{"nick": "ann", "text": 5}')
        assert await ws.receive_json() == {
            "error": "Expected `str`, got `int` - at `$.text`",
            "path": "$.text",
        }
        await ws.send('{"nick": "ann", "text": "ok"}')
        assert await ws.receive_json() == {"nick": "ann", "text": "ok"}


async def test_a_long_error_is_cut_to_a_valid_close_reason() -> None:
    model = dict[str, int]
    api = echo_as(model)
    key = "k" * 200
    async with api.client() as client, client.ws_connect("/ws") as ws:
        await ws.send(f'{{"{key}": "x"}}')
        with pytest.raises(WebSocketClosed):
            await ws.receive()
    assert ws.close_code == 1007
    assert 0 < len(ws.close_reason.encode()) <= 123


@dataclasses.dataclass
class Line:
    start: Point
    end: Point
    label: Post | None = None


async def test_send_json_writes_structs_and_nested_dataclasses() -> None:
    api = Api()

    @api.route("/ws")
    class Shapes:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send_json(Post("ann", "hé"))
            await conn.send_json([Line(Point(0, 1), Point(2, 3), Post("b", "c"))])

    async with api.client() as client, client.ws_connect("/ws") as ws:
        assert await ws.receive() == '{"nick":"ann","text":"hé"}'
        assert await ws.receive_json() == [
            {
                "start": {"x": 0, "y": 1},
                "end": {"x": 2, "y": 3},
                "label": {"nick": "b", "text": "c"},
            }
        ]


async def test_send_json_still_refuses_other_objects() -> None:
    api = Api()
    errors: list[str] = []

    @api.route("/ws")
    class Odd:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            try:
                await conn.send_json({"when": object()})
            except TypeError as exc:
                errors.append(str(exc))

    async with api.client() as client, client.ws_connect("/ws"):
        pass
    assert errors == ["Object of type object is not JSON serializable"]


async def test_a_typed_receive_without_msgspec_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from spangle._internal import typed

    monkeypatch.setattr(typed, "_decoders", {})
    monkeypatch.setitem(sys.modules, "msgspec", None)
    with pytest.raises(ImportError, match=r"msgspec.*pip install 'spangle\[msgspec\]'"):
        typed.decode_as("{}", Point)
