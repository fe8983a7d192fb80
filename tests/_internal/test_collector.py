"""`spangle run`'s collector policy: freeze what lives, thaw after a turnover."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from spangle._internal.collector import CollectorPolicy

# Enough objects for a few collections of the older generations.
MANY = 300_000


class Cyclic:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def connection() -> tuple[Cyclic, list[list[int]]]:
    """Objects like a connection's: a few in a cycle, most freed by counting."""
    return Cyclic(), [[1], [2], [3], [4]]


class CountedPolicy(CollectorPolicy):
    """The policy, counting its thaws (install makes the first)."""

    __slots__ = ("thaws",)

    def thaw(self) -> None:
        self.thaws = getattr(self, "thaws", 0) + 1
        super().thaw()


@pytest.fixture
def policy() -> Iterator[CountedPolicy]:
    threshold = gc.get_threshold()
    made = CountedPolicy(threshold=(1000, 10, 10))
    try:
        yield made
    finally:
        made.uninstall()
        gc.set_threshold(*threshold)
        gc.collect()


async def turn() -> None:
    """Let the loop run what a collection callback scheduled."""
    await asyncio.sleep(0)


async def test_install_freezes_what_startup_made(policy: CountedPolicy) -> None:
    made_at_startup = [[n] for n in range(1000)]
    policy.install(asyncio.get_running_loop())
    assert gc.is_tracked(made_at_startup)
    assert made_at_startup not in gc.get_objects()
    assert gc.get_freeze_count() > len(made_at_startup)


async def test_install_sets_the_thresholds(policy: CountedPolicy) -> None:
    policy.install(asyncio.get_running_loop())
    assert gc.get_threshold() == (1000, 10, 10)


async def test_objects_surviving_older_collections_are_frozen(
    policy: CountedPolicy,
) -> None:
    policy.install(asyncio.get_running_loop())
    before = gc.get_freeze_count()
    alive = [[n] for n in range(MANY)]
    assert gc.get_freeze_count() > before + MANY // 2
    assert len(alive) == MANY


async def test_connections_only_opening_cause_no_thaw(
    policy: CountedPolicy,
) -> None:
    policy.install(asyncio.get_running_loop())
    # Past the size where the policy looks at what died, short of the one
    # where it thaws anyway.
    wanted = 3 * max(gc.get_freeze_count(), 10_000)
    growing: list[list[int]] = []
    while len(growing) < wanted:
        growing += [[n] for n in range(wanted // 4)]
        await turn()
    assert gc.get_freeze_count() > wanted
    assert policy.thaws == 1  # install's


async def test_cycles_frozen_then_dropped_are_freed_after_a_turnover(
    policy: CountedPolicy,
) -> None:
    policy.install(asyncio.get_running_loop())
    population = [connection() for _ in range(MANY // 4)]
    first = weakref.ref(population[0][0])
    assert population[0][0] not in gc.get_objects()  # frozen
    for _ in range(10):
        if first() is None:
            break
        population = [connection() for _ in range(MANY // 4)]  # the old ones go
        await turn()
    assert first() is None
    assert policy.thaws > 1


async def test_a_thaw_does_not_call_for_another(policy: CountedPolicy) -> None:
    policy.install(asyncio.get_running_loop())
    population = [connection() for _ in range(MANY // 4)]
    for _ in range(10):
        if policy.thaws > 1:
            break
        population = [connection() for _ in range(MANY // 4)]
        await turn()
    thaws = policy.thaws
    for _ in range(5):
        await turn()
    assert policy.thaws == thaws
    assert population


async def test_without_freeze_only_the_thresholds_change() -> None:
    threshold = gc.get_threshold()
    policy = CollectorPolicy(freeze=False, threshold=(5000, 20, 20))
    try:
        policy.install(asyncio.get_running_loop())
        assert gc.get_threshold() == (5000, 20, 20)
        assert gc.get_freeze_count() == 0
        assert policy.after_collection not in gc.callbacks
    finally:
        gc.set_threshold(*threshold)


@pytest.mark.parametrize(
    "options",
    [{"threshold": (-1, 10, 10)}, {"thaw_ratio": 0.5}, {"thaw_ratio": float("nan")}],
)
def test_bad_settings_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        CollectorPolicy(**options)  # type: ignore[arg-type]
