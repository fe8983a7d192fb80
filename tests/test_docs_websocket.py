"""Every Python example of docs/websocket.md runs, and its tests pass."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from spangle import Api

DOC = Path(__file__).resolve().parents[1] / "docs" / "websocket.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize(
    "source", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))]
)
async def test_the_example_runs(source: str) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(source, str(DOC), "exec"), namespace)
    assert isinstance(namespace["api"], Api)
    for name, value in namespace.items():
        if name.startswith("test_") and inspect.iscoroutinefunction(value):
            await value()
