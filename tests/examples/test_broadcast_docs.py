"""Run the Python examples of `docs/broadcast.md`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "broadcast.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXAMPLES = BLOCK.findall(PAGE.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "code", EXAMPLES, ids=[f"broadcast.md#{i + 1}" for i in range(len(EXAMPLES))]
)
def test_the_example_runs(code: str) -> None:
    exec(compile(code, "docs/broadcast.md", "exec"), {"__name__": "docs_example"})
