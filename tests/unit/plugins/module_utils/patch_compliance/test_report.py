"""Patch compliance shaped for a report: records, compliance, filters, summary, input checks."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _patch_compliance as C

UTC = datetime.timezone.utc


def state(instance_id, group="Web", **counts):
    return {"InstanceId": instance_id, "PatchGroup": group, "BaselineId": "pb-0123456789abcdef0",
            "Operation": counts.pop("Operation", "Scan"),
            "OperationStartTime": datetime.datetime(2024, 11, 12, 2, 0, tzinfo=UTC),
            "OperationEndTime": counts.pop("end", datetime.datetime(2024, 11, 12, 2, 20, tzinfo=UTC)),
            **counts}


def mapping(group, baseline_id, name, operating_system):
    return {"PatchGroup": group, "BaselineIdentity": {"BaselineId": baseline_id, "BaselineName": name,
                                                      "OperatingSystem": operating_system}}


MAPPINGS = [mapping("Web", "pb-0123456789abcdef0", "al", "AMAZON_LINUX_2023"),
            mapping("Db", "pb-0000000000000000d", "rhel", "REDHAT_ENTERPRISE_LINUX"),
            mapping("Db", "pb-0000000000000000w", "win", "WINDOWS")]


def test_instance_record_is_flat_snake_case_with_iso_times():
    record = C.instance_record(state("i-0123456789abcdef0", InstalledCount=40, RebootOption="NoReboot",
                                     Operation="Install", end=1731378000))
    assert record["installed"] == 40 and record["missing"] == 0 and record["reboot_option"] == "NoReboot"
    assert (record["operation"], record["operation_start_time"], record["operation_end_time"]) == (
        "Install", "2024-11-12T02:00:00Z", "2024-11-12T02:20:00Z")
    assert set(C.STATE_COUNTS) <= set(record) and all(isinstance(v, (str, int, type(None))) for v in record.values())
    assert record["compliance"] == "COMPLIANT"


@pytest.mark.parametrize("count", ["MissingCount", "FailedCount", "InstalledPendingRebootCount",
                                   "InstalledRejectedCount", "CriticalNonCompliantCount", "SecurityNonCompliantCount",
                                   "OtherNonCompliantCount"])
def test_each_non_compliant_state_makes_a_node_non_compliant(count):
    assert C.instance_record(state("i-0123456789abcdef0", **{count: 1}))["compliance"] == "NON_COMPLIANT"


@pytest.mark.parametrize("count", ["InstalledCount", "InstalledOtherCount", "NotApplicableCount",
                                   "UnreportedNotApplicableCount", "AvailableSecurityUpdateCount"])
def test_other_states_keep_a_node_compliant(count):
    assert C.instance_record(state("i-0123456789abcdef0", **{count: 3}))["compliance"] == "COMPLIANT"


def test_report_groups_instances_and_summary():
    web = [state("i-0000000000000000b", MissingCount=2, InstalledCount=5,
                 end=datetime.datetime(2024, 11, 13, 0, 0, tzinfo=UTC)),
           state("i-0000000000000000a", InstalledCount=7, Operation="Install")]
    db = [state("i-0000000000000000c", "Db", FailedCount=1)]
    named = [state("i-0000000000000000a", InstalledCount=7, Operation="Install"),  # listed twice: once in the answer
             state("mi-0123456789abcdef0", "", InstalledPendingRebootCount=1)]
    group_states = {"Web": {"Instances": 2, "InstancesWithMissingPatches": 1}, "Db": {"Instances": 1}}
    answer = C.report(["Web", "Db"], group_states, MAPPINGS, [web, db, named], [])
    assert [i["instance_id"] for i in answer["instances"]] == [
        "mi-0123456789abcdef0", "i-0000000000000000c", "i-0000000000000000a", "i-0000000000000000b"]
    web_group, db_group = answer["groups"]
    assert (web_group["patch_group"], web_group["baseline_id"], web_group["instances"],
            web_group["instances_with_missing"], web_group["compliant_instances"],
            web_group["non_compliant_instances"], web_group["oldest_operation_end_time"],
            web_group["newest_operation_end_time"]) == (
        "Web", "pb-0123456789abcdef0", 2, 1, 1, 1, "2024-11-12T02:20:00Z", "2024-11-13T00:00:00Z")
    # A group with a baseline per OS has no single baseline_id, but lists both.
    assert db_group["baseline_id"] is None
    assert [b["operating_system"] for b in db_group["baselines"]] == ["REDHAT_ENTERPRISE_LINUX", "WINDOWS"]
    summary = answer["summary"]
    assert (summary["patch_groups"], summary["instances"], summary["compliant_instances"],
            summary["non_compliant_instances"], summary["compliance_percent"]) == (2, 4, 1, 3, 25.0)
    assert summary["non_compliant_instance_ids"] == ["i-0000000000000000b", "i-0000000000000000c",
                                                     "mi-0123456789abcdef0"]
    assert (summary["missing"], summary["failed"], summary["installed"], summary["installed_pending_reboot"]) == (
        2, 1, 12, 1)
    assert summary["operations"] == {"Install": 1, "Scan": 3}


def test_empty_report_has_no_percentage():
    answer = C.report(["Nobody"], {}, [], [[]], [])
    assert answer["groups"][0]["instances"] == 0 and answer["groups"][0]["baselines"] == []
    assert answer["summary"]["compliance_percent"] is None and answer["instances"] == []


def test_filters_become_api_filters_and_apply_locally_alike():
    filters = C.check_filters([{"key": "missing", "type": "GreaterThan", "value": 1}])
    assert C.api_filters(filters) == [{"Key": "MissingCount", "Type": "GreaterThan", "Values": ["1"]}]
    records = [C.instance_record(state(f"i-000000000000000{n}a", MissingCount=n)) for n in range(4)]
    assert [r["missing"] for r in records if C.matches(r, filters)] == [2, 3]
    assert C.matches(records[0], C.check_filters([{"key": "failed", "value": 0}]))  # type defaults to Equal


@pytest.mark.parametrize("filters, message", [
    ([{"key": "colour", "value": 1}], "filters[0].key: 'colour' is not one of installed"),
    ([{"key": "missing", "type": "Greater", "value": 1}], "filters[0].type: 'Greater' is not one of"),
    ([{"key": "missing", "value": -1}], "filters[0].value: must be an integer of at least 0"),
    ([{"key": "missing", "value": True}], "filters[0].value"),
    ([{"key": "missing", "value": 0}] * 5, "at most 4 filters"),
])
def test_bad_filters_are_refused_naming_the_field(filters, message):
    with pytest.raises(C.ComplianceInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        C.check_filters(filters)


@pytest.mark.parametrize("name, ok", [("Prod-Linux", True), ("Patch Group: web/ä=1+@_.", True), ("", False),
                                      ("x" * 257, False), ("bad;name", False), ("{{ lookup('pipe','id') }}", False)])
def test_patch_group_names_follow_aws_pattern(name, ok):
    if ok:
        assert C.check_patch_group(name, "patch_groups[0]") == name
    else:
        with pytest.raises(C.ComplianceInputError, match=r"patch_groups\[0\]: .* is not a patch group name"):
            C.check_patch_group(name, "patch_groups[0]")


@pytest.mark.parametrize("value, ok", [("i-0123456789abcdef0", True), ("i-01234567", True),
                                       ("mi-0123456789abcdef0", True), ("i-123", False), ("web-1", False)])
def test_instance_ids_follow_aws_pattern(value, ok):
    if ok:
        assert C.check_instance_id(value, "instance_ids[0]") == value
    else:
        with pytest.raises(C.ComplianceInputError, match=r"instance_ids\[0\]"):
            C.check_instance_id(value, "instance_ids[0]")
