"""History files: ISO times, atomic replacement, 30-day pruning."""

from __future__ import annotations

import json
import multiprocessing
import os
import time

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history


def test_iso_has_sub_second_precision_in_utc():
    # The executor writes times with the schema's own iso(): one home for the format.
    assert schema.iso(0.25) == "1970-01-01T00:00:00.250000Z"
    assert history.parse_iso(schema.iso(1700000000.5)) == 1700000000.5
    assert schema.iso(None) is None


def _writer(path, rounds):
    for i in range(rounds):
        history.write_json_atomic(path, {"n": i, "pad": "x" * 20000})


def test_readers_never_see_a_torn_file(tmp_path):
    path = tmp_path / "exec.json"
    history.write_json_atomic(path, {"n": -1})
    proc = multiprocessing.get_context("fork").Process(target=_writer, args=(path, 200))
    proc.start()
    reads = 0
    while proc.is_alive() or reads == 0:
        assert "n" in json.loads(path.read_text())
        reads += 1
    proc.join()
    assert not list(tmp_path.glob(".*tmp"))


def test_prune_removes_old_executions_and_their_output(tmp_path):
    now = time.time()
    old_id, new_id = "0b1c9f8e-2f6d-4e0a-9d0c-1a2b3c4d5e6f", "5e0c1d2a-0b7e-4c39-9a51-0d7b8e6f4a21"
    for ident, age_days in ((old_id, 31), (new_id, 29)):
        start = now - age_days * 86400
        path = history.execution_file(tmp_path, "w", start, ident)
        history.write_json_atomic(path, {"schema": history.SCHEMA, "id": ident, "start_time": schema.iso(start)})
        history.write_text_atomic(history.output_path(tmp_path, ident, "task", "h1"), "output")
    assert history.prune(tmp_path, now) == [old_id]
    assert [e["id"] for e in history.load_executions(tmp_path)] == [new_id]
    assert not (tmp_path / "output" / old_id).exists() and (tmp_path / "output" / new_id).exists()


def test_output_tail_is_the_last_2500_characters():
    text = "a" * 3000 + "END"
    assert schema.output_tail(text) == text[-2500:] and schema.output_tail(text).endswith("END")


OLD = "2000-01-01T00:00:00.000000Z"


def test_prune_deletes_only_what_it_owns(tmp_path):
    history_dir = tmp_path / "history"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("x")
    mine = "0b1c9f8e-2f6d-4e0a-9d0c-1a2b3c4d5e6f"
    current = "5e0c1d2a-0b7e-4c39-9a51-0d7b8e6f4a21"
    planted = {
        "dotdot": {"schema": history.SCHEMA, "id": "..", "start_time": OLD},
        "escape": {"schema": history.SCHEMA, "id": "../outside", "start_time": OLD},
        "empty": {"schema": history.SCHEMA, "id": "", "start_time": OLD},
        "foreign": {"schema": "someone/else/1", "id": mine.replace("0b", "1b"), "start_time": OLD},
        "current": {"schema": history.SCHEMA, "id": current, "start_time": OLD},
        "mine": {"schema": history.SCHEMA, "id": mine, "start_time": OLD},
    }
    for name, data in planted.items():
        history.write_json_atomic(history_dir / f"{name}.json", data)
    for ident in (mine, current):
        history.write_text_atomic(history.output_path(history_dir, ident, "task", "h1"), "output")
    assert history.prune(history_dir, time.time(), 1, keep=frozenset({current})) == [mine]
    assert sorted(p.stem for p in history_dir.glob("*.json")) == sorted(set(planted) - {"mine"})
    assert (outside / "precious").exists() and (history_dir / "output" / current).exists()
    assert not (history_dir / "output" / mine).exists()


@pytest.mark.parametrize("days", [0, 0.5, -1, float("nan")])
def test_retention_below_one_day_is_refused(tmp_path, days):
    with pytest.raises(ValueError, match="retention_days must be at least 1"):
        history.prune(tmp_path, time.time(), days)


def test_names_are_unique_per_full_name_and_safe_as_file_names():
    common = "w" * 100
    assert history.safe_name(common + "-first") != history.safe_name(common + "-second")
    assert history.safe_name("a/b") != history.safe_name("a_b")
    for text in ("..", ".", "../../etc", "x;touch${IFS}pwned;#", ""):
        name = history.safe_name(text)
        assert "/" not in name and not name.startswith(".") and name not in ("", ".", "..")


def test_private_dirs_and_files(tmp_path):
    made = history.private_dir(tmp_path / "a" / "b")
    assert made.stat().st_mode & 0o777 == 0o700 and (tmp_path / "a").stat().st_mode & 0o777 == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    assert history.private_dir(loose).stat().st_mode & 0o777 == 0o700  # ours, only readable: tightened
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(history.UnsafeDirectoryError, match="writable by group or others"):
        history.private_dir(shared)
    (tmp_path / "link").symlink_to(made)
    with pytest.raises(history.UnsafeDirectoryError, match="not a symlink"):
        history.private_dir(tmp_path / "link")
    fd = history.create_private_file(made / "f")
    os.close(fd)
    assert (made / "f").stat().st_mode & 0o777 == 0o600
    (made / "trap").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(OSError):
        history.create_private_file(made / "trap")
    assert not (tmp_path / "elsewhere").exists()
    history.write_json_atomic(made / "x" / "y.json", {})
    assert (made / "x").stat().st_mode & 0o777 == 0o700 and (made / "x" / "y.json").stat().st_mode & 0o777 == 0o600
