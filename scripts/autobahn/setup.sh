#!/usr/bin/env bash
# Set up Autobahn|Testsuite's `wstest` in .autobahn/wstest (idempotent).
#
# wstest runs on Python 2.7 only. A working python2.7 on PATH (or in pyenv)
# is used when there is one; otherwise the interpreter is unpacked from Debian 11's packages into
# .autobahn/py27 (no system package is installed or changed: apt only
# downloads, into its own cache). virtualenv < 20.22 is the last to make
# Python 2.7 environments.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=.autobahn
WSTEST="$DIR/wstest"
PYTHON3="${PYTHON:-python3}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

if [ -x "$WSTEST/bin/wstest" ]; then
    exit 0
fi

py27=""
for candidate in python2.7 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/2.7*/bin/python2.7; do
    if "$candidate" -c "import ssl" >/dev/null 2>&1; then
        py27="$(command -v "$candidate")"
        break
    fi
done
if [ -z "$py27" ]; then
    root="$DIR/py27"
    if [ ! -x "$root/usr/bin/python2.7" ]; then
        echo "autobahn: unpacking Python 2.7 from Debian 11 packages into $root" >&2
        apt="$DIR/apt"
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
        echo "deb http://deb.debian.org/debian bullseye main" >"$apt/sources.list"
        opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
              -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
              -o Dir::State::status=/dev/null -o APT::Sandbox::User=root)
        apt-get "${opts[@]}" -qq update
        (cd "$apt/debs" && apt-get "${opts[@]}" -qq download \
            python2.7 python2.7-minimal libpython2.7 libpython2.7-minimal \
            libpython2.7-stdlib libpython2.7-dev python2.7-dev libssl1.1 libffi7)
        for deb in "$apt"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
    fi
    py27="$root/usr/bin/python2.7"
    export LD_LIBRARY_PATH="$root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    # The unpacked headers are not where the interpreter's build says.
    export CFLAGS="-I$root/usr/include/python2.7 -I$root/usr/include"
    export LDFLAGS="-L$root/usr/lib/x86_64-linux-gnu"
fi

if [ ! -x "$DIR/tools/bin/virtualenv" ]; then
    "$PYTHON3" -m venv "$DIR/tools"
    "$DIR/tools/bin/python" -m pip install -q "virtualenv<20.22"
fi
"$DIR/tools/bin/virtualenv" -q -p "$py27" "$WSTEST"
"$WSTEST/bin/pip" install -q autobahntestsuite==25.10.1
"$WSTEST/bin/wstest" --autobahnversion
