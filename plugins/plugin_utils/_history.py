# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""SSM-shaped execution history on disk: one JSON file per window execution.

The schema (``mwops.ssm/window-execution/1``: fields, times, the output tail and the masking of
secret-named parameters) has one home, ``module_utils/_execution_schema``; this file only keeps
it on disk. Files are replaced atomically
(temporary file + ``os.replace``), so a reader never sees a torn file; executions older than
the retention period (30 days, spec C.7) are pruned with their output.

Everything written here is private to the user: files 0600 (``mkstemp``), directories 0700.
Pruning trusts nothing it reads: only files of our schema whose ``id`` is an execution ID we
could have made are removed, and only their ``output/<id>`` directory besides them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils._execution_schema import SCHEMA
from ansible_collections.mwops.ssm.plugins.module_utils._schedule_parse import parse_instant

RETENTION_DAYS = 30
MIN_RETENTION_DAYS = 1
OUTPUT_DIR = "output"
# Execution IDs are uuid4 strings: the only names pruning ever removes under output/.
EXECUTION_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
NAME_PREFIX = 60
NAME_HASH = 16


class UnsafeDirectoryError(RuntimeError):
    """A directory the executor keeps state in could be written by someone else."""


def parse_iso(text: str) -> float:
    """Epoch seconds of an ISO-8601 instant of the history (the schedule core's one parser)."""
    return parse_instant(text).timestamp()


def safe_name(text: str) -> str:
    """A file name for ``text``: readable prefix plus a hash of the whole text, so distinct texts
    (``a/b`` and ``a_b``, or two long names with the same first characters) never collide."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:NAME_HASH]
    return f"{re.sub(r'[^A-Za-z0-9_.-]', '_', text)[:NAME_PREFIX].lstrip('.')}-{digest}"


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) 0700; refuse a directory others could write to.

    A directory that is a symlink, is not ours, or is group/world-writable is refused: files
    planted there could redirect what we write. One of ours that is merely readable by others
    (left by an older version) is tightened to 0700.
    """
    path = Path(path)
    _make_missing(path)
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise UnsafeDirectoryError(f"{path} must be a directory, not a symlink or a file")
    if info.st_uid != os.geteuid():
        raise UnsafeDirectoryError(f"{path} belongs to user ID {info.st_uid}, not to this user ({os.geteuid()})")
    if info.st_mode & 0o022:
        raise UnsafeDirectoryError(f"{path} is writable by group or others (mode {stat.S_IMODE(info.st_mode):04o}); "
                                   "remove it or make it 0700")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)
    return path


def _make_parents(path: Path) -> None:
    """Missing parent directories of a file we write, created 0700."""
    _make_missing(path.parent)


def _make_missing(directory: Path) -> None:
    """``directory`` and its missing parents, created 0700 (never through a symlink)."""
    missing = []
    probe = directory
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, 0o700)
        except FileExistsError:
            pass


def create_private_file(path: Path) -> int:
    """A new file opened for writing, 0600, never through a symlink or over an existing file."""
    _make_parents(path)
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)


def execution_file(history_dir: str | os.PathLike[str], window_name: str, start: float, execution_id: str) -> Path:
    stamp = datetime.fromtimestamp(start, tz=timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return Path(history_dir) / f"{stamp}_{safe_name(window_name)}_{execution_id}.json"


def output_path(history_dir: str | os.PathLike[str], execution_id: str, task_name: str, target: str) -> Path:
    """Full output of one invocation (host files always end in -HASH.log, see safe_name)."""
    return Path(history_dir) / OUTPUT_DIR / execution_id / safe_name(task_name) / f"{safe_name(target)}.log"


def child_log_path(history_dir: str | os.PathLike[str], execution_id: str, task_name: str) -> Path:
    """The child ansible-playbook run's own log, beside its invocations' output."""
    return Path(history_dir) / OUTPUT_DIR / execution_id / safe_name(task_name) / "ansible-playbook.log"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file in the same directory, fsync, then os.replace."""
    _make_parents(path)
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
    _make_parents(path)
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


def check_retention_days(retention_days: float) -> None:
    if not retention_days >= MIN_RETENTION_DAYS:
        raise ValueError(f"retention_days must be at least {MIN_RETENTION_DAYS} (got {retention_days!r}): "
                         "a shorter retention would delete the history of the run that just ended")


def prune(history_dir: str | os.PathLike[str], now: float | None = None,
          retention_days: float = RETENTION_DAYS, keep: frozenset[str] = frozenset()) -> list[str]:
    """Delete our executions that started more than ``retention_days`` ago; returns their IDs.

    Only files of our schema whose ``id`` is an execution ID are candidates, IDs in ``keep``
    (the current run) never are, and nothing but the file and ``output/<id>`` is removed.
    """
    check_retention_days(retention_days)
    now = time.time() if now is None else now
    limit = now - retention_days * 86400
    root = Path(history_dir)
    removed = []
    for path in root.glob("*.json"):
        try:
            if not stat.S_ISREG(os.lstat(path).st_mode):
                continue
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or data.get("schema") != SCHEMA:
                continue
            started = parse_iso(data["start_time"])
            execution_id = data["id"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        if not isinstance(execution_id, str) or not EXECUTION_ID.match(execution_id) or execution_id in keep:
            continue
        if started < limit:
            path.unlink(missing_ok=True)
            output = root / OUTPUT_DIR / execution_id
            if output.is_dir() and not output.is_symlink():
                shutil.rmtree(output, ignore_errors=True)
            removed.append(execution_id)
    return removed
