# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Patch compliance shaped for a report: flat snake_case records per patch group and per node.

Pure: takes what SSM answers (``DescribePatchGroups`` mappings, ``DescribePatchGroupState`` and
``InstancePatchState`` records) and returns the ``groups``, ``instances`` and ``summary`` of
``patch_compliance_info``. Also validates the module's input (patch-group names, instance IDs,
filters) with AWS's patterns and limits, so bad input fails before any call.

A node is non-compliant when it has patches in a state AWS counts as non-compliant: missing,
failed, installed pending reboot, installed rejected, or the severity counts SSM computes from the
baseline's compliance levels (critical, security, other). See
https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-compliance-states.html
"""

from __future__ import annotations

import datetime
import re
import typing as t
import unicodedata

Doc = dict[str, t.Any]

# Vocabulary key -> InstancePatchState count (in the order a report shows them).
STATE_COUNTS: dict[str, str] = {
    "installed": "InstalledCount",
    "installed_other": "InstalledOtherCount",
    "installed_pending_reboot": "InstalledPendingRebootCount",
    "installed_rejected": "InstalledRejectedCount",
    "missing": "MissingCount",
    "failed": "FailedCount",
    "not_applicable": "NotApplicableCount",
    "unreported_not_applicable": "UnreportedNotApplicableCount",
    "available_security_updates": "AvailableSecurityUpdateCount",
    "critical_non_compliant": "CriticalNonCompliantCount",
    "security_non_compliant": "SecurityNonCompliantCount",
    "other_non_compliant": "OtherNonCompliantCount",
}
# Counts that make a node NON_COMPLIANT.
NON_COMPLIANT_COUNTS = ("missing", "failed", "installed_pending_reboot", "installed_rejected",
                        "critical_non_compliant", "security_non_compliant", "other_non_compliant")
# Vocabulary key -> DescribePatchGroupState member (nodes with at least one such patch).
GROUP_COUNTS: dict[str, str] = {
    "instances": "Instances",
    "instances_with_installed": "InstancesWithInstalledPatches",
    "instances_with_installed_other": "InstancesWithInstalledOtherPatches",
    "instances_with_installed_pending_reboot": "InstancesWithInstalledPendingRebootPatches",
    "instances_with_installed_rejected": "InstancesWithInstalledRejectedPatches",
    "instances_with_missing": "InstancesWithMissingPatches",
    "instances_with_failed": "InstancesWithFailedPatches",
    "instances_with_not_applicable": "InstancesWithNotApplicablePatches",
    "instances_with_unreported_not_applicable": "InstancesWithUnreportedNotApplicablePatches",
    "instances_with_critical_non_compliant": "InstancesWithCriticalNonCompliantPatches",
    "instances_with_security_non_compliant": "InstancesWithSecurityNonCompliantPatches",
    "instances_with_other_non_compliant": "InstancesWithOtherNonCompliantPatches",
    "instances_with_available_security_updates": "InstancesWithAvailableSecurityUpdates",
}
# InstancePatchStateFilter: the keys AWS accepts, in the vocabulary, and its comparisons.
FILTER_KEYS = ("installed", "installed_other", "installed_pending_reboot", "installed_rejected", "missing", "failed",
               "unreported_not_applicable", "not_applicable")
FILTER_TYPES = ("Equal", "NotEqual", "LessThan", "GreaterThan")
MAX_FILTERS = 4
INSTANCE_ID = re.compile(r"i-(\w{8}|\w{17})|mi-\w{17}")
PATCH_GROUP_MAX = 256
_PATCH_GROUP_PUNCTUATION = set("_.:/=+-@")


class ComplianceInputError(ValueError):
    """Input refused before any call; the message names the field and the rule."""


def _is_patch_group_char(char: str) -> bool:
    # AWS's pattern ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$: letters, separators, numbers and _.:/=+-@
    return char in _PATCH_GROUP_PUNCTUATION or unicodedata.category(char)[0] in "LZN"


def check_patch_group(name: t.Any, field: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= PATCH_GROUP_MAX or \
            not all(_is_patch_group_char(c) for c in name):
        raise ComplianceInputError(
            f"{field}: {name!r} is not a patch group name (1-{PATCH_GROUP_MAX} letters, numbers, spaces "
            "and _.:/=+-@)")
    return name


def check_instance_id(value: t.Any, field: str) -> str:
    if not isinstance(value, str) or not INSTANCE_ID.fullmatch(value):
        raise ComplianceInputError(f"{field}: {value!r} is not a managed node ID (i-... or mi-... with 17 characters)")
    return value


def check_filters(filters: t.Sequence[t.Mapping[str, t.Any]]) -> list[Doc]:
    """Validated filters in the vocabulary: ``[{key, type, value}]`` with an integer value >= 0."""
    if len(filters) > MAX_FILTERS:
        raise ComplianceInputError(f"filters: at most {MAX_FILTERS} filters (AWS's limit), got {len(filters)}")
    checked = []
    for n, flt in enumerate(filters):
        key, kind, value = flt.get("key"), flt.get("type", "Equal"), flt.get("value")
        if key not in FILTER_KEYS:
            raise ComplianceInputError(f"filters[{n}].key: {key!r} is not one of {', '.join(FILTER_KEYS)}")
        if kind not in FILTER_TYPES:
            raise ComplianceInputError(f"filters[{n}].type: {kind!r} is not one of {', '.join(FILTER_TYPES)}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ComplianceInputError(f"filters[{n}].value: must be an integer of at least 0, got {value!r}")
        checked.append({"key": key, "type": kind, "value": value})
    return checked


def api_filters(filters: t.Sequence[Doc]) -> list[Doc]:
    """The vocabulary's filters as DescribeInstancePatchStatesForPatchGroup's ``Filters``."""
    return [{"Key": STATE_COUNTS[f["key"]], "Type": f["type"], "Values": [str(f["value"])]} for f in filters]


_COMPARE: dict[str, t.Callable[[int, int], bool]] = {
    "Equal": lambda a, b: a == b, "NotEqual": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
}


def matches(record: t.Mapping[str, t.Any], filters: t.Sequence[Doc]) -> bool:
    """Whether an instance record passes every filter (the same test SSM applies to a group's nodes)."""
    return all(_COMPARE[f["type"]](int(record.get(f["key"]) or 0), f["value"]) for f in filters)


def iso_time(value: t.Any) -> str | None:
    """An API timestamp (datetime or epoch seconds) as ISO-8601 UTC with a Z, None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        value = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def instance_record(state: t.Mapping[str, t.Any]) -> Doc:
    """One InstancePatchState as a flat snake_case record, with its compliance."""
    record: Doc = {
        "instance_id": state.get("InstanceId"),
        "patch_group": state.get("PatchGroup") or "",
        "baseline_id": state.get("BaselineId"),
        "snapshot_id": state.get("SnapshotId"),
        "owner_information": state.get("OwnerInformation"),
        "install_override_list": state.get("InstallOverrideList"),
        "operation": state.get("Operation"),
        "operation_start_time": iso_time(state.get("OperationStartTime")),
        "operation_end_time": iso_time(state.get("OperationEndTime")),
        "last_no_reboot_install_operation_time": iso_time(state.get("LastNoRebootInstallOperationTime")),
        "reboot_option": state.get("RebootOption"),
    }
    record.update({key: int(state.get(api) or 0) for key, api in STATE_COUNTS.items()})
    non_compliant = any(record[k] for k in NON_COMPLIANT_COUNTS)
    record["compliance"] = "NON_COMPLIANT" if non_compliant else "COMPLIANT"
    return record


def group_baselines(mappings: t.Iterable[t.Mapping[str, t.Any]]) -> dict[str, list[Doc]]:
    """DescribePatchGroups mappings as ``{patch group: [{operating_system, baseline_id, baseline_name}]}``."""
    found: dict[str, list[Doc]] = {}
    for mapping in mappings:
        identity = mapping.get("BaselineIdentity") or {}
        found.setdefault(mapping.get("PatchGroup", ""), []).append({
            "operating_system": identity.get("OperatingSystem"), "baseline_id": identity.get("BaselineId"),
            "baseline_name": identity.get("BaselineName")})
    return {group: sorted(items, key=lambda b: (b["operating_system"] or "", b["baseline_id"] or ""))
            for group, items in found.items()}


def group_record(name: str, state: t.Mapping[str, t.Any], baselines: t.Sequence[Doc],
                 instances: t.Sequence[Doc]) -> Doc:
    """One patch group: SSM's counts, its baselines, and what its instance records add."""
    members = [i for i in instances if i["patch_group"] == name]
    ends = sorted(i["operation_end_time"] for i in members if i["operation_end_time"])
    record: Doc = {"patch_group": name,
                   "baseline_id": baselines[0]["baseline_id"] if len(baselines) == 1 else None,
                   "baselines": [dict(b) for b in baselines]}
    record.update({key: int(state.get(api) or 0) for key, api in GROUP_COUNTS.items()})
    record.update({
        "compliant_instances": sum(1 for i in members if i["compliance"] == "COMPLIANT"),
        "non_compliant_instances": sum(1 for i in members if i["compliance"] == "NON_COMPLIANT"),
        "oldest_operation_end_time": ends[0] if ends else None,
        "newest_operation_end_time": ends[-1] if ends else None,
    })
    return record


def summary(groups: t.Sequence[Doc], instances: t.Sequence[Doc]) -> Doc:
    """Totals over the instance records (each node once), for the head of a report."""
    non_compliant = sorted(i["instance_id"] for i in instances if i["compliance"] == "NON_COMPLIANT")
    ends = sorted(i["operation_end_time"] for i in instances if i["operation_end_time"])
    operations: dict[str, int] = {}
    for i in instances:
        if i["operation"]:
            operations[i["operation"]] = operations.get(i["operation"], 0) + 1
    total = len(instances)
    result: Doc = {
        "patch_groups": len(groups),
        "instances": total,
        "compliant_instances": total - len(non_compliant),
        "non_compliant_instances": len(non_compliant),
        "compliance_percent": round(100.0 * (total - len(non_compliant)) / total, 1) if total else None,
        "non_compliant_instance_ids": non_compliant,
        "operations": dict(sorted(operations.items())),
        "oldest_operation_end_time": ends[0] if ends else None,
        "newest_operation_end_time": ends[-1] if ends else None,
    }
    result.update({key: sum(i[key] for i in instances) for key in STATE_COUNTS})
    return result


def merge_instances(*batches: t.Iterable[t.Mapping[str, t.Any]]) -> list[Doc]:
    """Instance records from several reads, each node once, sorted by patch group then node ID."""
    seen: dict[str, Doc] = {}
    for batch in batches:
        for state in batch:
            seen.setdefault(state["InstanceId"], instance_record(state))
    return sorted(seen.values(), key=lambda r: (r["patch_group"], r["instance_id"]))


def report(group_names: t.Sequence[str], group_states: t.Mapping[str, t.Mapping[str, t.Any]],
           mappings: t.Iterable[t.Mapping[str, t.Any]], instance_states: t.Iterable[t.Iterable[t.Mapping[str, t.Any]]],
           filters: t.Sequence[Doc]) -> Doc:
    """The module's whole answer: ``groups``, ``instances`` (filtered) and ``summary``.

    A group's ``compliant_instances`` and ``non_compliant_instances`` count its listed (filtered)
    instance records; its ``instances*`` counts are SSM's, over all its nodes.
    """
    baselines = group_baselines(mappings)
    instances = [r for r in merge_instances(*instance_states) if matches(r, filters)]
    groups = [group_record(name, group_states.get(name) or {}, baselines.get(name, []), instances)
              for name in group_names]
    return {"groups": groups, "instances": instances, "summary": summary(groups, instances)}
