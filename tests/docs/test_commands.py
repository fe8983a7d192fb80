"""The marked shell commands of README.md and docs/ work as written.

Each page's commands run in a scratch directory, with a fresh virtualenv made
by the commands themselves. `pip install spangle` finds this checkout's wheel
beside the package index (as it will find the release there), and the
repository URL a page clones stands for this checkout.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.dist import built
from tests.support.markdown import ROOT, Shell, blocks, pages, scratch_env

REPOSITORY = "https://github.com/tkamenoko/spangle.git"
PAGES = [
    page
    for page in pages()
    if any(b.lang == "console" and b.mark for b in blocks(page))
]


@pytest.mark.timeout(900)
@pytest.mark.parametrize(
    "page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES]
)
def test_the_page_commands_work_as_written(page: Path, tmp_path: Path) -> None:
    links = " ".join([str(built().directory), os.environ.get("PIP_FIND_LINKS", "")])
    shell = Shell(
        tmp_path,
        scratch_env({"PIP_FIND_LINKS": links.strip()}),
        # Cloned into the folder the URL's clone would have.
        {re.escape(REPOSITORY): f"{ROOT} spangle"},
    )
    with shell:
        shell.play(blocks(page))
