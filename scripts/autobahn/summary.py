"""Print the summary of an Autobahn|Testsuite run and judge it.

`python scripts/autobahn/summary.py LABEL INDEX_JSON SERVER_LOG` prints the
count of each verdict (OK, NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED)
for the test and for the closing handshake, the failed cases, and the server
log's tracebacks and ERROR lines; it exits 1 when there is any of these.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items()))


def main(label: str, index: Path, log: Path) -> int:
    """Summarise one run; return the exit status."""
    cases: dict[str, dict[str, object]] = json.loads(index.read_text())["spangle"]
    behavior = Counter(str(c["behavior"]) for c in cases.values())
    closing = Counter(str(c["behaviorClose"]) for c in cases.values())
    failed = sorted(
        (
            k
            for k, c in cases.items()
            if "FAILED" in (c["behavior"], c["behaviorClose"])
        ),
        key=lambda key: [int(part) for part in key.split(".")],
    )
    lines = log.read_text(errors="replace").splitlines()
    bad = [line for line in lines if "Traceback" in line or "ERROR" in line]
    print(f"autobahn {label}: {len(cases)} cases")
    print(f"  behavior:      {_counts(behavior)}")
    print(f"  closing:       {_counts(closing)}")
    print(f"  failed cases:  {', '.join(failed) or 'none'}")
    print(f"  server log:    {len(bad)} traceback/ERROR lines")
    for line in bad[:5]:
        print(f"    {line}")
    return 1 if failed or bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
