"""Seeded patch states, read through SSM's patch-compliance APIs (one store with the node registry)."""

from __future__ import annotations

import re

import boto3
import pytest
from botocore.exceptions import ClientError


@pytest.fixture(name="ssm")
def fixture_ssm(sandbox):
    sandbox.reset()
    return boto3.client("ssm", endpoint_url=sandbox.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _seed(sandbox):
    sandbox.register_managed_instance("mi-0000000000000000c", tags={"Patch Group": "Web"})
    return sandbox.seed_patch_states([
        {"InstanceId": "i-0000000000000000a", "PatchGroup": "Web", "BaselineId": "pb-0123456789abcdef0",
         "Operation": "Install", "OperationStartTime": "2024-11-12T02:00:00Z", "OperationEndTime": 1731377700,
         "InstalledCount": 40, "MissingCount": 2, "CriticalNonCompliantCount": 1, "RebootOption": "RebootIfNeeded"},
        {"InstanceId": "i-0000000000000000b", "PatchGroup": "Db", "InstalledCount": 10, "FailedCount": 1},
        {"InstanceId": "mi-0000000000000000c", "InstalledCount": 5, "InstalledPendingRebootCount": 1},
    ])


def test_seeded_states_answer_all_three_reads_from_one_store(sandbox, ssm):
    _seed(sandbox)
    ids = ["i-0000000000000000a", "i-0000000000000000b", "mi-0000000000000000c"]
    by_id = {s["InstanceId"]: s for s in ssm.describe_instance_patch_states(InstanceIds=ids)["InstancePatchStates"]}
    assert sorted(by_id) == ids
    first = by_id["i-0000000000000000a"]
    assert (first["Operation"], first["MissingCount"], first["RebootOption"], first["BaselineId"]) == (
        "Install", 2, "RebootIfNeeded", "pb-0123456789abcdef0")
    assert first["OperationStartTime"].isoformat() == "2024-11-12T02:00:00+00:00"
    assert first["OperationEndTime"].isoformat() == "2024-11-12T02:15:00+00:00"
    # No PatchGroup seeded: the node's "Patch Group" tag, as the agent reports it.
    assert by_id["mi-0000000000000000c"]["PatchGroup"] == "Web"
    web = ssm.describe_instance_patch_states_for_patch_group(PatchGroup="Web")["InstancePatchStates"]
    assert [s["InstanceId"] for s in web] == ["i-0000000000000000a", "mi-0000000000000000c"]
    state = ssm.describe_patch_group_state(PatchGroup="Web")
    assert (state["Instances"], state["InstancesWithMissingPatches"], state["InstancesWithInstalledPatches"],
            state["InstancesWithInstalledPendingRebootPatches"], state["InstancesWithCriticalNonCompliantPatches"],
            state["InstancesWithFailedPatches"]) == (2, 1, 2, 1, 1, 0)
    assert ssm.describe_patch_group_state(PatchGroup="Nobody")["Instances"] == 0
    # The node registry holds the state: removing it there empties every read.
    sandbox.seed_patch_states(remove=["i-0000000000000000a"])
    assert ssm.describe_patch_group_state(PatchGroup="Web")["Instances"] == 1


def test_filters_compare_counts_and_pages_follow_max_results(sandbox, ssm):
    sandbox.seed_patch_states([{"InstanceId": f"i-{n:017x}", "PatchGroup": "Fleet", "MissingCount": n}
                               for n in range(25)])
    pages = list(ssm.get_paginator("describe_instance_patch_states_for_patch_group").paginate(
        PatchGroup="Fleet", Filters=[{"Key": "MissingCount", "Values": ["3"], "Type": "GreaterThan"}],
        PaginationConfig={"PageSize": 10}))
    listed = [s["MissingCount"] for p in pages for s in p["InstancePatchStates"]]
    assert len(pages) == 3 and listed == list(range(4, 25))
    with pytest.raises(ClientError, match="Key 'Colour' is not valid"):
        ssm.describe_instance_patch_states_for_patch_group(
            PatchGroup="Fleet", Filters=[{"Key": "Colour", "Values": ["1"], "Type": "Equal"}])
    with pytest.raises(ClientError, match="one integer"):
        ssm.describe_instance_patch_states_for_patch_group(
            PatchGroup="Fleet", Filters=[{"Key": "MissingCount", "Values": ["x"], "Type": "Equal"}])


@pytest.mark.parametrize("state, message", [
    ({"InstanceId": "web-1"}, "states[1].InstanceId must be an EC2 instance ID"),
    ({"InstanceId": "i-0000000000000000a", "MissingCount": -1}, "states[1].MissingCount must be an integer"),
    ({"InstanceId": "i-0000000000000000a", "Operation": "Patch"}, "states[1].Operation must be one of Scan, Install"),
    ({"InstanceId": "i-0000000000000000a", "Missing": 1}, "unknown members Missing"),
    ({"InstanceId": "i-0000000000000000a", "OperationEndTime": "yesterday"}, "OperationEndTime must be an ISO-8601"),
])
def test_bad_seeds_are_refused_and_change_nothing(sandbox, ssm, state, message):
    good = {"InstanceId": "i-0000000000000000f", "InstalledCount": 1}
    with pytest.raises(ValueError, match=re.escape(message)):
        sandbox.seed_patch_states([good, state])
    assert ssm.describe_instance_patch_states(InstanceIds=["i-0000000000000000f"])["InstancePatchStates"] == []
