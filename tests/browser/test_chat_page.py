"""The chat example in a real browser: two pages talk; another origin is refused."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.conftest import requires_chromium
from tests.support.server import Server, run_server

pytestmark = requires_chromium

CHAT_PATH = "/chat"
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def chat_server() -> Iterator[Server]:
    with run_server("examples.chat.app:api") as running:
        yield running


@pytest.fixture(scope="module")
def foreign_server() -> Iterator[Server]:
    with run_server("tests.apps.ws_foreign_page:api") as running:
        yield running


async def join_chat(browser: Browser, server: Server, nick: str) -> Page:
    """Open the chat page in a context of its own and pick a nickname."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(server.http_url + CHAT_PATH)
    await pick_nick(page, nick)
    await expect(page.locator("#status")).to_have_text("connected", timeout=TIMEOUT_MS)
    return page


async def pick_nick(page: Page, nick: str) -> None:
    """Type a nickname and join the room with it."""
    await page.locator("#nick").fill(nick)
    await page.locator("#join").click()


async def say(page: Page, text: str) -> None:
    """Type a message and send it with the form's button."""
    await page.locator("#message").fill(text)
    await page.locator("#send").click()


async def test_a_message_sent_from_one_page_arrives_on_the_other(
    browser: Browser, chat_server: Server
) -> None:
    alice = await join_chat(browser, chat_server, "alice")
    bob = await join_chat(browser, chat_server, "bob")

    await say(alice, "hello bob")
    await expect(bob.locator("#messages li")).to_contain_text(
        ["alice: hello bob"], timeout=TIMEOUT_MS
    )
    await say(bob, "hi alice")
    await expect(alice.locator("#messages li")).to_contain_text(
        ["alice: hello bob", "bob: hi alice"], timeout=TIMEOUT_MS
    )


async def test_a_page_from_another_origin_is_refused(
    browser: Browser, chat_server: Server, foreign_server: Server
) -> None:
    chat = await browser.new_page()
    await chat.goto(chat_server.http_url + CHAT_PATH)
    async with chat.expect_websocket(timeout=TIMEOUT_MS) as opened:
        await pick_nick(chat, "carol")
    # The chat page's own socket URL: the very endpoint the attacker targets.
    target = (await opened.value).url
    await expect(chat.locator("#status")).to_have_text("connected", timeout=TIMEOUT_MS)

    attacker = await browser.new_page()
    await attacker.goto(f"{foreign_server.http_url}/?target={quote(target)}")

    await expect(attacker.locator("#result")).to_have_text(
        "refused", timeout=TIMEOUT_MS
    )
    await expect(attacker.locator("#events")).not_to_contain_text("open")
    assert "allowed_origins" in chat_server.wait_for_line("allowed_origins")
