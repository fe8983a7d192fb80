"""The chat room across two `spangle run` workers on one Redis, in Chromium.

One page goes offline while the other posts; back online it shows every
post once, in order. The presence list drops the members of a worker
killed with SIGKILL within the bound the docs state (`presence_ttl` plus a
third of it, for the survivors' heartbeat to notice).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.broadcast.redis_server import running_redis
from tests.browser.conftest import requires_chromium
from tests.browser.test_chat_page import pick_nick, say
from tests.support.server import Server, run_server
from tests.support.tcp_proxy import cuttable_proxy

pytestmark = requires_chromium

APP = "examples.chat.app:api"
PRESENCE_TTL = 3.0
# A dead worker's members expire after the TTL; a survivor's heartbeat,
# every third of it, removes them and tells the room.
PRESENCE_BOUND_MS = int((PRESENCE_TTL * 4 / 3 + 2.0) * 1000)  # + 2 s for the page
TIMEOUT_MS = 15_000


@pytest.fixture
def workers() -> Iterator[tuple[Server, Server]]:
    with running_redis() as redis, ExitStack() as stack:
        env = {
            "SPANGLE_BROADCAST_URL": redis.url,
            "SPANGLE_PRESENCE_TTL": str(PRESENCE_TTL),
        }
        first, second = (
            stack.enter_context(run_server(APP, server="spangle", env=env))
            for _ in range(2)
        )
        yield first, second


async def open_chat(context: BrowserContext, base_url: str, nick: str) -> Page:
    page = await context.new_page()
    await page.goto(base_url + "/chat")
    await pick_nick(page, nick)
    await expect(page.locator("#status")).to_have_text("connected", timeout=TIMEOUT_MS)
    return page


async def test_both_pages_list_both_nicks(
    browser: Browser, workers: tuple[Server, Server]
) -> None:
    first, second = workers
    alice = await open_chat(await browser.new_context(), first.http_url, "alice")
    bob = await open_chat(await browser.new_context(), second.http_url, "bob")
    for page in (alice, bob):
        await expect(page.locator("#online li")).to_have_text(
            ["alice", "bob"], timeout=TIMEOUT_MS
        )


async def test_a_page_offline_while_20_posts_are_sent_shows_them_all_once_in_order(
    browser: Browser, workers: tuple[Server, Server]
) -> None:
    first, second = workers
    sent = [f"post {i}" for i in range(1, 21)]
    expected = [f"alice: {text}" for text in sent]
    async with cuttable_proxy(second.port) as network:
        alice = await open_chat(await browser.new_context(), first.http_url, "alice")
        bob_context = await browser.new_context()
        bob = await open_chat(bob_context, network.http_url, "bob")
        await say(alice, "before")
        await expect(bob.locator("#messages li")).to_have_text(
            ["alice: before"], timeout=TIMEOUT_MS
        )

        await bob_context.set_offline(True)
        network.cut()
        await expect(bob.locator("#status")).to_have_text(
            "reconnecting…", timeout=TIMEOUT_MS
        )
        for text in sent:
            await say(alice, text)
        await expect(alice.locator("#messages li")).to_have_text(
            ["alice: before", *expected], timeout=TIMEOUT_MS
        )
        await expect(bob.locator("#messages li")).to_have_text(["alice: before"])

        network.restore()
        await bob_context.set_offline(False)
        await expect(bob.locator("#status")).to_have_text(
            "connected", timeout=TIMEOUT_MS
        )
        await expect(bob.locator("#messages li")).to_have_text(
            ["alice: before", *expected], timeout=TIMEOUT_MS
        )


async def test_the_members_of_a_killed_worker_leave_the_list_within_the_bound(
    browser: Browser, workers: tuple[Server, Server]
) -> None:
    first, second = workers
    alice = await open_chat(await browser.new_context(), first.http_url, "alice")
    bob = await open_chat(await browser.new_context(), second.http_url, "bob")
    await expect(alice.locator("#online li")).to_have_text(
        ["alice", "bob"], timeout=TIMEOUT_MS
    )

    second.process.kill()  # SIGKILL: no leave, no shutdown
    await expect(bob.locator("#status")).to_have_text(
        "reconnecting…", timeout=TIMEOUT_MS
    )
    await expect(alice.locator("#online li")).to_have_text(
        ["alice"], timeout=PRESENCE_BOUND_MS
    )
