"""Patch baselines never duplicate: simultaneous runs of one definition, re-creation after a delete,
and two different definitions of one name racing.

Real ``ansible-playbook`` processes against the sandbox; a sandbox ``barrier`` holds both runs'
CreatePatchBaseline until both have sent it, so both passed the "is there a baseline of this
name?" read before either created one. The sandbox honours ClientToken as SSM documents it
(a replay answers with the same baseline; the same token with other parameters is refused).
"""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest

from . import mw_harness as H


def _definition(name: str, approve_after_days: int = 7) -> Dict[str, Any]:
    return {"name": name, "operating_system": "AMAZON_LINUX_2", "description": "race",
            "approval_rules": {"patch_rules": [{
                "patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
                "approve_after_days": approve_after_days}]},
            "tags": {"Owner": "race"}}


def _playbook(tmp_path: Path, sandbox, definition: Dict[str, Any], name: str = "play.yml") -> Path:
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint),
             "tasks": [{"name": "converge", "mwops.ssm.patch_baseline": definition}]}]
    return H.write_playbook(tmp_path / name, play)


def _start(playbook: Path) -> subprocess.Popen:
    cmd = [H.ansible_bin("ansible-playbook"), "-i", "localhost,", str(playbook)]
    return subprocess.Popen(cmd, env=H.environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=str(playbook.parent))


def _race(sandbox, playbooks: List[Path]) -> tuple[List[subprocess.Popen], List[str], List[Dict[str, Any]]]:
    sandbox.hold("CreatePatchBaseline", count=2, mode="barrier", timeout=120)
    start = len(sandbox.requests())
    runs = [_start(playbook) for playbook in playbooks]
    outputs = [run.communicate(timeout=600)[0] for run in runs]
    log = sandbox.requests()[start:]
    H.record_calls(log, ["patch_baseline"])
    creates = [r for r in log if r["operation"] == "CreatePatchBaseline"]
    assert len(creates) >= 2 and all(r.get("held") for r in creates[:2]), "the two runs did not race"
    return runs, outputs, log


def _baseline_ids(ssm_client, name: str) -> List[str]:
    pages = ssm_client.get_paginator("describe_patch_baselines").paginate(
        Filters=[{"Key": "NAME_PREFIX", "Values": [name]}, {"Key": "OWNER", "Values": ["Self"]}])
    return sorted(b["BaselineId"] for page in pages for b in page["BaselineIdentities"] if b["BaselineName"] == name)


@pytest.fixture(autouse=True)
def _clean_sandbox(sandbox):
    sandbox.set_faults(throttle_rate=0.0)
    sandbox.clear_holds()
    yield
    sandbox.clear_holds()


def test_simultaneous_runs_of_one_baseline_definition_never_duplicate(sandbox, ssm_client, tmp_path):
    name = f"race-pb-{uuid.uuid4().hex[:8]}"
    playbook = _playbook(tmp_path, sandbox, _definition(name))
    runs, outputs, log = _race(sandbox, [playbook, playbook])
    ids = _baseline_ids(ssm_client, name)
    try:
        assert len(ids) == 1, f"{len(ids)} patch baselines named {name}: {ids}"
        # SSM answered the second create with the first one's baseline: nothing was asked twice.
        assert [r["status"] for r in log if r["operation"] == "CreatePatchBaseline"] == [200, 200]
        assert all(run.returncode == 0 for run in runs), outputs
        assert ssm_client.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=ids[0])["TagList"] == [
            {"Key": "Owner", "Value": "race"}]
        # The baseline both runs were answered with is the one a rerun finds, unchanged.
        start = len(sandbox.requests())
        proc = H.run_playbook(playbook)
        assert proc.returncode == 0, H.describe_failure(proc)
        assert [r["operation"] for r in sandbox.requests()[start:] if r["write"]] == []
        assert "changed=0" in proc.stdout
    finally:
        for baseline_id in ids:
            ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_two_different_baseline_definitions_racing_fail_clearly_instead_of_duplicating(sandbox, ssm_client, tmp_path):
    name = f"race-pb-diff-{uuid.uuid4().hex[:8]}"
    first = _playbook(tmp_path, sandbox, _definition(name, 7), "first.yml")
    second = _playbook(tmp_path, sandbox, _definition(name, 14), "second.yml")
    runs, outputs, _log = _race(sandbox, [first, second])
    ids = _baseline_ids(ssm_client, name)
    try:
        assert len(ids) == 1, f"{len(ids)} patch baselines named {name}: {ids}"
        assert sorted(run.returncode for run in runs)[0] == 0, outputs
        failed = [out for run, out in zip(runs, outputs) if run.returncode != 0]
        assert len(failed) == 1 and "IdempotentParameterMismatch" in failed[0], outputs
    finally:
        for baseline_id in ids:
            ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_recreating_a_deleted_baseline_gets_a_fresh_token(sandbox, ssm_client, tmp_path):
    """Same definition, same observed state (no baseline of that name), but the token's baseline is
    gone: SSM would answer the old token with the deleted ID, so the module asks again."""
    name = f"again-pb-{uuid.uuid4().hex[:8]}"
    playbook = _playbook(tmp_path, sandbox, _definition(name))
    proc = H.run_playbook(playbook)
    assert proc.returncode == 0, H.describe_failure(proc)
    [first_id] = _baseline_ids(ssm_client, name)
    ssm_client.delete_patch_baseline(BaselineId=first_id)
    start = len(sandbox.requests())
    proc = H.run_playbook(playbook)
    log = sandbox.requests()[start:]
    H.record_calls(log, ["patch_baseline"])
    assert proc.returncode == 0, H.describe_failure(proc)
    ids = _baseline_ids(ssm_client, name)
    try:
        assert len(ids) == 1 and ids[0] != first_id, (first_id, ids)
        assert [r["operation"] for r in log if r["write"]] == ["CreatePatchBaseline", "CreatePatchBaseline"]
    finally:
        for baseline_id in ids:
            ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_recreating_a_deleted_baseline_with_a_changed_definition_is_not_refused(sandbox, ssm_client, tmp_path):
    """The name's token is remembered with the first definition's parameters; once that baseline
    is deleted, a changed definition of the name is a new baseline, not IdempotentParameterMismatch."""
    name = f"again-pb-changed-{uuid.uuid4().hex[:8]}"
    proc = H.run_playbook(_playbook(tmp_path, sandbox, _definition(name, 7), "first.yml"))
    assert proc.returncode == 0, H.describe_failure(proc)
    [first_id] = _baseline_ids(ssm_client, name)
    ssm_client.delete_patch_baseline(BaselineId=first_id)
    start = len(sandbox.requests())
    proc = H.run_playbook(_playbook(tmp_path, sandbox, _definition(name, 14), "second.yml"))
    log = sandbox.requests()[start:]
    H.record_calls(log, ["patch_baseline"])
    assert proc.returncode == 0, H.describe_failure(proc)
    ids = _baseline_ids(ssm_client, name)
    try:
        assert len(ids) == 1 and ids[0] != first_id, (first_id, ids)
        rules = ssm_client.get_patch_baseline(BaselineId=ids[0])["ApprovalRules"]["PatchRules"]
        assert [rule["ApproveAfterDays"] for rule in rules] == [14]
        creates = [r for r in log if r["operation"] == "CreatePatchBaseline"]
        assert [r["status"] for r in creates] == [400, 200], creates
    finally:
        for baseline_id in ids:
            ssm_client.delete_patch_baseline(BaselineId=baseline_id)
