# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM-shaped execution history on disk: one JSON file per window execution.

Shape (``schema: mwops.ssm/window-execution/1``): the window execution (``id``, ``window_id``,
``window_name``, ``status``, ``status_details``, ``start_time``, ``end_time``) holds
``task_executions`` (``id``, ``name``, ``task_arn``, ``priority``, resolved ``max_concurrency``
and ``max_errors``, ``status``, times), each with ``invocations`` (``id``, ``target``,
``status``, ``status_details``, times, the last 2,500 characters of ``output`` and
``output_path``). Times are ISO-8601 UTC with microseconds. Files are replaced atomically
(temporary file + ``os.replace``), so a reader never sees a torn file; executions older than
the retention period (30 days, spec C.7) are pruned with their output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA = "mwops.ssm/window-execution/1"
OUTPUT_TAIL = 2500
RETENTION_DAYS = 30
OUTPUT_DIR = "output"


def iso(ts: float | None) -> str | None:
    """ISO-8601 UTC with sub-second precision, e.g. 2024-05-01T15:00:00.123456Z."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def output_tail(text: str) -> str:
    return text[-OUTPUT_TAIL:]


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:100] or "_"


def execution_file(history_dir: str | os.PathLike[str], window_name: str, start: float, execution_id: str) -> Path:
    stamp = datetime.fromtimestamp(start, tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path(history_dir) / f"{stamp}_{safe_name(window_name)}_{execution_id}.json"


def output_path(history_dir: str | os.PathLike[str], execution_id: str, task_name: str, target: str) -> Path:
    return Path(history_dir) / OUTPUT_DIR / execution_id / safe_name(task_name) / f"{safe_name(target)}.log"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file in the same directory, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_executions(history_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every window execution in the directory, oldest first."""
    result = []
    for path in sorted(Path(history_dir).glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            data["_path"] = str(path)
            result.append(data)
    return result


def prune(history_dir: str | os.PathLike[str], now: float | None = None,
          retention_days: float = RETENTION_DAYS) -> list[str]:
    """Delete executions that started more than ``retention_days`` ago; returns their IDs."""
    now = time.time() if now is None else now
    limit = now - retention_days * 86400
    removed = []
    for path in Path(history_dir).glob("*.json"):
        try:
            data = json.loads(path.read_text())
            started = parse_iso(data["start_time"])
            execution_id = str(data["id"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if started < limit:
            path.unlink(missing_ok=True)
            shutil.rmtree(Path(history_dir) / OUTPUT_DIR / safe_name(execution_id), ignore_errors=True)
            removed.append(execution_id)
    return removed
