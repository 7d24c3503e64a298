"""Run the modules' integration targets (tests/integration/targets/<module>) against the sandbox.

Each target is an ansible-test style role (aliases ``cloud/aws``) following amazon.aws's four-step
rhythm (check -> real -> check -> real) for create, every kind of update and delete. The play
around it passes the sandbox endpoint through ``module_defaults: group/mwops.ssm.ssm``. After the
run this file checks the sandbox request log itself: the no-op steps recorded by the target made
no write call, and the run as a whole made the writes the target is about.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from . import mw_harness as H

CORE = os.environ.get("MWOPS_CORE", "2.19")

EXPECTED_WRITES = {
    "maintenance_window": {"CreateMaintenanceWindow", "UpdateMaintenanceWindow", "DeleteMaintenanceWindow",
                           "AddTagsToResource", "RemoveTagsFromResource", "RegisterTargetWithMaintenanceWindow",
                           "UpdateMaintenanceWindowTarget", "DeregisterTargetFromMaintenanceWindow",
                           "RegisterTaskWithMaintenanceWindow", "UpdateMaintenanceWindowTask",
                           "DeregisterTaskFromMaintenanceWindow"},
    "mw_target": {"RegisterTargetWithMaintenanceWindow", "UpdateMaintenanceWindowTarget",
                  "DeregisterTargetFromMaintenanceWindow"},
    "mw_task": {"RegisterTaskWithMaintenanceWindow", "UpdateMaintenanceWindowTask",
                "DeregisterTaskFromMaintenanceWindow"},
    "maintenance_window_info": {"CreateMaintenanceWindow"},
    "patch_baseline": {"CreatePatchBaseline", "UpdatePatchBaseline", "DeletePatchBaseline", "AddTagsToResource",
                       "RemoveTagsFromResource", "RegisterPatchBaselineForPatchGroup",
                       "DeregisterPatchBaselineForPatchGroup", "RegisterDefaultPatchBaseline"},
    "patch_baseline_info": {"CreatePatchBaseline", "RegisterPatchBaselineForPatchGroup"},
    "patch_compliance_info": set(),  # read-only: seeded states, every step checked for 0 writes
}


def run_target(sandbox, tmp_path: Path, target: str):
    """Run one target; return (request log slice of this run, checkpoints the target recorded)."""
    checkpoints = tmp_path / "checkpoints.jsonl"
    start = len(sandbox.requests())
    play = H.wrapper_play(target, sandbox.endpoint, {
        "resource_prefix": f"mwt-{CORE.replace('.', '')}-{uuid.uuid4().hex[:8]}",
        "mwsandbox_endpoint": sandbox.endpoint,
        "mw_checkpoints": str(checkpoints),
    })
    proc = H.run_playbook(H.write_playbook(tmp_path / f"{target}.json", play))
    log = sandbox.requests()
    H.record_calls(log[start:], [target])
    assert proc.returncode == 0, H.describe_failure(proc)
    return log, start, H.read_checkpoints(checkpoints)


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(EXPECTED_WRITES))
def test_target(sandbox, tmp_path, target):
    sandbox.set_faults(throttle_rate=0.0)
    log, start, checkpoints = run_target(sandbox, tmp_path, target)
    # The request log, checked here as well: every recorded no-op step made zero writes.
    assert checkpoints, "the target recorded no checkpoints"
    for point in checkpoints:
        writes = [r["operation"] for r in log[point["from"]:point["to"]] if r["write"]]
        assert writes == [], f"{point['step']}: {writes}"
        assert point["to"] > point["from"], f"{point['step']} made no call at all"
    made = {r["operation"] for r in log[start:] if r["write"]}
    assert EXPECTED_WRITES[target] <= made, EXPECTED_WRITES[target] - made


@pytest.mark.slow
def test_throttling_is_retried_and_the_run_converges(sandbox, tmp_path):
    """A share of all calls answers ThrottlingException; the whole mw_target target (create,
    updates, no-op checks, delete, paginated reads included) still passes."""
    sandbox.set_faults(throttle_rate=0.3, seed=11)
    try:
        log, start, checkpoints = run_target(sandbox, tmp_path, "mw_target")
    finally:
        sandbox.set_faults(throttle_rate=0.0)
    throttled = [r for r in log[start:] if r.get("throttled")]
    assert len(throttled) >= 10, "the fault injection did not bite"
    assert {r["operation"] for r in throttled} & {"DescribeMaintenanceWindows", "DescribeMaintenanceWindowTasks",
                                                  "DescribeMaintenanceWindowTargets"}, "paginated calls not throttled"
    assert checkpoints
