# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time the next 1,000 occurrences of 100 different schedule expressions.

Run from the repository root: ``python benchmarks/schedule_speed.py``.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
importlib.import_module("conftest")  # makes ansible_collections.mwops.ssm importable

from ansible_collections.mwops.ssm.plugins.module_utils._schedule import (  # noqa: E402
    WindowSchedule,
    occurrences,
)

ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney")


def expressions() -> list:
    days = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
    found = []
    for index in range(100):
        minute = index // 10 * 6  # distinct within each pattern
        hour = index % 24
        pattern = index % 10
        if pattern == 0:
            found.append(f"cron({minute} {hour} ? * {days[index % 7]} *)")
        elif pattern == 1:
            found.append(f"cron({minute} {hour} ? * {days[index % 7]}#{index % 4 + 1} *)")
        elif pattern == 2:
            found.append(f"cron({index % 5}/{(5, 6, 10, 12, 15, 20, 30)[index % 7]} {hour}-23 ? * MON-FRI *)")
        elif pattern == 3:
            found.append(f"cron({minute} {hour} {index % 28 + 1}W * ? *)")
        elif pattern == 4:
            found.append(f"cron({minute} {hour} ? * {index % 7 + 1}L *)")
        elif pattern == 5:
            found.append(f"rate({index + 5} minutes)")
        elif pattern == 6:
            found.append(f"cron({index % 60} {minute} {hour} L * ? *)")
        elif pattern == 7:
            found.append(f"cron({minute} {index % 3}/{index % 5 + 2} * * ? *)")
        elif pattern == 8:
            found.append(f"rate({index + 2} hours)")
        else:
            found.append(f"cron({minute} {hour} 1,{index % 20 + 5} */2 ? *)")
    return found


def main() -> None:
    after = datetime(2026, 1, 1, tzinfo=timezone.utc)
    specs = [
        WindowSchedule(schedule=expr, timezone=ZONES[i % len(ZONES)], offset=(2 if "#" in expr else None), duration=4, cutoff=1)
        for i, expr in enumerate(expressions())
    ]
    assert len(set(spec.schedule for spec in specs)) == 100
    began, began_cpu = time.perf_counter(), time.process_time()
    total = 0
    for spec in specs:
        total += len(occurrences(spec, after, 1000))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - began_cpu
    print(f"{total} occurrences of {len(specs)} expressions (1,000 each) in {elapsed:.3f} s ({cpu:.3f} s CPU)")


if __name__ == "__main__":
    main()
