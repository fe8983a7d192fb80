"""Render a TypeScript `urlFor` helper from an Api's routes (`spangle urls-ts`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spangle.api import Api


def render_urls_ts(api: Api) -> str:
    """Render the TypeScript module.

    Args:
        api: The Api whose routes to export.

    Returns:
        TypeScript source text.
    """
    raise NotImplementedError("urls-ts is not built yet")
