"""Find Ansible warnings in command output: ``[WARNING]`` and ``[DEPRECATION WARNING]`` records.

The test runner scans the demo's and the Molecule scenarios' output with it and fails on any
warning that is not on ALLOWED below. Keep that list short, and say for each entry why it
cannot be fixed in this collection.

    python scripts/warning_scan.py LOG [LOG ...]     # prints what it finds; exit 1 if anything
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

# (pattern searched in the warning's text, why it is allowed)
ALLOWED: list[tuple[str, str]] = [
    # ansible-core 2.19+ prints this hint once, just before the first deprecation of a run; the
    # deprecation itself is judged on its own.
    (r"^Deprecation warnings can be disabled by setting", "a hint that accompanies a deprecation"),
    # amazon.aws's iam_role (9.0.0 up to 11.4.0, the newest) calls module.deprecate() for this
    # return value on every run, whatever the arguments: roles/service_role cannot avoid it
    # short of not using iam_role. It names a return value the role does not read.
    (r"iam_role\.assume_role_policy_document_raw will no longer be returned",
     "amazon.aws iam_role deprecates it unconditionally"),
]

# A record starts at one of these; Ansible wraps long warnings onto the following lines
# (2.18 wraps at the terminal width), which end at a blank line or the next record.
START = re.compile(r"^\[(WARNING|DEPRECATION WARNING)\]:\s?(.*)$")
BOUNDARY = re.compile(r"^(?:\s*$|\[|PLAY|TASK|RUNNING|ok:|changed:|fatal:|skipping:|included:|INFO|WARNING |"
                      r"ERROR|=== |\$ )")
# What the test runner ("[step] ") and the demo's --verbose ("    | ") put before each line.
PREFIX = re.compile(r"^(?:\[[\w.-]+\] |\s*\| )")


@dataclass(frozen=True)
class Warning_:  # pylint: disable=invalid-name  # ``Warning`` is a builtin
    source: str
    kind: str
    text: str


def find_warnings(text: str, source: str = "") -> list[Warning_]:
    """Every warning record in the text, wrapped lines joined, allowed or not."""
    found: list[Warning_] = []
    lines = [PREFIX.sub("", line, count=1) for line in text.splitlines()]
    i = 0
    while i < len(lines):
        match = START.match(lines[i])
        if not match:
            i += 1
            continue
        parts = [match.group(2).strip()]
        i += 1
        while i < len(lines) and not BOUNDARY.match(lines[i]) and not START.match(lines[i]):
            parts.append(lines[i].strip())
            i += 1
        found.append(Warning_(source, match.group(1), " ".join(p for p in parts if p)))
    return found


def allowed(warning: Warning_) -> bool:
    return any(re.search(pattern, warning.text) for pattern, _why in ALLOWED)


def scan_files(paths: list[Path]) -> list[Warning_]:
    """Warnings in these files that are not allowed, each distinct text once per file."""
    result: list[Warning_] = []
    for path in paths:
        seen: set[str] = set()
        for warning in find_warnings(path.read_text(errors="replace"), path.name):
            if not allowed(warning) and warning.text not in seen:
                seen.add(warning.text)
                result.append(warning)
    return result


def main(argv: list[str]) -> int:
    found = scan_files([Path(a) for a in argv])
    for warning in found:
        print(f"{warning.source}: [{warning.kind}] {warning.text}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
