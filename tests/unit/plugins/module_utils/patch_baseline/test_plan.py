"""Planning the writes for one patch baseline (_baseline_plan): pure, against botocore's model."""

from __future__ import annotations

import botocore.loaders
import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_plan as P

MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")
ID = "pb-0123456789abcdef0"
OTHER = "pb-0fedcba9876543210"
AWS_DEFAULT = "arn:aws:ssm:us-east-1:075727635805:patchbaseline/pb-0be8c61cde3be63f3"
RULES = {"patch_rules": [{"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
                          "approve_after_days": 7}]}


def request(present=True, **options):
    baseline = {k: options.pop(k) for k in list(options) if k in {f.key for f in B.BASELINE}}
    return P.Request(baseline=B.desired_baseline(baseline), present=present, **options)


def state(groups=(), default=None, tags=None, **api):
    fields = dict({"BaselineId": ID, "Name": "prod", "OperatingSystem": "AMAZON_LINUX_2",
                   "ApprovalRules": B.to_api({"approval_rules": RULES})["ApprovalRules"]}, **api)
    fields["PatchGroups"] = list(groups)
    return P.BaselineState(api=fields, tags=dict(tags or {}), default_id=default)


def operations(plan):
    return [op.operation for op in plan.ops]


def test_create_sends_everything_once_with_tags_and_registers_groups():
    plan = P.plan_baseline(request(name="prod", operating_system="AMAZON_LINUX_2", approval_rules=RULES,
                                   patch_groups=["b", "a"], tags={"Env": "prod"}, default_for_os=True),
                           None, P.Surroundings(), MODEL)
    assert operations(plan) == ["CreatePatchBaseline", "RegisterPatchBaselineForPatchGroup",
                                "RegisterPatchBaselineForPatchGroup", "RegisterDefaultPatchBaseline"]
    create = plan.ops[0].request
    assert create["Name"] == "prod" and create["Tags"] == [{"Key": "Env", "Value": "prod"}]
    assert [op.request["BaselineId"] for op in plan.ops[1:]] == [P.NEW_BASELINE_ID] * 3
    assert plan.after["patch_groups"] == ["a", "b"] and plan.after["default_for_os"] is True
    assert plan.after["rejected_patches_action"] == "ALLOW_AS_DEPENDENCY"  # what AWS will answer


def test_identical_rerun_plans_nothing():
    plan = P.plan_baseline(request(name="prod", operating_system="AMAZON_LINUX_2", approval_rules=RULES,
                                   patch_groups=["a"], tags={"Env": "prod"}, default_for_os=True),
                           state(groups=["a"], default=ID, tags={"Env": "prod"}), P.Surroundings(), MODEL)
    assert plan.ops == [] and plan.changed_fields == [] and not plan.changed
    assert plan.after == plan.before


def test_update_uses_replace_with_the_whole_merged_baseline():
    plan = P.plan_baseline(request(name="prod", description="new"), state(RejectedPatchesAction="BLOCK"),
                           P.Surroundings(), MODEL)
    assert operations(plan) == ["UpdatePatchBaseline"]
    update = plan.ops[0].request
    assert update["Replace"] is True and update["BaselineId"] == ID and "OperatingSystem" not in update
    assert update["Description"] == "new" and update["RejectedPatchesAction"] == "BLOCK"
    assert update["ApprovalRules"]["PatchRules"][0]["ApproveAfterDays"] == 7
    assert plan.changed_fields == ["description"]


def test_tags_purge_keeps_aws_keys():
    plan = P.plan_baseline(request(name="prod", tags={"A": "1"}), state(tags={"A": "0", "B": "x", "aws:c": "y"}),
                           P.Surroundings(), MODEL)
    assert operations(plan) == ["RemoveTagsFromResource", "AddTagsToResource"]
    assert plan.ops[0].request["TagKeys"] == ["B"]
    assert plan.after["tags"] == {"A": "1", "aws:c": "y"}


def test_patch_group_of_another_baseline_is_refused_without_force_and_moved_with_it():
    around = P.Surroundings(group_owners={"legacy": (OTHER, "old")})
    with pytest.raises(P.BaselineError) as info:
        P.plan_baseline(request(name="prod", patch_groups=["a", "legacy"]), state(groups=["a"]), around, MODEL)
    assert info.value.problems[0].path == "patch_groups[1]"
    assert OTHER in info.value.problems[0].message and "force" in info.value.problems[0].message
    plan = P.plan_baseline(request(name="prod", patch_groups=["a", "legacy"], force=True), state(groups=["a"]),
                           around, MODEL)
    assert [(op.operation, op.request["BaselineId"]) for op in plan.ops] == [
        ("DeregisterPatchBaselineForPatchGroup", OTHER), ("RegisterPatchBaselineForPatchGroup", ID)]
    assert plan.warnings == [f"patch group 'legacy' moves from baseline old ({OTHER}) to this one"]


