"""docs/iam-policy.json grants exactly the SSM actions the modules' integration runs called.

Runs after the test_module_* files (name order) and uses the operations they collected from the
sandbox request log. ``iam:PassRole`` (for ``service_role_arn`` and the notification role) is
checked separately: the sandbox does not model IAM.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import mw_harness as H

POLICY = Path(__file__).resolve().parents[2] / "docs" / "iam-policy.json"


def policy_actions():
    statements = json.loads(POLICY.read_text())["Statement"]
    actions = set()
    for statement in statements:
        value = statement["Action"]
        actions.update([value] if isinstance(value, str) else value)
    return actions


def test_policy_has_no_wildcards():
    assert all("*" not in action for action in policy_actions())


def test_policy_passes_roles_only_to_ssm():
    statement = next(s for s in json.loads(POLICY.read_text())["Statement"] if s["Action"] == "iam:PassRole")
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}}


def test_policy_matches_the_calls_the_modules_made():
    # A complete run has these; with -k or a single file the set is partial and proves nothing.
    needed = {"CreateMaintenanceWindow", "UpdateMaintenanceWindowTask", "DeregisterTargetFromMaintenanceWindow",
              "ListTagsForResource", "GetMaintenanceWindowTask"}
    if not needed <= H.OPERATIONS_SEEN:
        pytest.skip("the module integration tests did not all run in this session")
    called = {f"ssm:{operation}" for operation in H.OPERATIONS_SEEN}
    granted = {a for a in policy_actions() if a.startswith("ssm:")}
    assert granted == called, f"missing: {sorted(called - granted)}; unused: {sorted(granted - called)}"
