"""Local fan-out: one upstream subscription per channel, bounded queues.

A publish costs one `push` per local subscriber: an append and, when the
subscriber is idle, one future wake-up. No task is made per message.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar, overload

from spangle._internal.typed import decode_as, loads
from spangle.broadcast.backends.base import BroadcastBackend, Message
from spangle.broadcast.errors import SubscriberDropped

__all__ = ["Fanout", "Mailbox", "Subscription"]

_T = TypeVar("_T")


class Mailbox:
    """A bounded queue of messages for one local subscriber.

    Attributes:
        channels (`set[str]`): The channels feeding it.
        dropped (`bool`): Whether it overflowed and was cut off.
        closed (`bool`): Whether no message will be added any more.
    """

    __slots__ = ("_items", "_limit", "_waiter", "channels", "dropped", "closed")

    def __init__(self, limit: int) -> None:
        self._items: deque[Message] = deque()
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self.channels: set[str] = set()
        self.dropped = False
        self.closed = False

    def push(self, message: Message) -> bool:
        """Queue a message unless the queue is full.

        Args:
            message: The message.

        Returns:
            `False` when the queue is full: the subscriber fell behind.
        """
        items = self._items
        if len(items) >= self._limit:
            return False
        items.append(message)
        # PERF: _wake inlined; this runs once per subscriber per message.
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        return True

    async def wait(self) -> bool:
        """Wait until a message is queued or the mailbox is closed.

        Returns:
            `True` when messages are queued, `False` when closed and empty.
        """
        while not self._items:
            if self.closed:
                return False
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return True

    def take(self) -> Message:
        """Remove and return the oldest queued message (call after `wait`)."""
        return self._items.popleft()

    def close(self, *, discard: bool) -> None:
        """Accept no more messages and wake the consumer.

        Args:
            discard: Forget the queued messages instead of letting the
                consumer take them first.
        """
        self.closed = True
        if discard:
            self._items.clear()
        self._wake()

    def drop(self) -> None:
        """Cut the subscriber off because it fell behind."""
        self.dropped = True
        self.close(discard=True)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)


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
            raise SubscriberDropped(self.channel, self._limit)
        raise StopAsyncIteration

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


class Fanout:
    """Channel → local mailboxes; subscribes upstream once per channel."""

    __slots__ = ("_backend", "_channels", "_on_overflow")

    def __init__(
        self,
        backend: BroadcastBackend,
        on_overflow: Callable[[Mailbox, str, list[str]], None],
    ) -> None:
        """Make an empty fan-out.

        Args:
            backend: The transport, told when a channel gains its first or
                loses its last local subscriber.
            on_overflow: Called with a mailbox that fell behind (already
                detached and dropped), the channel it overflowed on, and the
                channels it left without subscribers (to prune).
        """
        self._backend = backend
        self._channels: dict[str, dict[Mailbox, None]] = {}
        self._on_overflow = on_overflow

    def dispatch(self, channel: str, message: Message) -> None:
        """Queue a message for every local subscriber of a channel.

        Args:
            channel: The channel.
            message: The message.
        """
        boxes = self._channels.get(channel)
        if not boxes:
            return
        late: list[Mailbox] | None = None
        for box in boxes:
            if not box.push(message):
                late = [box] if late is None else [*late, box]
        if late is not None:
            for box in late:
                empty = self.detach(box)
                box.drop()
                self._on_overflow(box, channel, empty)

    async def add(self, channel: str, box: Mailbox) -> None:
        """Subscribe a mailbox to a channel.

        Args:
            channel: The channel.
            box: The mailbox.
        """
        boxes = self._channels.get(channel)
        if boxes is None:
            boxes = self._channels[channel] = {}
        boxes[box] = None
        box.channels.add(channel)
        await self._backend.subscribe(channel)

    async def remove(self, channel: str, box: Mailbox) -> None:
        """Unsubscribe a mailbox from a channel; does nothing if not subscribed.

        Args:
            channel: The channel.
            box: The mailbox.
        """
        boxes = self._channels.get(channel)
        if boxes is not None:
            boxes.pop(box, None)
        box.channels.discard(channel)
        await self.prune((channel,))

    def detach(self, box: Mailbox) -> list[str]:
        """Take a mailbox off all its channels at once.

        Args:
            box: The mailbox.

        Returns:
            The channels left without local subscribers; pass them to `prune`.
        """
        empty = []
        for channel in box.channels:
            boxes = self._channels.get(channel)
            if boxes is not None:
                boxes.pop(box, None)
                if not boxes:
                    empty.append(channel)
        box.channels.clear()
        return empty

    async def prune(self, channels: Iterable[str]) -> None:
        """Unsubscribe upstream from channels that have no local subscriber.

        Args:
            channels: Candidate channels; busy ones are kept.
        """
        for channel in channels:
            boxes = self._channels.get(channel)
            if boxes is not None and not boxes:
                del self._channels[channel]
                await self._backend.unsubscribe(channel)

    def subscriber_count(self, channel: str) -> int:
        """Count the local subscribers of a channel.

        Args:
            channel: The channel.

        Returns:
            How many mailboxes it feeds in this process.
        """
        return len(self._channels.get(channel, ()))
