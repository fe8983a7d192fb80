"""A griffe extension for the docs site: types in code spans read as types.

spangle's docstrings write the type of an attribute in a code span, as in
``state (`addict.Dict`): ...``; the API reference renders it as the entry's
type, like an annotation, instead of showing the backticks.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_TYPED_ENTRY = re.compile(r"^(\s+[*\w]+ )\(`([^`]+)`\):", re.MULTILINE)


class CodeSpanTypes(griffe.Extension):
    """Unwrap the code span around the type of docstring entries."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of each object as it is loaded.

        Args:
            obj: The object griffe just loaded.
            **kwargs: The other arguments of the event.
        """
        if obj.docstring is not None:
            obj.docstring.value = _TYPED_ENTRY.sub(r"\1(\2):", obj.docstring.value)
