from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from spangle import Api, Request, Response
from spangle._internal.urls_ts import render_urls_ts
from tests.apps import urls

TS_DIR = Path(__file__).resolve().parents[1] / "ts"
TSC = TS_DIR / "node_modules" / ".bin" / "tsc"
TSC_FLAGS = ["--strict", "--target", "es2020", "--module", "commonjs"]


@pytest.fixture(scope="module")
def tsc() -> Path:
    """The pinned TypeScript compiler, installed from npm on first use."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm and node are needed to type-check TypeScript")
    if not TSC.exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=TS_DIR,
            check=True,
            capture_output=True,
            timeout=300,
        )
    return TSC


def compile_ts(tsc: Path, folder: Path, usage: str) -> subprocess.CompletedProcess[str]:
    (folder / "urls.ts").write_text(render_urls_ts(urls.api))
    (folder / "use.ts").write_text(usage)
    return subprocess.run(
        [str(tsc), *TSC_FLAGS, "--outDir", "out", "urls.ts", "use.ts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_views_are_named_module_dot_class_with_their_first_route() -> None:
    source = render_urls_ts(urls.api)
    assert '"tests.apps.urls.Post": tag`/u/${"id"}/${"slug"}`,' in source
    assert '"tests.apps.urls.Room": tag`/chat/rooms/${"room"}`,' in source


def test_the_module_has_the_0_11_shape() -> None:
    source = render_urls_ts(urls.api)
    for line in (
        "type ViewName = ",
        "type Params = {",
        "const tag = (strings: TemplateStringsArray, ...keys: string[]) => {",
        "const taggedViews = {",
        "export const urlFor = <T extends ViewName>(",
    ):
        assert line in source


def test_int_and_float_params_are_numbers_and_others_strings() -> None:
    source = render_urls_ts(urls.api)
    post = '"tests.apps.urls.Post": {\n    id: number;\n    slug: string;\n  };'
    assert post in source
    assert '"tests.apps.urls.Tile": {\n    zoom: number;\n    name: string;' in source
    assert '"tests.apps.urls.Room": {\n    room: string;\n  };' in source


def test_a_view_without_params_takes_no_keys() -> None:
    source = render_urls_ts(urls.api)
    assert '"tests.apps.urls.Index": Record<string, never>;' in source


def test_rest_string_params_are_marked_to_keep_slashes() -> None:
    assert 'tag`/files/${"+path"}`' in render_urls_ts(urls.api)


def test_an_api_without_routes_renders_empty_types() -> None:
    source = render_urls_ts(Api(static_dir=None))
    assert "export type ViewName = never;\nexport type Params = {\n};" in source


def test_static_text_is_escaped_inside_the_template_literal() -> None:
    api = Api(static_dir=None)

    @api.route("/a`b$c")
    class Odd:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    assert "tag`/a\\`b\\$c`" in render_urls_ts(api)


def test_names_are_quoted_as_json_strings() -> None:
    api = Api(static_dir=None)

    @api.route("/q")
    class Quoted:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    source = render_urls_ts(api)
    assert json.dumps(f"{__name__}.{Quoted.__qualname__}") in source


def test_the_generated_module_type_checks_and_builds_the_same_paths(
    tsc: Path, tmp_path: Path
) -> None:
    cases: list[tuple[type, dict[str, object]]] = [
        (urls.Index, {}),
        (urls.Post, {"id": 7, "slug": "a b/c"}),
        (urls.Files, {"path": "docs/read me.txt"}),
        (urls.Tile, {"zoom": 1.5, "name": "map", "ext": "png"}),
        (urls.Room, {"room": "lobby"}),
    ]
    calls = ", ".join(
        f'urlFor("tests.apps.urls.{view.__name__}", {json.dumps(params)})'
        for view, params in cases
    )
    usage = (
        'import { urlFor } from "./urls";\n'
        'const index: string = urlFor("tests.apps.urls.Index");\n'
        f"console.log(JSON.stringify([index, {calls}]));\n"
    )
    built = compile_ts(tsc, tmp_path, usage)
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run(
        ["node", "out/use.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    paths = json.loads(ran.stdout)
    assert paths[0] == "/"
    assert paths[1:] == [urls.api.url_for(view, params) for view, params in cases]


WRONG_CALLS = {
    "wrong_name": ('urlFor("tests.apps.urls.Post", { idx: 7, slug: "a" })', "'idx'"),
    "wrong_type": ('urlFor("tests.apps.urls.Post", { id: "7", slug: "a" })', "TS2322"),
    "missing": ('urlFor("tests.apps.urls.Post")', "Expected 2 arguments"),
    "extra": ('urlFor("tests.apps.urls.Index", { page: 1 })', "TS2322"),
    "unknown_view": ('urlFor("tests.apps.urls.Nope")', "TS2345"),
}


@pytest.fixture(scope="module")
def wrong_calls_output(tsc: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Compile every wrong call at once (tsc starts slowly); return its report."""
    folder = tmp_path_factory.mktemp("wrong")
    (folder / "urls.ts").write_text(render_urls_ts(urls.api))
    for name, (call, _) in WRONG_CALLS.items():
        usage = f'import {{ urlFor }} from "./urls";\nexport const url = {call};\n'
        (folder / f"{name}.ts").write_text(usage)
    files = ["urls.ts", *(f"{name}.ts" for name in WRONG_CALLS)]
    built = subprocess.run(
        [str(tsc), *TSC_FLAGS, "--noEmit", *files],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode != 0
    return built.stdout


@pytest.mark.parametrize("name", WRONG_CALLS)
def test_a_wrong_call_fails_type_checking(wrong_calls_output: str, name: str) -> None:
    errors = [
        line
        for line in wrong_calls_output.splitlines()
        if line.startswith(name + ".ts")
    ]
    assert any(WRONG_CALLS[name][1] in line for line in errors), wrong_calls_output


def test_the_generated_module_alone_has_no_errors(wrong_calls_output: str) -> None:
    assert "urls.ts(" not in wrong_calls_output
