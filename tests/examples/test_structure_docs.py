"""Run the Python examples of the application-structure pages of `docs/`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = ["components", "lifespan", "blueprints", "mounting", "middleware", "cli"]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


def examples() -> list[tuple[str, str]]:
    found = []
    for page in PAGES:
        text = (DOCS / f"{page}.md").read_text()
        for number, code in enumerate(BLOCK.findall(text), start=1):
            found.append((f"{page}.md#{number}", code))
    return found


@pytest.mark.parametrize(("where", "code"), examples(), ids=[w for w, _ in examples()])
def test_the_example_runs(where: str, code: str) -> None:
    exec(compile(code, where, "exec"), {"__name__": "docs_example"})
