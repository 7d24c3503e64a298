"""The sandbox's patch-baseline operations behave as AWS documents them (tests/sandbox/mwsandbox/_patch_ext.py)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

RULE = {"PatchFilterGroup": {"PatchFilters": [{"Key": "CLASSIFICATION", "Values": ["Security"]}]},
        "ApproveAfterDays": 7}


def code_of(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_aws_provided_default_baselines_exist_from_the_start(ssm_client):
    default = ssm_client.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")["BaselineId"]
    assert default.startswith("arn:aws:ssm:us-east-1:") and "/pb-" in default
    found = ssm_client.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["AWS"]},
                                                         {"Key": "OPERATING_SYSTEM", "Values": ["AMAZON_LINUX_2023"]}])
    names = {b["BaselineName"]: b for b in found["BaselineIdentities"]}
    assert names["AWS-AmazonLinux2023DefaultPatchBaseline"]["BaselineId"] == default
    assert names["AWS-AmazonLinux2023DefaultPatchBaseline"]["DefaultBaseline"] is True
    full = ssm_client.get_patch_baseline(BaselineId=default)
    assert full["ApprovalRules"]["PatchRules"]


def test_create_get_update_with_replace_and_defaults(ssm_client):
    name = unique("pb")
    baseline_id = ssm_client.create_patch_baseline(Name=name, OperatingSystem="UBUNTU", Description="d",
                                                   RejectedPatches=["b", "a"])["BaselineId"]
    got = ssm_client.get_patch_baseline(BaselineId=baseline_id)
    assert got["ApprovedPatchesComplianceLevel"] == "UNSPECIFIED"
    assert got["RejectedPatchesAction"] == "ALLOW_AS_DEPENDENCY"
    assert got["ApprovedPatchesEnableNonSecurity"] is False
    assert got["RejectedPatches"] == ["b", "a"] and got["PatchGroups"] == []
    # Without Replace only the given members change; with Replace the others fall back to AWS's defaults.
    ssm_client.update_patch_baseline(BaselineId=baseline_id, RejectedPatchesAction="BLOCK")
    got = ssm_client.get_patch_baseline(BaselineId=baseline_id)
    assert (got["Description"], got["RejectedPatchesAction"]) == ("d", "BLOCK")
    ssm_client.update_patch_baseline(BaselineId=baseline_id, Replace=True, Name=name, Description="e")
    got = ssm_client.get_patch_baseline(BaselineId=baseline_id)
    assert (got["Description"], got["RejectedPatchesAction"], got["RejectedPatches"]) == ("e", "ALLOW_AS_DEPENDENCY", [])
    assert got["OperatingSystem"] == "UBUNTU"
    ssm_client.delete_patch_baseline(BaselineId=baseline_id)
    assert code_of(ssm_client.get_patch_baseline, BaselineId=baseline_id)[0] == "DoesNotExistException"


@pytest.mark.parametrize("kwargs, words", [
    ({"OperatingSystem": "WINDOWS", "ApprovalRules": {"PatchRules": [dict(RULE, ApproveUntilDate="2025-01-01")]}},
     "exclude each other"),
    ({"OperatingSystem": "WINDOWS", "ApprovalRules": {"PatchRules": [{"PatchFilterGroup": RULE["PatchFilterGroup"]}]}},
     "one of them"),
    ({"OperatingSystem": "UBUNTU", "GlobalFilters": {"PatchFilters": [{"Key": "MSRC_SEVERITY", "Values": ["x"]}]}},
     "not a patch filter key for UBUNTU"),
    ({"OperatingSystem": "WINDOWS", "Sources": [{"Name": "repo", "Products": ["x"], "Configuration": "c"}]},
     "Linux only"),
    ({"OperatingSystem": "WINDOWS", "ApprovedPatchesComplianceLevel": "SEVERE"}, "enum"),
])
def test_create_is_validated(ssm_client, kwargs, words):
    name = unique("bad")
    code, message = code_of(ssm_client.create_patch_baseline, Name=name, **kwargs)
    assert code == "ValidationException" and words in message
    found = ssm_client.describe_patch_baselines(Filters=[{"Key": "NAME_PREFIX", "Values": [name]}])
    assert found["BaselineIdentities"] == []


def test_patch_groups_one_baseline_per_os_and_describe_reads_the_registrations(ssm_client):
    group = unique("Group")
    first = ssm_client.create_patch_baseline(Name=unique("a"), OperatingSystem="AMAZON_LINUX_2")["BaselineId"]
    second = ssm_client.create_patch_baseline(Name=unique("b"), OperatingSystem="AMAZON_LINUX_2")["BaselineId"]
    other_os = ssm_client.create_patch_baseline(Name=unique("c"), OperatingSystem="WINDOWS")["BaselineId"]
    ssm_client.register_patch_baseline_for_patch_group(BaselineId=first, PatchGroup=group)
    assert code_of(ssm_client.register_patch_baseline_for_patch_group, BaselineId=second,
                   PatchGroup=group)[0] == "AlreadyExistsException"
    ssm_client.register_patch_baseline_for_patch_group(BaselineId=other_os, PatchGroup=group)
    mappings = ssm_client.describe_patch_groups(Filters=[{"Key": "NAME_PREFIX", "Values": [group]}])["Mappings"]
    assert sorted((m["PatchGroup"], m["BaselineIdentity"]["BaselineId"]) for m in mappings) == sorted(
        [(group, first), (group, other_os)])
    assert ssm_client.get_patch_baseline(BaselineId=first)["PatchGroups"] == [group]
    assert ssm_client.get_patch_baseline_for_patch_group(PatchGroup=group, OperatingSystem="AMAZON_LINUX_2")[
        "BaselineId"] == first
    # A baseline with patch groups cannot be deleted.
    assert code_of(ssm_client.delete_patch_baseline, BaselineId=first)[0] == "ResourceInUseException"
    ssm_client.deregister_patch_baseline_for_patch_group(BaselineId=first, PatchGroup=group)
    assert code_of(ssm_client.deregister_patch_baseline_for_patch_group, BaselineId=first,
                   PatchGroup=group)[0] == "DoesNotExistException"
    ssm_client.deregister_patch_baseline_for_patch_group(BaselineId=other_os, PatchGroup=group)
    for baseline_id in (first, second, other_os):
        ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_default_baseline_and_delete_refused_while_default(ssm_client):
    aws_default = ssm_client.get_default_patch_baseline(OperatingSystem="SUSE")["BaselineId"]
    mine = ssm_client.create_patch_baseline(Name=unique("suse"), OperatingSystem="SUSE")["BaselineId"]
    ssm_client.register_default_patch_baseline(BaselineId=mine)
    assert ssm_client.get_default_patch_baseline(OperatingSystem="SUSE")["BaselineId"] == mine
    assert code_of(ssm_client.delete_patch_baseline, BaselineId=mine)[0] == "ResourceInUseException"
    ssm_client.register_default_patch_baseline(BaselineId=aws_default)
    ssm_client.delete_patch_baseline(BaselineId=mine)
    assert code_of(ssm_client.update_patch_baseline, BaselineId=aws_default, Description="x")[0] == \
        "AccessDeniedException"


def test_tags_on_patch_baselines(ssm_client):
    baseline_id = ssm_client.create_patch_baseline(Name=unique("t"), Tags=[{"Key": "A", "Value": "1"}])["BaselineId"]
    ssm_client.add_tags_to_resource(ResourceType="PatchBaseline", ResourceId=baseline_id,
                                    Tags=[{"Key": "B", "Value": "2"}])
    ssm_client.remove_tags_from_resource(ResourceType="PatchBaseline", ResourceId=baseline_id, TagKeys=["A"])
    tags = ssm_client.list_tags_for_resource(ResourceType="PatchBaseline", ResourceId=baseline_id)["TagList"]
    assert tags == [{"Key": "B", "Value": "2"}]
    assert code_of(ssm_client.list_tags_for_resource, ResourceType="PatchBaseline",
                   ResourceId="pb-0123456789abcdef0")[0] == "InvalidResourceId"
    ssm_client.delete_patch_baseline(BaselineId=baseline_id)


def test_describe_pages_and_requests_are_logged(sandbox, ssm_client):
    prefix = unique("page")
    ids = [ssm_client.create_patch_baseline(Name=f"{prefix}-{n}")["BaselineId"] for n in range(3)]
    first = ssm_client.describe_patch_baselines(Filters=[{"Key": "NAME_PREFIX", "Values": [prefix]}], MaxResults=2)
    second = ssm_client.describe_patch_baselines(Filters=[{"Key": "NAME_PREFIX", "Values": [prefix]}], MaxResults=2,
                                                 NextToken=first["NextToken"])
    assert sorted(b["BaselineId"] for b in first["BaselineIdentities"] + second["BaselineIdentities"]) == sorted(ids)
    log = sandbox.requests()
    assert {"CreatePatchBaseline", "DescribePatchBaselines"} <= {r["operation"] for r in log}
    assert all(r["write"] for r in log if r["operation"] == "CreatePatchBaseline")
    for baseline_id in ids:
        ssm_client.delete_patch_baseline(BaselineId=baseline_id)
