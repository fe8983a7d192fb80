"""The backend interface: what a backend without history or presence says."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from spangle.broadcast.backends.base import BroadcastBackend, Deliver, Message


class PubSubOnly(BroadcastBackend):
    """A backend with only the required methods."""

    async def connect(self, deliver: Deliver) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    async def publish(self, channel: str, message: Message) -> None:
        pass


Call = Callable[[BroadcastBackend], Awaitable[Any]]


@pytest.mark.parametrize(
    ("call", "feature"),
    [
        (lambda b: b.append("room", "hi"), "history"),
        (lambda b: b.read("room", None, 1), "history"),
        (lambda b: b.announce("room", "{}"), "presence"),
        (lambda b: b.enter("room", "{}", 1.0), "presence"),
        (lambda b: b.exit("room", "m"), "presence"),
        (lambda b: b.members("room"), "presence"),
    ],
    ids=["append", "read", "announce", "enter", "exit", "members"],
)
async def test_a_backend_without_a_feature_refuses_it_by_name(
    call: Call, feature: str
) -> None:
    with pytest.raises(
        NotImplementedError, match=f"PubSubOnly does not support {feature}"
    ):
        await call(PubSubOnly())


def test_a_backend_without_history_refuses_to_keep_it() -> None:
    with pytest.raises(
        NotImplementedError, match="PubSubOnly does not support history"
    ):
        PubSubOnly().keep_history(10)
