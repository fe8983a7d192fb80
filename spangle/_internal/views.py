"""Per-view method tables, computed once when a view is registered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from spangle.exceptions import MethodNotAllowedError

Responder = Callable[..., Awaitable[Any]]

ALWAYS_ALLOWED = ("get", "head", "options")
KNOWN_METHODS = ("get", "head", "options", "post", "put", "delete", "patch")


class ViewEntry:
    """A view instance and what each request method calls on it.

    Attributes:
        view: The view instance (one per class and Api).
        on_request: The view's `on_request`, or `None`.
        responders: Method as sent on the wire (`"GET"`) → `on_<method>`, or
            `None` when the method is allowed without a handler of its own.
        allow: The `Allow` header value.
        on_ws: The view's `on_ws`, or `None`.
    """

    __slots__ = ("view", "on_request", "responders", "allow", "on_ws")

    def __init__(self, view: Any) -> None:
        self.view = view
        self.on_request: Responder | None = getattr(view, "on_request", None)
        self.on_ws: Responder | None = getattr(view, "on_ws", None)
        listed = {m.lower() for m in getattr(view, "allowed_methods", ())}
        methods = set(ALWAYS_ALLOWED) | listed
        methods |= {m for m in KNOWN_METHODS if hasattr(view, f"on_{m}")}
        # PERF: keyed by the method as the server hands it over, so a request
        # needs no `lower()`; methods are case-sensitive (RFC 9110, 9.1).
        self.responders: dict[str, Responder | None] = {
            method.upper(): getattr(view, f"on_{method}", None)
            for method in sorted(methods)
        }
        if self.responders["HEAD"] is None:
            # HEAD is GET without a body: the pipeline drops what on_get wrote.
            self.responders["HEAD"] = self.responders["GET"]
        self.allow = ", ".join(self.responders)

    def not_allowed(self) -> MethodNotAllowedError:
        """Make the 405 error for a method this view refuses.

        Returns:
            The error, listing the allowed methods.
        """
        return MethodNotAllowedError(allowed_methods=tuple(self.responders))
