"""The messages of one channel for one consumer: what `Broadcast.subscribe` yields."""

from __future__ import annotations

from typing import Any, TypeVar, overload

from spangle._internal.typed import decode_as, loads
from spangle.broadcast._fanout import Mailbox
from spangle.broadcast.backends.base import Message
from spangle.broadcast.errors import SubscriberDropped

__all__ = ["Subscription"]

_T = TypeVar("_T")


class Subscription(Mailbox):
    """The messages of one channel for one consumer, in publication order.

    Made by `Broadcast.subscribe`; iterate it with `async for`, from one task
    at a time (it wakes a single waiting consumer). The iteration ends when
    the Broadcast shuts down.

    Attributes:
        channel (`str`): The channel.
        last_id (`str | None`): With a Broadcast that keeps history, the id
            of the message last returned (pass it as `since=` to resume);
            else `None`.
        missed (`bool`): Whether messages after the `since=` id asked for
            are no longer kept, so the subscription starts at the oldest kept.
    """

    __slots__ = ("channel", "last_id", "missed")

    def __init__(self, channel: str, limit: int) -> None:
        super().__init__(limit)
        self.channel = channel
        self.last_id: str | None = None
        self.missed = False

    def __aiter__(self) -> Subscription:
        """Iterate over the messages."""
        return self

    async def __anext__(self) -> Message:
        """Return the next message, waiting for it.

        Raises:
            SubscriberDropped: The consumer fell more than the queue size
                behind; the messages it missed are lost.
            StopAsyncIteration: The Broadcast shut down.
        """
        if await self.wait():
            return self.take()
        if self.dropped:
            raise SubscriberDropped(self.channel, self.limit)
        raise StopAsyncIteration

    # duplicates: the overloads of `Connection.receive_json`, so that both
    # decode into a type the same way.
    @overload
    async def receive_json(self) -> Any: ...

    @overload
    async def receive_json(self, type: type[_T]) -> _T: ...

    @overload
    async def receive_json(self, type: object) -> Any: ...

    async def receive_json(self, type: Any = None) -> Any:
        """Wait for the next message and decode it as JSON, into a type if given.

        Types are those of `Connection.receive_json`, validated by msgspec.

        Args:
            type: What the message must be; `None` for any JSON value.

        Returns:
            The decoded value.

        Raises:
            MessageValidationError: The message is not JSON, or does not
                match `type`.
            SubscriberDropped: The consumer fell behind.
            StopAsyncIteration: The Broadcast shut down (as `anext()`).
        """
        message = await self.__anext__()
        return loads(message) if type is None else decode_as(message, type)
