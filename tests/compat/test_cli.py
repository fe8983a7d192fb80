"""0.11's `spangle urls-ts` file shape, as its cli-tools page shows it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from spangle import cli
from tests._internal.test_urls_ts import TSC_FLAGS, tsc  # noqa: F401 (fixture)


def test_urls_ts_prints_view_name_params_tag_tagged_views_and_url_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["urls-ts", "tests.apps.urls:api"]) == 0
    out = capsys.readouterr().out
    assert 'type ViewName = "tests.apps.urls.Files" | ' in out
    assert '  "tests.apps.urls.Room": {\n    room: string;\n  };' in out
    assert "const tag = (strings: TemplateStringsArray, ...keys: string[]) => {" in out
    assert '  "tests.apps.urls.Post": tag`/u/${"id"}/${"slug"}`,' in out
    assert "export const urlFor = <T extends ViewName>(" in out


def test_a_0_11_style_call_with_params_type_checks_and_runs(
    tsc: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli.main(["urls-ts", "tests.apps.urls:api"])
    (tmp_path / "urls.ts").write_text(capsys.readouterr().out)
    (tmp_path / "use.ts").write_text(
        'import { urlFor } from "./urls";\n'
        'console.log(urlFor("tests.apps.urls.Index", {}), '
        'urlFor("tests.apps.urls.Post", { id: 3, slug: "s" }));\n'
    )
    built = subprocess.run(
        [str(tsc), *TSC_FLAGS, "--outDir", "out", "urls.ts", "use.ts"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout
    ran = subprocess.run(
        ["node", "out/use.js"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert ran.stdout.split() == ["/", "/u/3/s"]


def test_spangle_without_a_command_prints_the_help_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main([]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("usage: spangle") and "urls-ts" in out
    assert err == ""