def test_groups_not_listed_are_deregistered_and_unset_leaves_them():
    plan = P.plan_baseline(request(name="prod", patch_groups=[]), state(groups=["a", "b"]), P.Surroundings(), MODEL)
    assert operations(plan) == ["DeregisterPatchBaselineForPatchGroup"] * 2
    plan = P.plan_baseline(request(name="prod"), state(groups=["a", "b"]), P.Surroundings(), MODEL)
    assert plan.ops == []


def test_default_off_gives_it_back_to_aws():
    plan = P.plan_baseline(request(name="prod", default_for_os=False), state(default=ID),
                           P.Surroundings(aws_default_id=AWS_DEFAULT), MODEL)
    assert [(op.operation, op.request) for op in plan.ops] == [
        ("RegisterDefaultPatchBaseline", {"BaselineId": AWS_DEFAULT})]
    # Not the default: nothing to give back.
    assert P.plan_baseline(request(name="prod", default_for_os=False), state(default=AWS_DEFAULT),
                           P.Surroundings(), MODEL).ops == []


def test_absent_refuses_while_default_or_with_groups_unless_forced():
    with pytest.raises(P.BaselineError) as info:
        P.plan_baseline(request(present=False, name="prod"), state(groups=["a"], default=ID), P.Surroundings(), MODEL)
    assert info.value.problems[0].path == "state"
    assert "default baseline for AMAZON_LINUX_2" in str(info.value) and "patch groups a" in str(info.value)
    plan = P.plan_baseline(request(present=False, name="prod", force=True), state(groups=["a"], default=ID),
                           P.Surroundings(aws_default_id=AWS_DEFAULT), MODEL)
    assert operations(plan) == ["RegisterDefaultPatchBaseline", "DeregisterPatchBaselineForPatchGroup",
                                "DeletePatchBaseline"]
    assert P.plan_baseline(request(present=False, name="prod"), None, P.Surroundings(), MODEL).ops == []


def test_operating_system_cannot_change_and_aws_baselines_are_refused():
    with pytest.raises(P.BaselineError, match="operating_system: cannot change from AMAZON_LINUX_2 to UBUNTU"):
        P.plan_baseline(request(name="prod", operating_system="UBUNTU"), state(), P.Surroundings(), MODEL)
    with pytest.raises(P.BaselineError, match="AWS-provided baselines cannot be changed"):
        P.plan_baseline(request(name="x"), state(BaselineId=AWS_DEFAULT), P.Surroundings(), MODEL)


@pytest.mark.parametrize("options, path, words", [
    ({"name": "ab"}, "name", "3"),
    ({"name": "prod", "approved_patches_compliance_level": "SEVERE"}, "approved_patches_compliance_level", "enum"),
    ({"name": "prod", "approval_rules": {"patch_rules": [dict(RULES["patch_rules"][0], approve_after_days=361)]}},
     "approval_rules.patch_rules[0].approve_after_days", "360"),
    ({"name": "prod", "global_filters": {"patch_filters": [{"key": k, "values": ["x"]} for k in
                                                           ("PRODUCT", "CLASSIFICATION", "SEVERITY", "ARCH", "NAME")]}},
     "global_filters.patch_filters", "4"),
    ({"name": "prod", "approval_rules": {"patch_rules": RULES["patch_rules"] * 11}}, "approval_rules.patch_rules", "10"),
    ({"name": "prod", "operating_system": "AMAZON_LINUX_2",
      "sources": [{"name": "r", "products": ["p"], "configuration": "s3cr3t" * 200}]},
     "sources[0].configuration", "1024"),
    ({"name": "prod", "patch_groups": ["bad|group"]}, "patch_groups", "pattern"),
])
def test_requests_are_checked_against_botocore_before_any_write(options, path, words):
    with pytest.raises(P.BaselineError) as info:
        P.plan_baseline(request(**options), None, P.Surroundings(), MODEL)
    problem = next(p for p in info.value.problems if p.path == path)
    assert words in problem.message
    assert "s3cr3t" not in str(info.value)  # a repository configuration is never echoed
    assert str(info.value).startswith("Invalid patch baseline definition, nothing was changed")
