"""Static files under `static_root`, served by Starlette's `StaticFiles`."""

from __future__ import annotations

from starlette.staticfiles import StaticFiles

from spangle._internal.asgi import ASGIApp


def make_static_app(directory: str) -> ASGIApp:
    """Make the app serving a static directory.

    A missing directory is not an error until a file is asked for.

    Args:
        directory: The directory of static files.

    Returns:
        The ASGI app.
    """
    return StaticFiles(directory=directory, check_dir=False)
