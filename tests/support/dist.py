"""Build spangle's sdist and wheel once per test session, as a release would."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 300.0


@dataclass(frozen=True)
class Built:
    """The result of `python -m build`.

    Attributes:
        directory: The folder holding the sdist and the wheel.
        output: What the build printed (stdout and stderr together).
    """

    directory: Path
    output: str

    @property
    def wheel(self) -> Path:
        """The wheel."""
        (wheel,) = self.directory.glob("spangle-*.whl")
        return wheel

    @property
    def sdist(self) -> Path:
        """The source distribution."""
        (sdist,) = self.directory.glob("spangle-*.tar.gz")
        return sdist


@functools.cache
def built() -> Built:
    """Build the sdist, then the wheel from it, into a temporary folder.

    Returns:
        The distributions and the build's output.

    Raises:
        AssertionError: The build failed.
    """
    directory = Path(tempfile.mkdtemp(prefix="spangle-dist-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    # setuptools warns that it skips byte-compiling under this variable:
    # build as a plain shell would.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(directory), str(ROOT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=BUILD_TIMEOUT,
    )
    assert done.returncode == 0, done.stdout
    return Built(directory, done.stdout)
