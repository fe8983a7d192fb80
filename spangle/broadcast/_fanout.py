"""Local fan-out: one upstream subscription per channel, bounded queues.

A publish walks the channel's local subscribers once. A `subscribe()`
iterator gets the message appended to its queue (and its consumer woken if
it waits). A joined connection is sent it at once: the walk is a coroutine
that awaits each connection's send, as a hand-written loop would, and is
driven by hand. If a send has to wait, that connection takes the suspended
walk over (its catch-up task finishes the send, see `_members`) and a new
walk goes on with the remaining subscribers, so nobody waits for a slow
one. No task or future is made per message for a subscriber that keeps up.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any, Protocol

from spangle.broadcast.backends.base import BroadcastBackend, Message

__all__ = ["Box", "Delivery", "Fanout", "Mailbox", "Sender"]

Delivery = Coroutine[Any, Any, None]
"""A walk over subscribers sending them one message (`_deliver`)."""


class Sender(Protocol):
    """What a subscriber sent to directly offers: a `Connection`'s `send`."""

    async def send(self, data: str | bytes) -> None:
        """Send a message."""


class Box:
    """A local subscriber as the fan-out sees it.

    Attributes:
        channels (`tuple[str, ...]`): The channels feeding it (a tuple: most
            subscribers have one, and a tuple of strings is not tracked by
            the garbage collector).
        direct (`Sender | None`): Where to send a message at once, or `None`
            to `push` it instead.
    """

    __slots__ = ("channels", "direct")

    def __init__(self) -> None:
        self.channels: tuple[str, ...] = ()
        self.direct: Sender | None = None

    def push(self, message: Message) -> bool:
        """Take a message to queue.

        Args:
            message: The message.

        Returns:
            `False` when the subscriber fell behind and must be dropped.
        """
        raise NotImplementedError

    def drop(self) -> None:
        """Cut the subscriber off because it fell behind."""
        raise NotImplementedError

    def take_over(self, delivery: Delivery, waiting: Any) -> None:
        """Finish a delivery suspended in a send to this subscriber.

        Args:
            delivery: The walk, suspended in `direct.send`; resumed, it
                returns once that send is over.
            waiting: What it waits for (its yield).
        """
        raise NotImplementedError

    def failed(self, exc: Exception) -> None:
        """Let the subscriber go: a send to it raised (called mid-walk).

        Args:
            exc: What the send raised.
        """
        raise NotImplementedError


class Mailbox(Box):
    """A bounded queue of messages for one local subscriber.

    Attributes:
        limit (`int`): How many messages it holds at most.
        dropped (`bool`): Whether it overflowed and was cut off.
        closed (`bool`): Whether no message will be added any more.
    """

    __slots__ = ("_items", "limit", "_waiter", "dropped", "closed")

    def __init__(self, limit: int) -> None:
        super().__init__()
        self._items: deque[Message] = deque()
        self.limit = limit
        self._waiter: asyncio.Future[None] | None = None
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


class _Turn:
    """A walk's subscriber being sent to, and whether it was taken over."""

    __slots__ = ("box", "over")

    def __init__(self) -> None:
        self.box: Box = _NOBODY
        self.over = False


async def _deliver(
    boxes: Iterator[Box], message: Message, late: list[Box], turn: _Turn
) -> None:
    # PERF: one coroutine per walk awaiting each send, as a plain loop does;
    # driving each send by hand would raise a StopIteration per subscriber.
    for box in boxes:
        sender = box.direct
        if sender is None:
            if not box.push(message):
                late.append(box)
            continue
        turn.box = box
        try:
            await sender.send(message)
        except Exception as exc:  # noqa: BLE001 - the subscriber's own failure
            box.failed(exc)
        if turn.over:
            return  # resumed by the subscriber's catch-up: the rest went on


_NOBODY = Box()


class Fanout:
    """Channel → local mailboxes; subscribes upstream once per channel."""

    __slots__ = ("_backend", "_channels", "_alone", "_on_overflow")

    def __init__(
        self,
        backend: BroadcastBackend,
        on_overflow: Callable[[Box, str, list[str]], None],
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
        self._channels: dict[str, dict[Box, None]] = {}
        # `(channel,)` once per channel, shared by every subscriber that has
        # only that one: a tuple each would be 56 bytes per connection.
        self._alone: dict[str, tuple[str]] = {}
        self._on_overflow = on_overflow

    def dispatch(self, channel: str, message: Message) -> None:
        """Hand a message to every local subscriber of a channel.

        Args:
            channel: The channel.
            message: The message.
        """
        boxes = self._channels.get(channel)
        if not boxes:
            return
        late: list[Box] = []
        # One iterator for every walk: a new one goes on where the last stopped.
        remaining = iter(boxes)
        while True:
            turn = _Turn()
            delivery = _deliver(remaining, message, late, turn)
            try:
                waiting = delivery.send(None)
            except StopIteration:
                break
            turn.over = True
            turn.box.take_over(delivery, waiting)
        if late:
            for box in late:
                empty = self.detach(box)
                box.drop()
                self._on_overflow(box, channel, empty)

    async def add(self, channel: str, box: Box) -> None:
        """Subscribe a subscriber to a channel.

        Args:
            channel: The channel.
            box: The subscriber.
        """
        boxes = self._channels.get(channel)
        if boxes is None:
            boxes = self._channels[channel] = {}
        boxes[box] = None
        if not box.channels:
            alone = self._alone.get(channel)
            if alone is None:
                alone = self._alone[channel] = (channel,)
            box.channels = alone
        elif channel not in box.channels:
            box.channels = (*box.channels, channel)
        await self._backend.subscribe(channel)

    async def remove(self, channel: str, box: Box) -> None:
        """Unsubscribe a subscriber from a channel; does nothing if not subscribed.

        Args:
            channel: The channel.
            box: The subscriber.
        """
        boxes = self._channels.get(channel)
        if boxes is not None:
            boxes.pop(box, None)
        box.channels = tuple(c for c in box.channels if c != channel)
        await self.prune((channel,))

    def detach(self, box: Box) -> list[str]:
        """Take a subscriber off all its channels at once.

        Args:
            box: The subscriber.

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
        box.channels = ()
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
                self._alone.pop(channel, None)
                await self._backend.unsubscribe(channel)

    def subscriber_count(self, channel: str) -> int:
        """Count the local subscribers of a channel.

        Args:
            channel: The channel.

        Returns:
            How many subscribers it feeds in this process.
        """
        return len(self._channels.get(channel, ()))
