"""History files: ISO times, atomic replacement, 30-day pruning."""

from __future__ import annotations

import json
import multiprocessing
import time

from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history


def test_iso_has_sub_second_precision_in_utc():
    assert history.iso(0.25) == "1970-01-01T00:00:00.250000Z"
    assert history.parse_iso(history.iso(1700000000.5)) == 1700000000.5
    assert history.iso(None) is None


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
    for ident, age_days in (("old", 31), ("new", 29)):
        start = now - age_days * 86400
        path = history.execution_file(tmp_path, "w", start, ident)
        history.write_json_atomic(path, {"schema": history.SCHEMA, "id": ident, "start_time": history.iso(start)})
        history.write_text_atomic(history.output_path(tmp_path, ident, "task", "h1"), "output")
    assert history.prune(tmp_path, now) == ["old"]
    assert [e["id"] for e in history.load_executions(tmp_path)] == ["new"]
    assert not (tmp_path / "output" / "old").exists() and (tmp_path / "output" / "new").exists()


def test_output_tail_is_the_last_2500_characters():
    text = "a" * 3000 + "END"
    assert history.output_tail(text) == text[-2500:] and history.output_tail(text).endswith("END")
