"""Patch compliance the sandbox serves: seeded patch states per node, read through SSM's APIs.

AWS learns a node's patch state from the SSM agent after each ``AWS-RunPatchBaseline`` Scan or
Install; the sandbox has no agent, so tests seed the states through a control endpoint::

    POST /mwsandbox/patch-states
    {"states": [{"InstanceId": "i-0abc...", "PatchGroup": "Prod-Linux", "BaselineId": "pb-0123...",
                 "Operation": "Install", "OperationStartTime": "2024-11-12T02:00:00Z",
                 "OperationEndTime": "2024-11-12T02:20:00Z", "InstalledCount": 40, "MissingCount": 2,
                 "RebootOption": "RebootIfNeeded"}],
     "remove": ["i-0def..."], "region": "us-east-1"}
    GET  /mwsandbox/patch-states            -> {"states": [InstancePatchState, ...]}

Each state has AWS's ``InstancePatchState`` shape (every member optional but ``InstanceId``; counts
default to 0). One store: the state is the ``patch_state`` of the node's record in the managed-node
registry (``_managed_ext``; a node not registered yet is registered with the defaults, as a node
that reports patches is a managed node). Three SSM operations read it:
- ``DescribeInstancePatchStates`` (``_preflight_ext`` shapes its answer with ``instance_patch_state``);
- ``DescribeInstancePatchStatesForPatchGroup``: the states of one patch group, with AWS's
  ``InstancePatchStateFilter`` keys and comparisons (at most 4 filters, one integer value each);
- ``DescribePatchGroupState``: per patch group, how many nodes have at least one patch of each kind.

A state without ``PatchGroup`` takes the node's ``Patch Group`` (or ``PatchGroup``) tag, as the agent
reports the tag it found at the time of the operation.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from moto.core.responses import ActionResult
from moto.ssm.exceptions import ValidationException
from moto.ssm.responses import SimpleSystemManagerResponse

from . import _managed_ext

COUNT_FIELDS = ("InstalledCount", "InstalledOtherCount", "InstalledPendingRebootCount", "InstalledRejectedCount",
                "MissingCount", "FailedCount", "UnreportedNotApplicableCount", "NotApplicableCount",
                "AvailableSecurityUpdateCount", "CriticalNonCompliantCount", "SecurityNonCompliantCount",
                "OtherNonCompliantCount")
TEXT_FIELDS = ("PatchGroup", "BaselineId", "SnapshotId", "InstallOverrideList", "OwnerInformation")
TIME_FIELDS = ("OperationStartTime", "OperationEndTime", "LastNoRebootInstallOperationTime")
OPERATIONS = ("Scan", "Install")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")
DEFAULT_BASELINE = "pb-00000000000000000"
# AWS's InstancePatchStateFilter keys (API reference, InstancePatchStateFilter).
FILTER_KEYS = ("InstalledCount", "InstalledOtherCount", "InstalledPendingRebootCount", "InstalledRejectedCount",
               "MissingCount", "FailedCount", "UnreportedNotApplicableCount", "NotApplicableCount")
COMPARISONS: Dict[str, Callable[[int, int], bool]] = {
    "Equal": lambda a, b: a == b, "NotEqual": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
}
# DescribePatchGroupState member -> the state count that puts a node into it.
GROUP_COUNTS = {
    "InstancesWithInstalledPatches": "InstalledCount",
    "InstancesWithInstalledOtherPatches": "InstalledOtherCount",
    "InstancesWithInstalledPendingRebootPatches": "InstalledPendingRebootCount",
    "InstancesWithInstalledRejectedPatches": "InstalledRejectedCount",
    "InstancesWithMissingPatches": "MissingCount",
    "InstancesWithFailedPatches": "FailedCount",
    "InstancesWithNotApplicablePatches": "NotApplicableCount",
    "InstancesWithUnreportedNotApplicablePatches": "UnreportedNotApplicableCount",
    "InstancesWithCriticalNonCompliantPatches": "CriticalNonCompliantCount",
    "InstancesWithSecurityNonCompliantPatches": "SecurityNonCompliantCount",
    "InstancesWithOtherNonCompliantPatches": "OtherNonCompliantCount",
    "InstancesWithAvailableSecurityUpdates": "AvailableSecurityUpdateCount",
}
PATCH_GROUP_TAGS = ("Patch Group", "PatchGroup")
BODY_KEYS = ("states", "remove", "account", "account_id", "region")


class PatchStateError(ValueError):
    """A seeded state the sandbox refuses; the message names the field and the rule."""


def _epoch(value: Any, field: str) -> float:
    if isinstance(value, bool):
        raise PatchStateError(f"{field} must be an ISO-8601 instant or epoch seconds, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise PatchStateError(f"{field} must be an ISO-8601 instant such as 2024-11-12T02:00:00Z, "
                                  f"got {value!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.timezone.utc)
        return moment.timestamp()
    raise PatchStateError(f"{field} must be an ISO-8601 instant or epoch seconds, got {value!r}")


def checked_state(item: Any, field: str) -> Dict[str, Any]:
    """A validated state as stored (unknown members and wrong types refused)."""
    if not isinstance(item, Mapping):
        raise PatchStateError(f"{field} must be an object in InstancePatchState's shape")
    known = ("InstanceId", "Operation", "RebootOption") + COUNT_FIELDS + TEXT_FIELDS + TIME_FIELDS
    unknown = sorted(set(item) - set(known))
    if unknown:
        raise PatchStateError(f"{field} has unknown members {', '.join(unknown)}; InstancePatchState has "
                              f"{', '.join(known)}")
    state: Dict[str, Any] = {"InstanceId": _managed_ext._checked_id(item.get("InstanceId"), f"{field}.InstanceId")}
    for name in COUNT_FIELDS:
        value = item.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PatchStateError(f"{field}.{name} must be an integer of at least 0, got {value!r}")
        state[name] = value
    for name in TEXT_FIELDS:
        if name in item:
            if not isinstance(item[name], str):
                raise PatchStateError(f"{field}.{name} must be a string, got {item[name]!r}")
            state[name] = item[name]
    for name in TIME_FIELDS:
        if item.get(name) is not None:
            state[name] = _epoch(item[name], f"{field}.{name}")
    for name, allowed in (("Operation", OPERATIONS), ("RebootOption", REBOOT_OPTIONS)):
        if name in item:
            if item[name] not in allowed:
                raise PatchStateError(f"{field}.{name} must be one of {', '.join(allowed)}, got {item[name]!r}")
            state[name] = item[name]
    return state


def _node_tags(backend: Any, instance_id: str, node: Mapping[str, Any]) -> Mapping[str, str]:
    if instance_id.startswith(_managed_ext.MANAGED_INSTANCE_PREFIX):
        return node.get("tags") or {}
    from moto.ec2.models import ec2_backends  # pylint: disable=import-outside-toplevel

    return ec2_backends[backend.account_id][backend.region_name].tags.get(instance_id, {})


def instance_patch_state(backend: Any, instance_id: str, node: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The InstancePatchState SSM answers for a registered node, or None when it reported none."""
    state = node.get("patch_state")
    if not state:
        return None
    tags = _node_tags(backend, instance_id, node)
    group = state.get("PatchGroup")
    if group is None:
        group = next((tags[k] for k in PATCH_GROUP_TAGS if k in tags), "")
    answer = {"InstanceId": instance_id, "PatchGroup": group, "BaselineId": state.get("BaselineId", DEFAULT_BASELINE),
              "OperationStartTime": state.get("OperationStartTime", 0), "OperationEndTime": state.get("OperationEndTime", 0),
              "Operation": state.get("Operation", "Scan")}
    answer.update({k: state.get(k, 0) for k in COUNT_FIELDS})
    answer.update({k: state[k] for k in ("SnapshotId", "InstallOverrideList", "OwnerInformation", "RebootOption",
                                         "LastNoRebootInstallOperationTime") if k in state})
    return answer


