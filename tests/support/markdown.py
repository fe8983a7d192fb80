"""The examples of README.md and docs/: fenced blocks, their marks, their runs.

A block is marked by an HTML comment on the line just above its fence, which
neither GitHub nor the docs site shows:

- `<!-- test: run -->` above a `python` block: the suite executes it in a
  namespace of its own. Top-level `await` is allowed, and the `async def
  test_*()` functions it defines are awaited too.
- `<!-- test: continue -->` above a `python` block: executed like `run`, in the
  namespace of the page's previous executed block (a tutorial's next step).
- `<!-- test: run -->` above a `console` block: each `$ ` command runs in bash,
  in a scratch directory shared by all the page's commands; the lines under a
  command are output it must print (`...` stands for anything). `cd`, `.`,
  `source` and `export` commands stay in effect for the page's next commands.
- `<!-- test: serve -->` above a `console` block: its command starts a server,
  which keeps running while the page's next commands run; the first line under
  it is the line the server prints once it is ready.
- A `python` block with a title (```` ```python title="app.py" ````) is also
  written to that file in the scratch directory, before the commands after it.

Every other `python` block is compiled, not run. Port 8000 in commands and
output stands for a free port, chosen per page.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from tests.support.server import Server, free_port, stop, watch

ROOT = Path(__file__).resolve().parents[2]
COMMAND_TIMEOUT = 300.0

_MARK = re.compile(r"^<!-- test: (run|continue|serve) -->$")
_FENCE = re.compile(r"^(```+)([\w-]*)(.*)$")
_TITLE = re.compile(r'title="([^"]+)"')
_STATEFUL = ("cd", ".", "source", "export")


@dataclass(frozen=True)
class Block:
    """A fenced block of a Markdown page.

    Attributes:
        page: The page's path relative to the repository root.
        line: The line number of the block's first line of code.
        lang: The fence's language (`python`, `console`, ...).
        title: The file name given with `title="..."`, if any.
        mark: `run`, `continue`, `serve` or `None`.
        code: The block's text.
    """

    page: str
    line: int
    lang: str
    title: str | None
    mark: str | None
    code: str

    @property
    def where(self) -> str:
        """The block as `page:line`."""
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """Return README.md, the examples' READMEs and every page of docs/."""
    found = [ROOT / "README.md", *sorted((ROOT / "examples").rglob("README.md"))]
    return found + sorted((ROOT / "docs").rglob("*.md"))


def blocks(page: Path) -> list[Block]:
    """Return the fenced blocks of a page, in order.

    Args:
        page: The Markdown file.

    Returns:
        Its blocks with their marks.
    """
    lines = page.read_text(encoding="utf-8").splitlines()
    name = page.relative_to(ROOT).as_posix()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, lang, info = opening.groups()
        end = index + 1
        while end < len(lines) and lines[end] != fence:
            end += 1
        mark = _MARK.match(lines[index - 1]) if index else None
        title = _TITLE.search(info)
        found.append(
            Block(
                page=name,
                line=index + 2,
                lang=lang,
                title=title.group(1) if title else None,
                mark=mark.group(1) if mark else None,
                code="\n".join(lines[index + 1 : end]) + "\n",
            )
        )
        index = end + 1
    return found


def compile_block(block: Block) -> CodeType:
    """Compile a `python` block, with top-level `await` allowed.

    Args:
        block: The block.

    Returns:
        Its code, whose line numbers are the page's.
    """
    source = "\n" * (block.line - 1) + block.code
    code: CodeType = compile(
        source, block.page, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    )
    return code


def chains(page_blocks: list[Block]) -> list[list[Block]]:
    """Group a page's executed blocks: each `run` with the `continue`s after it.

    Args:
        page_blocks: The blocks of one page.

    Returns:
        The chains, in page order.

    Raises:
        ValueError: A `continue` block has no `run` block before it.
    """
    found: list[list[Block]] = []
    for block in page_blocks:
        if block.lang != "python" or block.mark not in ("run", "continue"):
            continue
        if block.mark == "run":
            found.append([block])
        elif not found:
            raise ValueError(f"{block.where}: `continue` with no `run` before it")
        else:
            found[-1].append(block)
    return found


def run_chain(chain: list[Block]) -> None:
    """Execute a chain of blocks in one namespace, and the tests they define.

    Args:
        chain: A `run` block and the `continue` blocks after it.
    """
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    for block in chain:
        before = dict(namespace)
        result = eval(compile_block(block), namespace)
        if inspect.iscoroutine(result):
            asyncio.run(result)
        for name, value in list(namespace.items()):
            new = before.get(name) is not value
            if new and name.startswith("test_") and inspect.iscoroutinefunction(value):
                asyncio.run(value())


