"""Fail when `spangle/` repeats itself without saying why (`make lint`).

It runs the `duplicates` tool over the package, where the tool is
installed (elsewhere it says so and passes: nothing else can see repeats).
Each pair the tool lists must carry a comment `# duplicates: <why>` inside
one of its two places, or in the eight lines above one (above a `def`
whose signature starts the place): a repeat left on purpose says so where
a reader meets it.

Usage: `python scripts/check_duplicates.py [PACKAGE]` (default: `spangle`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROW = re.compile(r"^D\d+ (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)")
MARK = re.compile(r"#\s*duplicates:\s*\S")
# Lines above a place where its justification may stand.
ABOVE = 8


def justified(root: Path, path: str, first: int, last: int) -> bool:
    """Tell whether a place carries, or follows, a `# duplicates:` comment."""
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    window = lines[max(first - 1 - ABOVE, 0) : last]
    return any(MARK.search(line) for line in window)


def main(package: str = "spangle") -> int:
    """Run the check; return the exit status."""
    tool = shutil.which("duplicates")
    if tool is None:
        print("check_duplicates: the duplicates tool is not installed; skipped")
        return 0
    root = Path(package)
    done = subprocess.run(
        [tool, "--repo", str(root), "--most", "200", "--seconds", "120"],
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    failures = [line for line in output.splitlines() if line.startswith("incomplete")]
    pairs = 0
    for line in output.splitlines():
        row = ROW.match(line)
        if row is None:
            continue
        pairs += 1
        a, a1, a2, b, b1, b2 = row.groups()
        if not (
            justified(root, a, int(a1), int(a2)) or justified(root, b, int(b1), int(b2))
        ):
            failures.append(f"{line}  (no '# duplicates: <why>' comment)")
    if failures:
        print(f"check_duplicates: {package}/ repeats itself without saying why:")
        print("\n".join(f"  {failure}" for failure in failures))
        return 1
    print(f"check_duplicates: {package}/: {pairs} repeated place(s), each justified")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