def states(backend: Any) -> List[Dict[str, Any]]:
    """Every node's answer, by instance ID."""
    found = (instance_patch_state(backend, i, n) for i, n in sorted(_managed_ext.nodes(backend).items()))
    return [s for s in found if s is not None]


def seed(backend: Any, body: Mapping[str, Any]) -> Dict[str, Any]:
    """Apply a POST body; all or nothing."""
    unknown = sorted(set(body) - set(BODY_KEYS))
    if unknown:
        raise PatchStateError(f"unknown fields {', '.join(unknown)}; known: {', '.join(BODY_KEYS)}")
    items = body.get("states") or []
    if not isinstance(items, list):
        raise PatchStateError("states must be a list of InstancePatchState objects")
    seeded = [checked_state(item, f"states[{n}]") for n, item in enumerate(items)]
    removed = [_managed_ext._checked_id(i, f"remove[{n}]") for n, i in enumerate(body.get("remove") or [])]
    if not seeded and not removed:
        raise PatchStateError("nothing to do: give states or remove")
    registry = _managed_ext.nodes(backend)
    for state in seeded:
        instance_id = state.pop("InstanceId")
        node = registry.get(instance_id) or _managed_ext.node_record({"instance_id": instance_id})
        registry[instance_id] = {**node, "patch_state": state}
    for instance_id in removed:
        if instance_id in registry:
            registry[instance_id] = {**registry[instance_id], "patch_state": None}
    return {"states": states(backend), "removed": removed}