@dataclass
class Command:
    """A `$ ` command of a `console` block and the output shown under it.

    Attributes:
        text: The command, continuation lines joined.
        expected: The lines shown under it.
    """

    text: str
    expected: list[str] = field(default_factory=list)


def commands(block: Block) -> list[Command]:
    """Split a `console` block into its commands.

    Args:
        block: The block.

    Returns:
        Its commands, each with the output lines under it.
    """
    found: list[Command] = []
    pending = ""
    for line in block.code.splitlines():
        if pending:
            pending += "\n" + line
        elif line.startswith("$ "):
            pending = line[2:]
        elif found and line.strip():
            found[-1].expected.append(line.strip())
        if pending and not pending.endswith("\\"):
            found.append(Command(pending))
            pending = ""
    return found


def _matches(expected: str, output: str) -> bool:
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.search(pattern, output) is not None


class Shell:
    """Run a page's commands in a scratch directory, as a reader would.

    Args:
        cwd: The scratch directory.
        env: The environment of every command.
        substitutions: Text of the page replaced before running (URLs of the
            outside world by local ones).
    """

    def __init__(self, cwd: Path, env: dict[str, str], substitutions: dict[str, str]):
        self.cwd = cwd
        self.env = env
        self.port = free_port()
        self.substitutions = {r"\b8000\b": str(self.port), **substitutions}
        self.prelude: list[str] = ["set -euo pipefail"]
        self.servers: list[tuple[Server, Command]] = []

    def substitute(self, text: str) -> str:
        """Replace the page's outside-world text by this run's.

        Args:
            text: A command or output line.

        Returns:
            The text to run or expect.
        """
        for pattern, replacement in self.substitutions.items():
            text = re.sub(pattern, replacement, text)
        return text

    def play(self, page_blocks: list[Block]) -> None:
        """Write the titled files and run the marked commands of a page, in order.

        Args:
            page_blocks: The blocks of one page.
        """
        for block in page_blocks:
            if block.title is not None:
                (self.cwd / block.title).write_text(block.code, encoding="utf-8")
            elif block.lang == "console" and block.mark == "run":
                for command in commands(block):
                    self.run(command, block)
            elif block.lang == "console" and block.mark == "serve":
                (command,) = commands(block)
                self.serve(command, block)

    def run(self, command: Command, block: Block) -> None:
        """Run one command and check its output.

        Args:
            command: The command.
            block: Its block, for error messages.
        """
        text = self.substitute(command.text)
        done = subprocess.run(**self._bash(text), env=self.env, timeout=COMMAND_TIMEOUT)
        assert done.returncode == 0, f"{block.where}: `{text}` failed:\n{done.stdout}"
        self._check(command, done.stdout, block)
        if text.split(maxsplit=1)[0] in _STATEFUL:
            self.prelude.append(text)

    def serve(self, command: Command, block: Block) -> None:
        """Start a server command and wait for its ready line.

        Args:
            command: The command.
            block: Its block, for error messages.
        """
        text = self.substitute(command.text)
        process = subprocess.Popen(
            **self._bash(f"exec {text}"), env={**self.env, "PYTHONUNBUFFERED": "1"}
        )
        server = watch(process, self.port)
        self.servers.append((server, command))
        assert command.expected, f"{block.where}: a served command shows its ready line"
        server.wait_for_line(self.substitute(command.expected[0]).split("...")[0])

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """Stop the servers (as Ctrl+C would); check their output after a success."""
        for server, command in self.servers:
            stop(server)
            if kind is None:
                self._check(command, server.output, None)

    def _bash(self, text: str) -> dict[str, Any]:
        """The arguments of a subprocess running `text` after the prelude."""
        return {
            "args": ["bash", "-c", "\n".join([*self.prelude, text])],
            "cwd": self.cwd,
            "stdout": subprocess.PIPE,
            "stderr": subprocess.STDOUT,
            "text": True,
        }

    def _check(self, command: Command, output: str, block: Block | None) -> None:
        for line in command.expected:
            expected = self.substitute(line)
            assert _matches(expected, output), (
                f"{block.where if block else command.text}: expected {expected!r} "
                f"in the output of `{command.text}`:\n{output}"
            )


def scratch_env(extra: dict[str, str]) -> dict[str, str]:
    """Return the environment of a reader's shell: this one without its venv.

    Args:
        extra: Variables to add.

    Returns:
        The environment.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    venv_bin = str(ROOT / ".venv" / "bin")
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin
    )
    return {**env, **extra}


def every_block() -> Iterator[Block]:
    """Yield the blocks of every page."""
    for page in pages():
        yield from blocks(page)
