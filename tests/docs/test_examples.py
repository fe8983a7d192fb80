"""The examples of README.md and docs/: marked ones run, every other compiles.

The marks are described in `tests/support/markdown.py` and docs/contributing.md.
"""

from __future__ import annotations

import pytest

from tests.support.markdown import (
    Block,
    blocks,
    chains,
    compile_block,
    pages,
    run_chain,
)

PAGE_BLOCKS = {page: blocks(page) for page in pages()}
PYTHON = [b for found in PAGE_BLOCKS.values() for b in found if b.lang == "python"]
CHAINS = [chain for found in PAGE_BLOCKS.values() for chain in chains(found)]


@pytest.mark.parametrize("block", PYTHON, ids=[b.where for b in PYTHON])
def test_the_python_example_compiles(block: Block) -> None:
    compile_block(block)


@pytest.mark.parametrize("chain", CHAINS, ids=[chain[0].where for chain in CHAINS])
def test_the_marked_python_example_runs(chain: list[Block]) -> None:
    run_chain(chain)
