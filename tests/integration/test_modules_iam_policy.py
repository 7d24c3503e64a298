"""docs/iam-policy.json grants exactly the AWS actions the modules' integration runs called.

Every module test records the sandbox request-log entries of its module runs
(``mw_harness.record_calls``: SSM, EC2, Resource Groups, IAM, STS) and the modules it ran. This
file runs last (tests/integration/conftest.py) and compares. ``iam:PassRole`` (for
``service_role_arn`` and the notification role) is an authorization of the write calls, not a
call: it is checked separately. ``sts:GetCallerIdentity`` needs no permission
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html), so the policy
does not grant it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from . import mw_harness as H

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"
RUNTIME = Path(__file__).resolve().parents[2] / "meta" / "runtime.yml"
# The test files whose module runs record calls: all of them must have run for the comparison.
RECORDING_FILES = {"test_module_adoption.py", "test_module_targets.py", "test_module_trust.py",
                   "test_module_validation.py", "test_mw_history_evidence.py", "test_preflight.py"}
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def policy_actions():
    statements = json.loads(POLICY.read_text())["Statement"]
    actions = set()
    for statement in statements:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def aws_modules():
    """The modules of the collection that call AWS: the ``group/mwops.ssm.ssm`` action group."""
    group = yaml.safe_load(RUNTIME.read_text())["action_groups"]["ssm"]
    return {entry for entry in group if isinstance(entry, str)}


def test_policy_has_no_wildcards():
    assert all("*" not in action for action in policy_actions())


def test_policy_passes_roles_only_to_ssm():
    statement = next(s for s in json.loads(POLICY.read_text())["Statement"] if s["Action"] == "iam:PassRole")
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_policy_matches_the_calls_the_modules_made(request):
    ran = {item.path.name for item in request.session.items}
    if not RECORDING_FILES <= ran:
        # With -k or single files the recorded set is partial and proves nothing.
        pytest.skip(f"module tests not in this session: {sorted(RECORDING_FILES - ran)}")
    # Every module that calls AWS was exercised, so the comparison covers the whole collection.
    assert aws_modules() <= H.MODULES_SEEN, f"not exercised: {sorted(aws_modules() - H.MODULES_SEEN)}"
    assert {"ssm", "ec2", "iam", "resource-groups"} <= {op.split(":")[0] for op in H.OPERATIONS_SEEN}
    called = H.OPERATIONS_SEEN - NEEDS_NO_PERMISSION
    granted = policy_actions() - {"iam:PassRole"}
    assert granted == called, f"missing: {sorted(called - granted)}; unused: {sorted(granted - called)}"
