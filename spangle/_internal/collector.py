"""`spangle run`'s garbage-collector policy for processes holding connections.

A full collection walks every object the collector tracks and stops the
event loop while it does: about 60 objects per open WebSocket connection
(the server's protocol, parser and buffers, the view's coroutines), so at
10,000 connections one full collection freezes every client for most of a
second. Almost all of those objects are alive: the connection is open.

So the policy moves what startup made, and what survives a collection of
the older generations (an object alive through two young collections is
most likely a connection's), into the collector's permanent generation
(`gc.freeze()`, which costs the same for one object or a million): full
collections then walk only what is newer. Objects frozen are still freed
by reference counting when they go; only reference cycles among them wait.
(a closed connection leaves about twenty objects in cycles with the
server's protocol). To bound what those hold, the policy thaws: once what it
froze since the last thaw is `thaw_ratio - 1` times what was frozen then,
and at least a tenth of it has died since (connections closed, not only
opened), the loop makes one full collection of everything (`gc.unfreeze()`,
`gc.collect()`) and freezes what is left. That pause is as long as an
ordinary full collection, but it comes once per turnover of the frozen set
rather than every few thousand new connections; while connections only
open nothing has died, and the policy just takes the new size as its
baseline (up to `thaw_ratio ** 3` times the size after the last thaw, and
at least a million objects, where it thaws anyway: garbage made only of
cycles dies unseen). Collections of
the young generations are made rarer (`threshold`): a connection's objects
come in bursts as it opens.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

__all__ = ["CollectorPolicy", "DEFAULT_THRESHOLD", "DEFAULT_THAW_RATIO"]

#: `gc.set_threshold` under `spangle run`: a young collection per 10,000 net
#: new objects instead of 700, the older generations as Python sets them.
DEFAULT_THRESHOLD = (10_000, 10, 10)
#: Thaw once the frozen objects are this many times as many as after a thaw.
DEFAULT_THAW_RATIO = 2.0
# Below this many frozen objects a thaw is not worth its walk.
_SMALLEST_BASELINE = 10_000
# The least size at which a thaw comes whatever died: about as many objects
# as 15,000 open connections hold, some 100 MiB.
_SMALLEST_CEILING = 1_000_000


class CollectorPolicy:
    """Freeze what collections leave alive; thaw when it has grown.

    Attributes:
        freeze (`bool`): Whether survivors are frozen at all; `False` leaves
            the collector as Python runs it (thresholds apart).
        threshold (`tuple[int, int, int]`): The collector's thresholds.
        thaw_ratio (`float`): Growth of the frozen set that triggers a thaw.
    """

    __slots__ = (
        "freeze",
        "threshold",
        "thaw_ratio",
        "_baseline",
        "_frozen_since",
        "_ceiling",
        "_thaw_scheduled",
        "_loop",
    )

    def __init__(
        self,
        *,
        freeze: bool = True,
        threshold: tuple[int, int, int] = DEFAULT_THRESHOLD,
        thaw_ratio: float = DEFAULT_THAW_RATIO,
    ) -> None:
        """Describe the policy; `install` applies it.

        Args:
            freeze: Whether survivors of the older generations are frozen.
            threshold: The thresholds given to `gc.set_threshold`.
            thaw_ratio: Thaw once the frozen objects are this many times as
                many as after the last thaw (at least 1).

        Raises:
            ValueError: A threshold is negative or `thaw_ratio` below 1.
        """
        if min(threshold) < 0:
            raise ValueError(f"gc thresholds must be 0 or more, got {threshold}")
        if not thaw_ratio >= 1:  # NaN too
            raise ValueError(f"thaw_ratio must be at least 1, got {thaw_ratio}")
        self.freeze = freeze
        self.threshold = threshold
        self.thaw_ratio = thaw_ratio
        self._baseline = 0
        self._frozen_since = 0
        self._ceiling = 0.0
        self._thaw_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Apply the policy in this process: call it once startup is over.

        It collects and freezes what startup made (modules, the app, its
        components), sets the thresholds and watches collections.

        Args:
            loop: The loop thaws are made from, between two callbacks.
        """
        gc.set_threshold(*self.threshold)
        if not self.freeze:
            return
        self._loop = loop
        self.thaw()
        gc.callbacks.append(self.after_collection)

    def uninstall(self) -> None:
        """Stop watching collections and thaw what was frozen."""
        if self.after_collection in gc.callbacks:
            gc.callbacks.remove(self.after_collection)
        gc.unfreeze()

    def thaw(self) -> None:
        """Collect everything once, frozen objects included, and freeze again."""
        # Still "scheduled" while it runs: the callback must not take this
        # collection for one that calls for another thaw.
        self._thaw_scheduled = True
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._rebase(gc.get_freeze_count(), thawed=True)
        self._thaw_scheduled = False

    def _rebase(self, frozen: int, *, thawed: bool = False) -> None:
        self._baseline = frozen
        self._frozen_since = 0
        if thawed:
            # Garbage made only of cycles frees nothing by reference counting
            # and looks like growth: thaw at this size whatever died.
            self._ceiling = max(frozen * self.thaw_ratio**3, _SMALLEST_CEILING)

    def after_collection(self, phase: str, info: dict[str, Any]) -> None:
        """Freeze the survivors of a collection; plan a thaw (`gc.callbacks`).

        Args:
            phase: `"start"` or `"stop"`.
            info: The collection's details; `generation` 0 is a young one,
                whose survivors are left to age.
        """
        if phase != "stop" or info["generation"] == 0 or self._thaw_scheduled:
            return
        # The survivors all sit in the oldest generation now; counting them
        # costs what they are, `gc.get_freeze_count()` what is frozen.
        self._frozen_since += len(gc.get_objects(generation=2))
        gc.freeze()
        grown = max(self._baseline, _SMALLEST_BASELINE) * (self.thaw_ratio - 1)
        if self._frozen_since < grown:
            return
        frozen = gc.get_freeze_count()
        died = self._baseline + self._frozen_since - frozen
        if died * 10 < self._frozen_since and frozen < self._ceiling:
            self._rebase(frozen)  # connections only opened: nothing to find
            return
        # A collection cannot start inside another one's callback, and this
        # may be any thread: the loop thaws at its next turn.
        self._thaw_scheduled = True
        assert self._loop is not None  # set with the callback
        self._loop.call_soon_threadsafe(self.thaw)
