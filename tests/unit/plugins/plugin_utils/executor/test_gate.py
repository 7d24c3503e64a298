"""The gate spec between the engine and the gate action: typed, versioned, checked."""

from __future__ import annotations

import json

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_gate import (
    GATE_SPEC_VERSION,
    GateSpec,
    GateSpecError,
    read_gate_spec,
)


def spec(**changes) -> GateSpec:
    fields = {
        "ledger": "/h/.runs/e/task0", "window_name": "win", "task_name": "patch", "document": "AWS-RunShellScript",
        "parameters": {"commands": ["true"]}, "user_documents": {}, "max_errors": 1, "cancel_at": 1700000100.0,
        "history_dir": "/h", "execution_id": "e", "barrier": "/h/.runs/e/task0/barrier.json",
        "engine_lock": "/h/.runs/e/engine.lock", "engine_pid": 42, "hosts": ["a", "b"], "groups": ["g1", "g1"],
        "pseudo": {"WINDOW_ID": "mw-1", "WINDOW_EXECUTION_ID": "e"},
        "targets": {"a": {"WINDOW_TARGET_ID": "t1", "TARGET_TYPE": "INSTANCE"}},
    }
    fields.update(changes)
    return GateSpec(**fields)


def test_round_trip_through_json_text(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text(json.dumps(spec().to_json()))
    assert read_gate_spec(str(path)) == spec()
    assert spec().to_json()["version"] == GATE_SPEC_VERSION


@pytest.mark.parametrize("version", [0, GATE_SPEC_VERSION + 1, "1", None])
def test_another_version_is_refused_with_a_clear_error(version):
    data = spec().to_json()
    data["version"] = version
    with pytest.raises(GateSpecError, match=rf"version {version!r}.*reads version {GATE_SPEC_VERSION}.*another version"):
        GateSpec.from_json(data)


def test_a_spec_without_version_is_refused():
    data = spec().to_json()
    del data["version"]
    with pytest.raises(GateSpecError, match="version None"):
        GateSpec.from_json(data)


def test_missing_fields_and_non_objects_are_named():
    data = spec().to_json()
    del data["ledger"], data["barrier"]
    with pytest.raises(GateSpecError, match="lacks barrier, ledger"):
        GateSpec.from_json(data)
    with pytest.raises(GateSpecError, match="must be a JSON object, got list"):
        GateSpec.from_json([])


def test_not_json_is_an_error(tmp_path):
    path = tmp_path / "gate.json"
    path.write_text("{not json")
    with pytest.raises(GateSpecError, match="is not JSON"):
        read_gate_spec(str(path))


def test_pseudo_parameters_of_one_invocation():
    values = spec().pseudo_parameters("a", "inv-1")
    assert values == {"WINDOW_ID": "mw-1", "WINDOW_EXECUTION_ID": "e", "WINDOW_TARGET_ID": "t1",
                      "TARGET_TYPE": "INSTANCE", "INVOCATION_ID": "inv-1", "TARGET_ID": "a", "RESOURCE_ID": "a"}
    # a host without per-target values still gets its own identity
    assert spec().pseudo_parameters("b", "inv-2")["TARGET_ID"] == "b"
