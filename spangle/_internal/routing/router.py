"""Route lookup: an exact-path dict first, then a segment trie.

Trailing-slash strategies are compiled into extra entries at registration,
so a lookup never retries with or without a slash.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar
from urllib.parse import quote

from spangle.types import Converters, RoutingStrategy

from .compiler import Segment, compile_template, normalize_template

T = TypeVar("T")

STRATEGIES = ("no_slash", "slash", "strict", "clone")
_NO_PARAMS: dict[str, Any] = {}


class Endpoint(Generic[T]):
    """What a matched path leads to.

    Attributes:
        target: The registered object (a view entry).
        redirect: `None` to serve, `"add"` or `"strip"` to answer with a 308
            that adds or strips the trailing slash.
    """

    __slots__ = ("target", "redirect")

    def __init__(self, target: T, redirect: str | None) -> None:
        self.target = target
        self.redirect = redirect


class _Node(Generic[T]):
    __slots__ = ("static", "dynamic", "rest", "endpoint")

    def __init__(self) -> None:
        self.static: dict[str, _Node[T]] = {}
        self.dynamic: list[tuple[Segment, _Node[T]]] = []
        self.rest: list[tuple[Segment, Endpoint[T]]] = []
        self.endpoint: Endpoint[T] | None = None


class RouteTable(Generic[T]):
    """Registered routes, ready for lookups.

    Static routes live in a dict keyed by path; dynamic ones in a trie of
    segments where converters run only at candidate nodes.
    """

    def __init__(self) -> None:
        # PERF: static paths map straight to the lookup's answer, no tuple per request.
        self._static: dict[str, tuple[Endpoint[T], dict[str, Any]]] = {}
        self._root: _Node[T] = _Node()
        self._templates: dict[T, tuple[str, list[Segment]]] = {}

    def add(
        self,
        template: str,
        target: T,
        converters: Converters | None = None,
        strategy: RoutingStrategy = "no_slash",
    ) -> None:
        """Register a route.

        Args:
            template: The path template, e.g. `/users/{id:int}`.
            target: What the path leads to.
            converters: Custom converters for the template's parameters.
            strategy: The trailing-slash strategy.

        Raises:
            ValueError: An unknown strategy or a malformed template.
        """
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown routing strategy {strategy!r}; use {STRATEGIES}")
        for path, redirect in _variants(normalize_template(template), strategy):
            segments = compile_template(path, converters)
            if redirect is None and target not in self._templates:
                self._templates[target] = (path, segments)
            self._insert(path, segments, Endpoint(target, redirect))

    def _insert(
        self, path: str, segments: list[Segment], endpoint: Endpoint[T]
    ) -> None:
        if all(segment.static for segment in segments):
            _store(self._static, path, endpoint)
            return
        node = self._root
        for segment in segments:
            if segment.rest:
                node.rest.append((segment, endpoint))
                return
            if segment.static:
                node = node.static.setdefault(segment.text, _Node())
                continue
            for known, child in node.dynamic:
                # Same text with other converters is another branch.
                if known == segment:
                    node = child
                    break
            else:
                child = _Node()
                node.dynamic.append((segment, child))
                node = child
        if node.endpoint is None or (node.endpoint.redirect and not endpoint.redirect):
            node.endpoint = endpoint

    def lookup(self, path: str) -> tuple[Endpoint[T], dict[str, Any]] | None:
        """Find the endpoint of a request path.

        Args:
            path: The decoded request path, starting with `/`.

        Returns:
            The endpoint and its converted parameters, or `None`.
        """
        found = self._static.get(path)
        if found is not None:
            return found
        return _walk(self._root, path[1:].split("/"), 0)

    def segments_of(self, target: T) -> list[Segment]:
        """Return the compiled template a target's path is built from.

        Args:
            target: A registered target.

        Returns:
            The segments of its first serving route, as `path_for` fills them.

        Raises:
            KeyError: The target is not registered.
        """
        return self._templates[target][1]

    def path_for(self, target: T, params: dict[str, Any] | None = None) -> str:
        """Build the path a target is served at.

        Args:
            target: A registered target.
            params: Values of the template's parameters.

        Returns:
            The path, each parameter percent-quoted (one whose converter may
            match slashes keeps them).

        Raises:
            KeyError: The target is not registered, or a parameter is missing.
        """
        try:
            template, segments = self._templates[target]
        except KeyError:
            raise KeyError(f"{target!r} is not routed") from None
        values = params or {}
        if all(segment.static for segment in segments):
            return template
        pieces = []
        for segment in segments:
            text = segment.text
            for name, _ in segment.converters:
                if name not in values:
                    raise KeyError(f"missing parameter {name!r} for {template!r}")
                safe = "/" if name in segment.slashed else ""
                value = quote(str(values[name]), safe=safe)
                text = _replace_param(text, name, value)
            pieces.append(text)
        return "/" + "/".join(pieces)


def _replace_param(text: str, name: str, value: str) -> str:
    # "{name}" or "{name:conv}", not "{name_longer}".
    start = text.find("{" + name + "}")
    if start < 0:
        start = text.index("{" + name + ":")
    end = text.index("}", start)
    return text[:start] + value + text[end + 1 :]


def _store(
    table: dict[str, tuple[Endpoint[T], dict[str, Any]]],
    path: str,
    endpoint: Endpoint[T],
) -> None:
    known = table.get(path)
    # The first route to serve a path keeps it; a serving route beats a
    # redirect that another route's strategy put there.
    if known is None or (known[0].redirect and not endpoint.redirect):
        table[path] = (endpoint, _NO_PARAMS)


def _variants(template: str, strategy: str) -> list[tuple[str, str | None]]:
    base = template.rstrip("/") or "/"
    if base == "/" or template.endswith("rest_string}"):
        return [(template, None)]
    slashed = base + "/"
    if strategy == "no_slash":
        return [(base, None), (slashed, "strip")]
    if strategy == "slash":
        return [(slashed, None), (base, "add")]
    if strategy == "clone":
        return [(base, None), (slashed, None)]
    return [(template, None)]


def _walk(
    node: _Node[T], pieces: list[str], index: int
) -> tuple[Endpoint[T], dict[str, Any]] | None:
    if index == len(pieces):
        return None if node.endpoint is None else (node.endpoint, {})
    piece = pieces[index]
    child = node.static.get(piece)
    if child is not None:
        found = _walk(child, pieces, index + 1)
        if found is not None:
            return found
    if piece:
        for segment, child in node.dynamic:
            values = segment.match(piece)
            if values is None:
                continue
            found = _walk(child, pieces, index + 1)
            if found is not None:
                found[1].update(values)
                return found
    if node.rest:
        return _match_rest(node, "/".join(pieces[index:]))
    return None


def _match_rest(
    node: _Node[T], remainder: str
) -> tuple[Endpoint[T], dict[str, Any]] | None:
    """Match what is left of a path against a node's `rest_string` routes."""
    for segment, endpoint in node.rest:
        values = segment.match(remainder)
        if values is not None:
            return endpoint, values
    return None
