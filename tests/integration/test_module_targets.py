"""Run the modules' integration targets (tests/integration/targets/<module>) against the sandbox.

Each target is an ansible-test style role (aliases ``cloud/aws``) following amazon.aws's four-step
rhythm (check -> real -> check -> real) for create, every kind of update and delete. The play
around it passes the sandbox endpoint through ``module_defaults: group/mwops.ssm.ssm``. After the
run this file checks the sandbox request log itself: the no-op steps recorded by the target made
no write call, and the run as a whole made the writes the target is about.

With ``MWOPS_TEST_AWS_PROFILE`` set (opt-in, docs/development.md) the targets run against that
real account instead: no endpoint, the profile's credentials, every window of the run's name
prefix deleted afterwards, passed or failed. The request-log checks need the sandbox and are
skipped in that mode, saying so; the throttling test needs its fault injection.
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


# Targets that never run against a real account: what they change is account-wide or cannot be
# seeded there, and the prefix clean-up deletes windows only.
SANDBOX_ONLY_TARGETS = {
    "patch_baseline": "it registers and deregisters an operating system's default patch baseline, which is "
                      "account-wide, and makes baselines the window clean-up does not delete",
    "patch_baseline_info": "it makes baselines and patch-group registrations the window clean-up does not delete",
    "patch_compliance_info": "it seeds patch states through the sandbox's control endpoint",
}

REAL_AWS_SKIP = (f"{H.PROFILE_VARIABLE} is set: the target ran against that AWS account and passed; its request-log "
                 "checks need the sandbox")


def target_plan(account: H.Account, tmp_path: Path, target: str, addfinalizer) -> tuple[list, Path]:
    """The play that runs ``target`` in ``account`` (sandbox or real), and where its checkpoints go.
    Against a real account the cleanup of the run's windows is registered before anything runs."""
    checkpoints = tmp_path / "checkpoints.jsonl"
    prefix = f"mwt-{CORE.replace('.', '')}-{uuid.uuid4().hex[:8]}"
    variables = {"resource_prefix": prefix, "mw_checkpoints": str(checkpoints)}
    if account.is_sandbox:
        variables["mwsandbox_endpoint"] = account.endpoint
    H.register_cleanup(account, prefix, addfinalizer)
    return H.wrapper_play(target, str(account.endpoint), variables, account=account), checkpoints


def run_target(sandbox, tmp_path: Path, target: str, addfinalizer=None):
    """Run one target; return (request log, where this run's slice starts, checkpoints the target
    recorded). Against a real account the log is empty."""
    account = H.target_account(sandbox.endpoint)
    if not account.is_sandbox and addfinalizer is None:
        raise RuntimeError("a run against a real account needs a finalizer for its cleanup")
    play, checkpoints = target_plan(account, tmp_path, target, addfinalizer)
    start = len(sandbox.requests()) if account.is_sandbox else 0
    proc = H.run_playbook(H.write_playbook(tmp_path / f"{target}.json", play), account=account)
    log = sandbox.requests() if account.is_sandbox else []
    if account.is_sandbox:  # the IAM policy test compares against calls the sandbox saw
        H.record_calls(log[start:], [target])
    assert proc.returncode == 0, H.describe_failure(proc)
    return log, start, H.read_checkpoints(checkpoints)


@pytest.mark.slow
@pytest.mark.parametrize("target", sorted(EXPECTED_WRITES))
def test_target(sandbox, tmp_path, request, target):
    if target in SANDBOX_ONLY_TARGETS and not H.target_account(sandbox.endpoint).is_sandbox:
        pytest.skip(f"{H.PROFILE_VARIABLE} is set, and {target} runs against the sandbox only: "
                    f"{SANDBOX_ONLY_TARGETS[target]}")
    sandbox.set_faults(throttle_rate=0.0)
    log, start, checkpoints = run_target(sandbox, tmp_path, target, request.addfinalizer)
    if not H.target_account(sandbox.endpoint).is_sandbox:
        pytest.skip(REAL_AWS_SKIP)
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
    if not H.target_account(sandbox.endpoint).is_sandbox:
        pytest.skip(f"{H.PROFILE_VARIABLE} is set: throttling is injected by the sandbox only")
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


