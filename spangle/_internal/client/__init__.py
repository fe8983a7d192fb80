"""The browser client for rooms, shipped as files (`spangle client-js`)."""

from __future__ import annotations

from importlib.resources import files

__all__ = ["CLIENT_FILES", "client_source"]

#: The files `spangle client-js --out DIR` writes: (name, is the types file).
CLIENT_FILES = (("spangle.js", False), ("spangle.d.ts", True))


def client_source(*, types: bool = False) -> str:
    """Read the client's ES module, or its TypeScript declarations.

    Args:
        types: Return the `.d.ts` instead of the `.js`.

    Returns:
        The source text.
    """
    name = "spangle.d.ts" if types else "spangle.js"
    return files(__package__).joinpath(name).read_text(encoding="utf-8")
