"""The docs site builds with --strict, and its API reference is complete."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.markdown import ROOT, pages

# The first test builds the site.
pytestmark = pytest.mark.timeout(300)

# The public modules, each with a reference page.
PUBLIC_MODULES = [
    "spangle",
    "spangle.api",
    "spangle.blueprint",
    "spangle.component",
    "spangle.error_handler",
    "spangle.exceptions",
    "spangle.handler_protocols",
    "spangle.models.http",
    "spangle.models.websocket",
    "spangle.parser",
    "spangle.testing",
    "spangle.types",
    "spangle.broadcast",
    "spangle.cli",
]
# Words for the project's own working documents, which readers never see.
INTERNAL = re.compile(
    r"\bSPEC\b|(?i:\bseed\b|\bissue \d+|\bthe issue\b|coordinator|specification)"
)


def _compact(text: str) -> str:
    """Text without the spaces that the page's markup puts around punctuation."""
    return re.sub(r"\s*([()\[\],:|=>-])\s*", r"\1", text)


def _text(page: Path) -> str:
    """The visible text of a built page, whitespace squeezed."""
    source = page.read_text(encoding="utf-8")
    article = source[source.index("<article") : source.index("</article>")]
    article = re.sub(r"<(script|style)\b.*?</\1>", "", article, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", article)).replace("¶", "")
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built with --strict."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def _reference(site: Path, module: str) -> str:
    name = module.removeprefix("spangle.") if module != "spangle" else "spangle"
    return _compact(_text(site / "reference" / name / "index.html"))


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_every_public_module_has_a_reference_page(site: Path, module: str) -> None:
    assert module in _reference(site, module)


def test_the_connection_reference_shows_its_signature(site: Path) -> None:
    text = _reference(site, "spangle.models.websocket")
    # The seed's three parameters, then only keyword-only additions.
    signature = "Connection( scope: Scope, receive: Receive, send: Send, *, "
    assert _compact(signature + "max_message_bytes: int = 1024 * 1024, )") in text


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("state", "Dict"),
        ("closed", "bool"),
        ("reraise", "bool"),
        ("headers", "CIMultiDictProxy"),
        ("params", "MultiDictProxy[str]"),
        ("url", "URL"),
    ],
)
def test_the_connection_reference_types_each_attribute(
    site: Path, name: str, kind: str
) -> None:
    text = _reference(site, "spangle.models.websocket")
    typed = [_compact(f"{name} ({kind})"), _compact(f"{name} property {name}: {kind}")]
    assert any(entry in text for entry in typed), name


@pytest.mark.parametrize(
    ("signature", "sections"),
    [
        ("accept( subprotocol: str | None = None,", ["Parameters: subprotocol"]),
        ("close(status_code: int = 1000, reason: str = '') -> None", ["Parameters:"]),
        (
            "receive( mode: type[str] | type[bytes] | None = None, ) -> str | bytes",
            ["Parameters: mode", "Returns: str | bytes"],
        ),
        ("send(data: str | bytes) -> None", ["Parameters: data"]),
    ],
)
def test_the_connection_reference_documents_each_method(
    site: Path, signature: str, sections: list[str]
) -> None:
    text = _reference(site, "spangle.models.websocket")
    start = text.index(_compact(signature))
    following = text[start : start + 1500]
    for section in sections:
        assert _compact(section) in following, (signature, section)


def test_no_page_speaks_of_the_projects_working_documents(site: Path) -> None:
    sources = {p.relative_to(ROOT).as_posix(): p.read_text() for p in pages()}
    built = {
        p.relative_to(site).as_posix(): _text(p)
        for p in site.rglob("index.html")
        if "<article" in p.read_text(encoding="utf-8")
    }
    found = [
        f"{where}: {match.group(0)!r}"
        for where, text in {**sources, **built}.items()
        for match in INTERNAL.finditer(text)
    ]
    assert not found
