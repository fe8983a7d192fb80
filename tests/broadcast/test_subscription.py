"""Subscription: what `Broadcast.subscribe` yields, and its `receive_json`."""

from __future__ import annotations

import msgspec
import pytest

from spangle.broadcast import Broadcast
from spangle.exceptions import MessageValidationError


class Score(msgspec.Struct):
    player: str
    points: int


async def test_a_subscription_decodes_json_messages() -> None:
    async with Broadcast() as hub, hub.subscribe("scores") as sub:
        await hub.publish("scores", '{"player": "ann", "points": 3}')
        assert await sub.receive_json() == {"player": "ann", "points": 3}


async def test_a_subscription_decodes_into_a_type() -> None:
    async with Broadcast() as hub, hub.subscribe("scores") as sub:
        await hub.publish("scores", b'{"player": "ann", "points": 3}')
        assert await sub.receive_json(type=Score) == Score("ann", 3)


async def test_a_message_of_the_wrong_shape_raises_naming_the_field() -> None:
    async with Broadcast() as hub, hub.subscribe("scores") as sub:
        await hub.publish("scores", '{"player": "ann", "points": "3"}')
        with pytest.raises(MessageValidationError) as caught:
            await sub.receive_json(type=Score)
    assert caught.value.path == "$.points"


async def test_a_message_that_is_not_json_raises() -> None:
    async with Broadcast() as hub, hub.subscribe("scores") as sub:
        await hub.publish("scores", "not json")
        with pytest.raises(MessageValidationError, match="invalid JSON"):
            await sub.receive_json()


async def test_receive_json_after_shutdown_stops_like_anext() -> None:
    async with Broadcast() as hub, hub.subscribe("scores") as sub:
        await hub.shutdown()
        with pytest.raises(StopAsyncIteration):
            await sub.receive_json()
