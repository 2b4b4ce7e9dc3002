"""Refresh `tests/slow_tests.json` from a pytest run's `--durations=0` report.

    .venv/bin/python -m pytest -n 3 --durations=0 | tee /tmp/run.txt
    .venv/bin/python scripts/slow_tests.py /tmp/run.txt

The file lists every test that took at least MIN_S seconds (setup + call + teardown) with its
time; `tests/conftest.py` starts those first, spread over the xdist workers, so that no long
test is left to run alone at the end of the suite. A stale entry only costs ordering.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

MIN_S = 10.0
OUT = Path(__file__).resolve().parents[1] / "tests" / "slow_tests.json"
LINE = re.compile(r"^([\d.]+)s (?:call|setup|teardown)\s+(\S+::\S+)")


def main(report: str) -> None:
    totals: Counter[str] = Counter()
    for line in Path(report).read_text(errors="replace").splitlines():
        m = LINE.match(line)
        if m:
            totals[m.group(2)] += float(m.group(1))
    slow = {node: round(s, 1) for node, s in totals.most_common() if s >= MIN_S}
    OUT.write_text(json.dumps(slow, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(slow)} tests of {MIN_S:.0f} s or more written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