@pytest.mark.slow
def test_the_no_write_checkpoint_fails_on_a_write(sandbox, ssm_client, tmp_path):
    """The checkpoint the targets rely on can fail: a write between mark and check stops the play,
    names the call, and records no checkpoint."""
    sandbox.set_faults(throttle_rate=0.0)
    name = f"ckpt-{uuid.uuid4().hex[:8]}"
    checkpoints = tmp_path / "checkpoints.jsonl"
    play = H.localhost_play(tmp_path, sandbox.endpoint, f"""\
        - name: Mark
          ansible.builtin.include_role: {{name: setup_mwsandbox, tasks_from: mark}}
          vars: {{mwsandbox_endpoint: "{sandbox.endpoint}"}}
        - name: A write
          mwops.ssm.maintenance_window: {{name: {name}, schedule: rate(7 days), duration: 2, cutoff: 0}}
        - name: Check
          ansible.builtin.include_role: {{name: setup_mwsandbox, tasks_from: no_writes}}
          vars: {{mwsandbox_endpoint: "{sandbox.endpoint}", mw_checkpoints: "{checkpoints}", step: a write}}
        """)
    try:
        proc = H.run_playbook(play)
    finally:
        for page in ssm_client.get_paginator("describe_maintenance_windows").paginate():
            for window in page["WindowIdentities"]:
                if window["Name"] == name:
                    ssm_client.delete_maintenance_window(WindowId=window["WindowId"])
    assert proc.returncode != 0, H.describe_failure(proc)
    assert "a write made write calls: ['CreateMaintenanceWindow']" in proc.stdout, H.describe_failure(proc)
    assert not checkpoints.exists()


# ------------------------------------------------------------------------------------------
# The real-AWS opt-in, proven without leaving loopback: the plan for each mode, and the
# cleanup against the sandbox standing in for the account.

def test_without_the_variable_the_targets_use_the_sandbox(monkeypatch, tmp_path):
    monkeypatch.delenv(H.PROFILE_VARIABLE, raising=False)
    monkeypatch.setenv(H.REGION_VARIABLE, "eu-west-1")  # the region alone opts in to nothing
    account = H.target_account("http://127.0.0.1:5000")
    finalizers = []
    play, _checkpoints = target_plan(account, tmp_path, "mw_target", finalizers.append)
    assert account.is_sandbox and finalizers == []
    defaults = play[0]["module_defaults"]["group/mwops.ssm.ssm"]
    assert defaults["endpoint_url"] == "http://127.0.0.1:5000"
    assert play[0]["vars"]["mwsandbox_endpoint"] == "http://127.0.0.1:5000"
    env = account.environment()
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["AWS_DEFAULT_REGION"] == "us-east-1"


def test_with_the_profile_the_targets_use_the_account_and_clean_up(monkeypatch, tmp_path, sandbox, ssm_client):
    monkeypatch.setenv(H.PROFILE_VARIABLE, "mwops-test")
    monkeypatch.setenv(H.REGION_VARIABLE, "eu-west-1")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "left-over")
    account = H.target_account(sandbox.endpoint)
    assert account == H.Account(profile="mwops-test", region="eu-west-1")
    finalizers = []
    play, _checkpoints = target_plan(account, tmp_path, "mw_target", finalizers.append)
    # No endpoint anywhere, the profile and region passed, no request-log checkpoints.
    assert play[0]["module_defaults"] == {"group/mwops.ssm.ssm": {"profile": "mwops-test", "region": "eu-west-1"}}
    assert "endpoint_url" not in str(play) and sandbox.endpoint not in str(play)
    assert "mwsandbox_endpoint" not in play[0]["vars"]
    env = account.environment()
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"} & set(env)
    prefix = play[0]["vars"]["resource_prefix"]
    assert prefix.startswith(f"mwt-{CORE.replace('.', '')}-") and len(finalizers) == 1

    # The registered cleanup deletes every window of the prefix and nothing else; here the
    # sandbox stands in for the account (the finalizer's client factory is the only swap).
    def window(name):
        return ssm_client.create_maintenance_window(Name=name, Schedule="rate(7 days)", Duration=2, Cutoff=0,
                                                    AllowUnassociatedTargets=False)["WindowId"]
    ours = [window(f"{prefix}-mw"), window(f"{prefix}-tgt")]
    other = window(f"keep-{prefix}")
    try:
        registered = []
        assert H.register_cleanup(account, prefix, registered.append, client_factory=lambda _account: ssm_client)
        registered[0]()
        left = {w["WindowId"] for page in ssm_client.get_paginator("describe_maintenance_windows").paginate()
                for w in page["WindowIdentities"]}
        assert not set(ours) & left and other in left
    finally:
        ssm_client.delete_maintenance_window(WindowId=other)


def test_cleanup_refuses_an_empty_prefix():
    with pytest.raises(ValueError, match="prefix"):
        H.delete_windows("", client=None)


@pytest.mark.parametrize("target", sorted(SANDBOX_ONLY_TARGETS))
def test_with_the_profile_the_patch_targets_are_skipped_before_anything_runs(
        monkeypatch, sandbox, tmp_path, request, target):
    monkeypatch.setenv(H.PROFILE_VARIABLE, "mwops-test")
    start = len(sandbox.requests())
    with pytest.raises(pytest.skip.Exception, match=f"{target} runs against the sandbox only"):
        test_target(sandbox, tmp_path, request, target)
    assert sandbox.requests()[start:] == []
