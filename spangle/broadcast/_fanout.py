"""Local fan-out: one upstream subscription per channel, bounded queues.

A publish costs one `push` per local subscriber: an append and, when the
subscriber is idle, one future wake-up. No task is made per message.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Iterable

from spangle.broadcast.backends.base import BroadcastBackend, Message

__all__ = ["Fanout", "Mailbox"]


class Mailbox:
    """A bounded queue of messages for one local subscriber.

    Attributes:
        limit (`int`): How many messages it holds at most.
        channels (`set[str]`): The channels feeding it.
        dropped (`bool`): Whether it overflowed and was cut off.
        closed (`bool`): Whether no message will be added any more.
    """

    __slots__ = ("_items", "limit", "_waiter", "channels", "dropped", "closed")

    def __init__(self, limit: int) -> None:
        self._items: deque[Message] = deque()
        self.limit = limit
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
        if len(items) >= self.limit:
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
