"""The browser client for rooms: its logic under Node, its types under tsc."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from spangle._internal.client import client_source
from spangle.cli import main
from tests._internal.test_urls_ts import TSC_FLAGS, tsc  # noqa: F401 - a fixture

HERE = Path(__file__).parent


@pytest.fixture
def module_dir(tmp_path: Path) -> Path:
    """The client written by `spangle client-js --out`, as an ES module package."""
    assert main(["client-js", "--out", str(tmp_path)]) == 0
    (tmp_path / "package.json").write_text('{"type": "module"}')
    return tmp_path


def test_client_js_prints_the_module_and_types_prints_its_declarations(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["client-js"]) == 0
    assert "export class Room" in capsys.readouterr().out
    assert main(["client-js", "--types"]) == 0
    assert "export declare class Room" in capsys.readouterr().out


def test_client_js_out_writes_both_files(module_dir: Path) -> None:
    assert (module_dir / "spangle.js").read_text() == client_source()
    assert (module_dir / "spangle.d.ts").read_text() == client_source(types=True)


def test_client_js_into_an_unwritable_place_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["client-js", "--out", str(blocker / "sub")]) == 2
    assert capsys.readouterr().err.startswith("spangle: error: cannot write to")


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
