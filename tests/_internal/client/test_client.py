"""The browser client for rooms: its logic under Node, its types under tsc."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from spangle._internal.client import CLIENT_FILES, client_source
from tests._internal.test_urls_ts import TSC_FLAGS, tsc  # noqa: F401 - a fixture

HERE = Path(__file__).parent


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    """The client's files in a folder, as an ES module package."""
    for name, types in CLIENT_FILES:
        (tmp_path / name).write_text(client_source(types=types), encoding="utf-8")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    return tmp_path


def test_the_module_imports_nothing() -> None:
    lines = client_source().splitlines()
    assert not [line for line in lines if line.startswith("import ")]


def test_the_client_logic_passes_its_node_tests(module_dir: Path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is needed to run the client's tests")
    shutil.copy(HERE / "room.test.mjs", module_dir)
    ran = subprocess.run(
        ["node", "--test", "room.test.mjs"],
        cwd=module_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "# fail 0" in ran.stdout


USAGE = """\
import { joinRoom, Member, Status } from "./spangle";

const room = joinRoom("/ws/chat", { params: { nick: "ann" }, history: 50 });
room.on("message", (data: string | Uint8Array, id: string | null) => {});
room.on("presence", (members: Member[]) => members.map((m) => m.meta));
const stop = room.on("status", (status: Status, detail) => detail.delay);
stop();
const queued: boolean = room.send({ text: "hi" });
const last: string | null = room.lastId;
room.close();
"""

WRONG = """\
import { joinRoom } from "./spangle";

const room = joinRoom("/ws/chat");
room.on("mesage", () => {});
room.on("presence", (members: string[]) => {});
joinRoom("/ws/chat", { maxDelay: "10s" });
"""


def check(tsc_path: Path, folder: Path, usage: str) -> subprocess.CompletedProcess[str]:
    (folder / "use.ts").write_text(usage)
    return subprocess.run(
        [str(tsc_path), *TSC_FLAGS, "--lib", "es2020,dom", "--noEmit", "use.ts"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_declarations_type_check_a_typical_use(
    tsc: Path,  # noqa: F811 - the fixture
    module_dir: Path,
) -> None:
    built = check(tsc, module_dir, USAGE)
    assert built.returncode == 0, built.stdout + built.stderr


def test_the_declarations_refuse_wrong_events_and_options(
    tsc: Path,  # noqa: F811 - the fixture
    module_dir: Path,
) -> None:
    built = check(tsc, module_dir, WRONG)
    errors = [line for line in built.stdout.splitlines() if line.startswith("use.ts(")]
    assert [line.split(")")[0] for line in errors] == [
        "use.ts(4,9",
        "use.ts(5,21",
        "use.ts(6,24",
    ], built.stdout
