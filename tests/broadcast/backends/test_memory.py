"""The in-process backend."""

from __future__ import annotations

import pytest

from spangle.broadcast.backends.base import Message
from spangle.broadcast.backends.memory import MemoryBackend


async def test_a_message_reaches_the_deliver_function_before_publish_returns() -> None:
    got: list[tuple[str, Message]] = []

    def deliver(
        channel: str, message: Message, id: str | None = None, event: bool = False
    ) -> None:
        got.append((channel, message))

    backend = MemoryBackend()
    await backend.connect(deliver)
    await backend.publish("room", b"\x00")
    assert got == [("room", b"\x00")]


async def test_publishing_on_an_unconnected_backend_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="not connected"):
        await MemoryBackend().publish("room", "hi")


async def test_publishing_after_disconnect_is_an_error() -> None:
    backend = MemoryBackend()
    await backend.connect(_ignore)
    await backend.disconnect()
    with pytest.raises(RuntimeError, match="not connected"):
        await backend.publish("room", "hi")


async def test_exit_of_a_member_never_entered_is_false() -> None:
    assert await MemoryBackend().exit("room", "nobody") is False


def _ignore(
    channel: str, message: Message, id: str | None = None, event: bool = False
) -> None:
    pass
