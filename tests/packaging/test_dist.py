"""The sdist and the wheel: a clean build, complete metadata, the right files."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser

import pytest

from tests.support.dist import built

# The first test builds the distributions (`python -m build`).
pytestmark = pytest.mark.timeout(300)

# The machine's pip configuration names index folders that may be missing;
# pip says so inside the build's isolated environment. Not the build's doing.
_MACHINE_NOISE = re.compile(r"^WARNING: Location '.*' is ignored: .*$", re.MULTILINE)


def _metadata() -> dict[str, list[str]]:
    with zipfile.ZipFile(built().wheel) as wheel:
        (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        message = Parser().parsestr(wheel.read(name).decode())
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return fields


def test_the_build_prints_no_warning() -> None:
    output = _MACHINE_NOISE.sub("", built().output)
    assert "warning" not in output.lower(), output


def test_twine_check_passes_strictly() -> None:
    dist = built()
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(dist.wheel)]
        + [str(dist.sdist)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in (done.stdout + done.stderr).lower()


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    metadata = _metadata()
    assert metadata["License-Expression"] == ["MIT"]
    assert metadata["License-File"] == ["LICENSE"]
    assert not [c for c in metadata["Classifier"] if c.startswith("License ::")]


def test_the_metadata_names_the_project_urls() -> None:
    labels = {url.split(",")[0] for url in _metadata()["Project-URL"]}
    assert {"Homepage", "Documentation", "Repository", "Changelog"} <= labels


def test_the_core_requirements_name_no_optional_dependency() -> None:
    core = [r for r in _metadata()["Requires-Dist"] if "extra ==" not in r]
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0].lower() for r in core}
    assert names == {
        "starlette",
        "multidict",
        "addict",
        "python-multipart",
        "uvicorn",
        "wsproto",
    }


def test_the_wheel_holds_the_package_and_nothing_else() -> None:
    with zipfile.ZipFile(built().wheel) as wheel:
        names = wheel.namelist()
    tops = {name.split("/")[0] for name in names}
    assert {top for top in tops if not top.endswith(".dist-info")} == {"spangle"}
    assert "spangle/py.typed" in names


def test_the_sdist_carries_the_tests_docs_and_examples() -> None:
    with tarfile.open(built().sdist) as sdist:
        names = {name.split("/", 1)[-1] for name in sdist.getnames()}
    expected = {
        "LICENSE",
        "CHANGELOG.md",
        "mkdocs.yml",
        "tests/conftest.py",
        "tests/docs/test_examples.py",
        "tests/server/test_websocket_server.py",
        "docs/index.md",
        "examples/chat/app.py",
    }
    assert expected <= names
    assert not [name for name in names if "__pycache__" in name]
