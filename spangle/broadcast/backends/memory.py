"""The in-process backend: messages reach the subscribers of this process only."""

from __future__ import annotations

from spangle.broadcast.backends.base import BroadcastBackend, Deliver, Message

__all__ = ["MemoryBackend"]


def _nowhere(channel: str, message: Message) -> None:
    raise RuntimeError("the memory backend is not connected")


class MemoryBackend(BroadcastBackend):
    """Deliver every message to the local subscribers, synchronously.

    The URL is `memory://`. It needs no server and cannot be unavailable, but
    it does not cross process boundaries: with `--workers N`, use Redis.
    """

    __slots__ = ("_deliver",)

    def __init__(self) -> None:
        self._deliver: Deliver = _nowhere

    async def connect(self, deliver: Deliver) -> None:
        """Start delivering to `deliver`.

        Args:
            deliver: The local fan-out.
        """
        self._deliver = deliver

    async def disconnect(self) -> None:
        """Stop delivering."""
        self._deliver = _nowhere

    async def publish(self, channel: str, message: Message) -> None:
        """Hand the message to the local subscribers before returning.

        Args:
            channel: The channel name.
            message: The message.
        """
        self._deliver(channel, message)
