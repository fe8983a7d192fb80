"""The shared backend subscription of the plain and the framed fan-out."""

from __future__ import annotations

import pytest

from spangle.broadcast._upstream import SharedUpstream, Tap
from spangle.broadcast.backends.base import Message
from spangle.broadcast.backends.memory import MemoryBackend


async def test_a_tap_publishes_nothing() -> None:
    with pytest.raises(RuntimeError, match="a tap publishes nothing"):
        await Tap().publish("room", "hi")


async def test_a_shared_upstream_publishes_through_its_backend() -> None:
    got: list[tuple[str, Message]] = []

    def deliver(
        channel: str, message: Message, id: str | None = None, event: bool = False
    ) -> None:
        got.append((channel, message))

    backend = MemoryBackend()
    await backend.connect(deliver)
    upstream = SharedUpstream(backend, {}, "me")
    await upstream.subscribe("room")
    await upstream.publish("room", "hi")
    assert got == [("room", "hi")]


async def test_unsubscribing_a_channel_never_subscribed_leaves_the_others() -> None:
    users: dict[str, set[object]] = {"room": {"other"}}
    await SharedUpstream(MemoryBackend(), users, "me").unsubscribe("room")
    assert users == {"room": {"other"}}
