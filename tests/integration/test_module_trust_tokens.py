"""A window, target or task deleted and then defined again with a CHANGED definition is created
anew, not refused.

The first create's ClientToken is derived from the name and what the run observed (nothing of
that name), and a re-creation after a delete observes the same: the same token. SSM (and the
sandbox, which honours ClientToken as SSM documents it) refuses that token with other parameters
(IdempotentParameterMismatch). No resource of that name exists, so the run asks again under a
token that also names the parameters. Real ``ansible-playbook`` runs; the sandbox's request log
is the witness.
"""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest

from .test_module_trust import _definition
from .test_module_trust import _run
from .test_module_trust import _targets
from .test_module_trust import _tasks
from .test_module_trust import _window_ids
from .test_module_trust import _window_play


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    sandbox.set_faults(throttle_rate=0.0)
    sandbox.clear_holds()
    yield
    sandbox.clear_holds()


def _statuses(log: List[Dict[str, Any]], operation: str) -> List[int]:
    return [r["status"] for r in log if r["operation"] == operation]


def test_recreating_a_deleted_window_with_a_changed_definition_is_not_refused(sandbox, ssm_client, tmp_path):
    name = f"again-mw-changed-{uuid.uuid4().hex[:8]}"
    _run(sandbox, _window_play(tmp_path, sandbox, _definition(name, targets=0, tasks=0), "first.json"))
    [first_id] = _window_ids(ssm_client, name)
    ssm_client.delete_maintenance_window(WindowId=first_id)
    changed = dict(_definition(name, targets=0, tasks=0), schedule="cron(0 4 ? * SAT *)")
    _proc, log = _run(sandbox, _window_play(tmp_path, sandbox, changed, "second.json"))
    ids = _window_ids(ssm_client, name)
    try:
        assert len(ids) == 1 and ids[0] != first_id, (first_id, ids)
        assert ssm_client.get_maintenance_window(WindowId=ids[0])["Schedule"] == "cron(0 4 ? * SAT *)"
        # The remembered token was refused once, then the call was made under a token of its own.
        assert _statuses(log, "CreateMaintenanceWindow") == [400, 200]
    finally:
        for window_id in ids:
            ssm_client.delete_maintenance_window(WindowId=window_id)


def test_reregistering_a_deregistered_target_with_a_changed_definition_is_not_refused(sandbox, ssm_client, tmp_path):
    name = f"again-tg-changed-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=0)
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "first.json"))
    [window_id] = _window_ids(ssm_client, name)
    try:
        (first,) = _targets(ssm_client, window_id)
        ssm_client.deregister_target_from_maintenance_window(WindowId=window_id,
                                                             WindowTargetId=first["WindowTargetId"])
        definition["targets"][0]["targets"] = [{"key": "tag:Role", "values": ["db"]}]
        _proc, log = _run(sandbox, _window_play(tmp_path, sandbox, definition, "second.json"))
        (second,) = _targets(ssm_client, window_id)
        assert second["WindowTargetId"] != first["WindowTargetId"] and second["Name"] == "tg-0"
        assert second["Targets"] == [{"Key": "tag:Role", "Values": ["db"]}]
        assert _statuses(log, "RegisterTargetWithMaintenanceWindow") == [400, 200]
    finally:
        ssm_client.delete_maintenance_window(WindowId=window_id)


def test_reregistering_a_deregistered_task_with_a_changed_definition_is_not_refused(sandbox, ssm_client, tmp_path):
    name = f"again-task-changed-{uuid.uuid4().hex[:8]}"
    definition = _definition(name, targets=1, tasks=1)
    _run(sandbox, _window_play(tmp_path, sandbox, definition, "first.json"))
    [window_id] = _window_ids(ssm_client, name)
    try:
        (first,) = _tasks(ssm_client, window_id)
        ssm_client.deregister_task_from_maintenance_window(WindowId=window_id, WindowTaskId=first["WindowTaskId"])
        definition["tasks"][0]["priority"] = 7
        _proc, log = _run(sandbox, _window_play(tmp_path, sandbox, definition, "second.json"))
        (second,) = _tasks(ssm_client, window_id)
        assert second["WindowTaskId"] != first["WindowTaskId"] and second["Name"] == "task-0"
        assert second["Priority"] == 7
        assert _statuses(log, "RegisterTaskWithMaintenanceWindow") == [400, 200]
    finally:
        ssm_client.delete_maintenance_window(WindowId=window_id)
