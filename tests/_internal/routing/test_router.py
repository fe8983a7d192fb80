from __future__ import annotations

import pytest

from spangle import Api, Request, Response
from spangle._internal.routing.router import RouteTable
from spangle.types import RoutingStrategy


def _table(*templates: str, strategy: RoutingStrategy = "strict") -> RouteTable[str]:
    table: RouteTable[str] = RouteTable()
    for template in templates:
        table.add(template, template, strategy=strategy)
    return table


def _target(table: RouteTable[str], path: str) -> str | None:
    found = table.lookup(path)
    return None if found is None else found[0].target


def test_static_routes_win_over_dynamic_ones() -> None:
    table = _table("/users/{name}", "/users/me")
    assert _target(table, "/users/me") == "/users/me"
    assert _target(table, "/users/ann") == "/users/{name}"


def test_static_segment_wins_inside_the_trie() -> None:
    table = _table("/{a}/x/{b}", "/{a}/{c}/{b}")
    assert _target(table, "/1/x/2") == "/{a}/x/{b}"
    assert _target(table, "/1/y/2") == "/{a}/{c}/{b}"


def test_lookup_backtracks_when_a_deeper_segment_fails() -> None:
    table = _table("/a/{x:int}/end", "/a/{y}/other")
    assert _target(table, "/a/1/other") == "/a/{y}/other"


def test_params_are_converted() -> None:
    table = _table("/{i:int}/{f:float}/{s:str}/{d}")
    found = table.lookup("/-3/2.5/x/y")
    assert found is not None
    assert found[1] == {"i": -3, "f": 2.5, "s": "x", "d": "y"}


def test_default_parameter_does_not_match_a_slash() -> None:
    table = _table("/files/{name}")
    assert table.lookup("/files/a/b") is None


def test_rest_string_matches_slashes() -> None:
    table = _table("/files/{path:rest_string}")
    found = table.lookup("/files/a/b/c.txt")
    assert found is not None
    assert found[1] == {"path": "a/b/c.txt"}
    assert table.lookup("/files/") is None


def test_rest_string_may_stand_in_the_middle() -> None:
    table = _table("/{p:rest_string}/x")
    found = table.lookup("/a/b/x")
    assert found is not None
    assert found[1] == {"p": "a/b"}
    assert table.lookup("/a/b/y") is None


def test_static_routes_win_over_a_spanning_one() -> None:
    table = _table("/a/{p:rest_string}/x", "/a/b/x")
    assert _target(table, "/a/b/x") == "/a/b/x"
    assert _target(table, "/a/b/c/x") == "/a/{p:rest_string}/x"


def test_a_custom_pattern_may_match_slashes() -> None:
    def letters(value: str) -> str:
        return value

    letters.pattern = r"[a-z]+(/[a-z]+)+"  # type: ignore[attr-defined]
    table: RouteTable[str] = RouteTable()
    table.add("/c/{path:letters}", "t", {"letters": letters})
    found = table.lookup("/c/ab/cd")
    assert found is not None
    assert found[1] == {"path": "ab/cd"}
    assert table.lookup("/c/ab") is None


def test_url_of_a_spanning_param_keeps_its_slashes() -> None:
    table = _table("/{p:rest_string}/x/{n}")
    assert table.path_for("/{p:rest_string}/x/{n}", {"p": "a/b", "n": "c/d"}) == (
        "/a/b/x/c%2Fd"
    )


def test_params_inside_a_segment() -> None:
    table = _table("/v{major:int}.{minor:int}")
    found = table.lookup("/v1.2")
    assert found is not None
    assert found[1] == {"major": 1, "minor": 2}


def test_repeated_parameter_names_are_refused() -> None:
    with pytest.raises(ValueError, match="repeats"):
        _table("/{a}/{a}")


def test_unknown_converter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="known: .*int"):
        _table("/{a:nope}")


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="strategy"):
        RouteTable[str]().add("/a", "a", strategy="sideways")  # type: ignore[arg-type]