def control(method: str, body: Dict[str, Any]) -> Tuple[Any, str]:
    """``GET /mwsandbox/patch-states`` lists the answers; ``POST`` seeds (see ``seed``)."""
    backend = _managed_ext._backend(body)
    if method == "GET":
        return {"states": states(backend)}, "200 OK"
    if method != "POST":
        return {"error": f"/mwsandbox/patch-states takes GET or POST, not {method}"}, "405 Method Not Allowed"
    try:
        return seed(backend, body), "200 OK"
    except (PatchStateError, _managed_ext.RegistryError) as exc:
        return {"error": str(exc)}, "400 Bad Request"


# --------------------------------------------------------------------------- SSM


def _matches(state: Mapping[str, Any], filters: List[Mapping[str, Any]]) -> bool:
    return all(COMPARISONS[f["Type"]](state[f["Key"]], int(f["Values"][0])) for f in filters)


def _checked_filters(filters: Any) -> List[Mapping[str, Any]]:
    for n, flt in enumerate(filters or []):
        key, values = flt.get("Key"), flt.get("Values") or []
        if key not in FILTER_KEYS:
            raise ValidationException(f"Filters[{n}].Key {key!r} is not valid; supported keys: {', '.join(FILTER_KEYS)}")
        if len(values) != 1 or not str(values[0]).isdigit():
            raise ValidationException(f"Filters[{n}].Values must hold one integer greater than or equal to 0")
        if flt.get("Type") not in COMPARISONS:
            raise ValidationException(f"Filters[{n}].Type must be one of {', '.join(COMPARISONS)}")
    return list(filters or [])


def describe_instance_patch_states_for_patch_group(self: SimpleSystemManagerResponse) -> ActionResult:
    from ._preflight_ext import _page  # pylint: disable=import-outside-toplevel

    params = json.loads(self.body or "{}")
    filters = _checked_filters(params.get("Filters"))
    group = params.get("PatchGroup")
    found = [s for s in states(self.ssm_backend) if s["PatchGroup"] == group and _matches(s, filters)]
    page, token = _page(found, params.get("NextToken"), int(params.get("MaxResults") or 10))
    return ActionResult({"InstancePatchStates": page, **({"NextToken": token} if token else {})})


def describe_patch_group_state(self: SimpleSystemManagerResponse) -> ActionResult:
    params = json.loads(self.body or "{}")
    group = [s for s in states(self.ssm_backend) if s["PatchGroup"] == params.get("PatchGroup")]
    answer = {"Instances": len(group)}
    answer.update({member: sum(1 for s in group if s[count] > 0) for member, count in GROUP_COUNTS.items()})
    return ActionResult(answer)


SSM_HANDLERS = {f.__name__: f for f in (describe_instance_patch_states_for_patch_group, describe_patch_group_state)}


def install(controls: Optional[Dict[str, Callable[[str, Dict[str, Any]], Tuple[Any, str]]]] = None) -> None:
    """Patch moto's SSM responses and register the control endpoint (idempotent)."""
    for name, handler in SSM_HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, handler)
    if controls is not None:
        controls["patch-states"] = control
