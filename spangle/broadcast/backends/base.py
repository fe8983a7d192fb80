"""The interface between a `Broadcast` and the transport carrying its messages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeAlias

__all__ = ["BroadcastBackend", "Deliver", "Message"]

Message: TypeAlias = str | bytes
"""A broadcast message: text or binary, kept as such end to end."""

Deliver: TypeAlias = Callable[[str, Message], None]
"""Called by a backend for every message arriving on a subscribed channel."""


class BroadcastBackend(ABC):
    """Carries messages between the `Broadcast`s sharing one URL.

    A backend delivers each message published on a channel, by any process,
    to the `deliver` callback of every process subscribed to that channel,
    in publication order. `subscribe` and `unsubscribe` are called with the
    local bookkeeping already done, so they do their own synchronous work
    before their first `await`: calls for one channel may interleave.
    """

    __slots__ = ()

    @abstractmethod
    async def connect(self, deliver: Deliver) -> None:
        """Start carrying messages.

        Args:
            deliver: Receives `(channel, message)` for every message arriving
                on a subscribed channel; it must not block.
        """

    @abstractmethod
    async def disconnect(self) -> None:
        """Stop carrying messages and release every resource."""

    @abstractmethod
    async def publish(self, channel: str, message: Message) -> None:
        """Send a message to every subscriber of a channel, in any process.

        Args:
            channel: The channel name.
            message: The message; its type is kept.

        Raises:
            BroadcastUnavailable: The transport cannot take it now.
        """

    async def subscribe(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Start receiving a channel's messages; return once they flow.

        Called for every local subscriber of the channel, so it must be cheap
        when the channel is already subscribed. The default does nothing.

        Args:
            channel: The channel name.
        """

    async def unsubscribe(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Stop receiving a channel's messages (its last local subscriber left).

        Args:
            channel: The channel name.
        """