def test_same_text_with_other_converters_is_another_branch() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("/a/{x:c}", "upper", converters={"c": _upper_only})
    table.add("/b/{x:c}", "lower", converters={"c": str.lower})
    table.add("/c/{x:c}", "c1", converters={"c": _upper_only})
    table.add("/c/{x:c}", "c2", converters={"c": str.lower})
    found = table.lookup("/c/abc")
    assert found is not None
    assert (found[0].target, found[1]) == ("c2", {"x": "abc"})


def _upper_only(value: str) -> str:
    if not value.isupper():
        raise ValueError(value)
    return value


@pytest.mark.parametrize(
    ("strategy", "path", "expected"),
    [
        ("no_slash", "/a", (None, "serve")),
        ("no_slash", "/a/", ("strip", "redirect")),
        ("slash", "/a/", (None, "serve")),
        ("slash", "/a", ("add", "redirect")),
        ("clone", "/a", (None, "serve")),
        ("clone", "/a/", (None, "serve")),
        ("strict", "/a", (None, "serve")),
        ("strict", "/a/", None),
    ],
)
def test_trailing_slash_strategies(
    strategy: RoutingStrategy, path: str, expected: tuple[str | None, str] | None
) -> None:
    table = (
        _table("/a", strategy=strategy)
        if strategy != "slash"
        else _table("/a/", strategy=strategy)
    )
    found = table.lookup(path)
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert found[0].redirect == expected[0]


def test_strategies_apply_to_dynamic_routes() -> None:
    table = _table("/u/{id:int}", strategy="no_slash")
    found = table.lookup("/u/3/")
    assert found is not None
    assert found[0].redirect == "strip"


def test_a_serving_route_beats_another_routes_redirect() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("/a", "no", strategy="no_slash")
    table.add("/a/", "yes", strategy="strict")
    found = table.lookup("/a/")
    assert found is not None
    assert (found[0].target, found[0].redirect) == ("yes", None)


def test_path_for_quotes_params_and_keeps_rest_slashes() -> None:
    table = _table("/u/{name}/{rest:rest_string}")
    path = table.path_for(
        "/u/{name}/{rest:rest_string}", {"name": "a/b c", "rest": "x/y"}
    )
    assert path == "/u/a%2Fb%20c/x/y"


def test_path_for_tells_similar_param_names_apart() -> None:
    table = _table("/{ab}-{a}")
    assert table.path_for("/{ab}-{a}", {"a": "1", "ab": "2"}) == "/2-1"


def test_path_for_a_missing_param_raises() -> None:
    table = _table("/{a}")
    with pytest.raises(KeyError, match="missing"):
        table.path_for("/{a}", {})


def test_each_lookup_of_a_dynamic_path_gets_its_own_params() -> None:
    # No cache of recent paths: with many ids it would only keep params
    # alive long enough for the garbage collector to scan them again and again.
    table = _table("/{a}")
    first, second = table.lookup("/x"), table.lookup("/x")
    assert first is not None and second is not None
    assert first[1] == second[1] == {"a": "x"}
    assert first[1] is not second[1]


async def test_several_routes_serve_one_view() -> None:
    api = Api()

    @api.route("/one")
    @api.route("/two/{n:int}")
    class View:
        async def on_get(self, req: Request, resp: Response, n: int = 0) -> None:
            resp.text = str(n)

    async with api.client() as client:
        assert (await client.get("/one")).text == "0"
        assert (await client.get("/two/5")).text == "5"
    assert api.url_for(View, {"n": 5}) in ("/one", "/two/5")


async def test_url_for_builds_the_first_route() -> None:
    api = Api()

    @api.route("/items/{id:int}")
    class Item:
        pass

    assert api.url_for(Item, {"id": 7}) == "/items/7"


async def test_per_route_strategy_overrides_the_apis() -> None:
    api = Api(routing="no_slash")

    @api.route("/a", routing="clone")
    class A:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "a"

    async with api.client() as client:
        assert (await client.get("/a/", allow_redirects=False)).text == "a"
