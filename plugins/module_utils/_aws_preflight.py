# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Read what preflight needs from EC2, Resource Groups, SSM, IAM and STS; never write.

Calls are batched across every window checked: one filtered DescribeInstances per set of tag
filter names (values merged, the answer split by tags here), then DescribeInstanceInformation with up to 100 instance IDs per filter and
DescribeInstancePatchStates with 50, one DescribePatchGroups listing, one GetRole and one
SimulatePrincipalPolicy per role and resource, one PassRole simulation for all roles. Nothing is
asked per instance. Errors follow ``_ssm``'s style: an error handler outermost, retries inside,
paginators through a retried helper.
"""

from __future__ import annotations

import fnmatch
import json
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from . import _preflight as P

RETRY = AWSRetry.jittered_backoff(retries=10, delay=1, max_delay=20,
                                  catch_extra_error_codes=["ThrottlingException", "Throttling", "TooManyRequestsException"])
INFO_BATCH = 100   # values per DescribeInstanceInformation filter
STATE_BATCH = 50   # InstanceIds per DescribeInstancePatchStates
EC2_BATCH = 200    # values per DescribeInstances filter
LIVE_STATES = ["pending", "running", "stopping", "stopped"]

Doc = dict[str, Any]


class AnsiblePreflightError(AnsibleAWSError):
    pass


class PreflightErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsiblePreflightError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code(["NoSuchEntity", "NotFoundException", "DoesNotExistException"])


def chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


@RETRY
def _paginate(client, operation: str, result_key: str, **params) -> list[Doc]:
    return client.get_paginator(operation).paginate(**params).build_full_result().get(result_key, [])


# ----------------------------------------------------------------------------- EC2, Resource Groups

@PreflightErrorHandler.list_error_handler("describe EC2 instances", [])
def describe_instances(ec2, filters: list[Doc]) -> list[Doc]:
    reservations = _paginate(ec2, "describe_instances", "Reservations",
                             Filters=filters + [{"Name": "instance-state-name", "Values": LIVE_STATES}],
                             PaginationConfig={"PageSize": 1000})
    return [i for r in reservations for i in r.get("Instances", [])]


@PreflightErrorHandler.list_error_handler("list resource group resources")
def group_instance_ids(groups, name: str, type_filters: list[str]) -> list[str] | None:
    """EC2 instance IDs in a resource group (None when the group does not exist)."""
    if type_filters and not {"AWS::EC2::Instance", "AWS::AllSupported"} & set(type_filters):
        return []
    found = _paginate(groups, "list_group_resources", "ResourceIdentifiers", Group=name,
                      Filters=[{"Name": "resource-type", "Values": ["AWS::EC2::Instance"]}])
    return sorted(x["ResourceArn"].rsplit("/", 1)[-1] for x in found if x.get("ResourceType") == "AWS::EC2::Instance")


def ec2_filters(entries: Sequence[Mapping[str, Any]]) -> list[Doc] | None:
    """EC2 filters for tag targets (entries AND together); None when not tag-based."""
    filters = []
    for entry in entries:
        key, values = str(entry.get("key")), [str(v) for v in entry.get("values") or []]
        if key.startswith("tag:"):
            filters.append({"Name": key, "Values": values})
        elif key == "tag-key":
            filters.append({"Name": "tag-key", "Values": values})
        else:
            return None
    return filters


# ----------------------------------------------------------------------------- SSM

@PreflightErrorHandler.list_error_handler("describe instance information", [])
def instance_information(ssm, instance_ids: Sequence[str]) -> list[Doc]:
    found = []
    for batch in chunks(sorted(set(instance_ids)), INFO_BATCH):
        found += _paginate(ssm, "describe_instance_information", "InstanceInformationList",
                           Filters=[{"Key": "InstanceIds", "Values": batch}], PaginationConfig={"PageSize": 50})
    return found


@PreflightErrorHandler.list_error_handler("describe instance patch states", [])
def patch_states(ssm, instance_ids: Sequence[str]) -> list[Doc]:
    found = []
    for batch in chunks(sorted(set(instance_ids)), STATE_BATCH):
        found += _paginate(ssm, "describe_instance_patch_states", "InstancePatchStates", InstanceIds=batch,
                           PaginationConfig={"PageSize": 100})
    return found


@PreflightErrorHandler.list_error_handler("describe patch groups", [])
def patch_groups(ssm) -> dict[str, dict[str, str]]:
    registered: dict[str, dict[str, str]] = {}
    for mapping in _paginate(ssm, "describe_patch_groups", "Mappings", PaginationConfig={"PageSize": 100}):
        identity = mapping.get("BaselineIdentity") or {}
        registered.setdefault(mapping["PatchGroup"], {})[identity.get("OperatingSystem", "")] = identity.get("BaselineId", "")
    return registered


# ----------------------------------------------------------------------------- IAM, STS

@PreflightErrorHandler.common_error_handler("get caller identity")
@RETRY
def caller_identity(sts) -> Doc:
    return sts.get_caller_identity()


@PreflightErrorHandler.list_error_handler("get IAM role")
@RETRY
def get_role(iam, role_name: str) -> Doc | None:
    return iam.get_role(RoleName=role_name)["Role"]


@PreflightErrorHandler.common_error_handler("simulate principal policy")
def simulate(iam, source_arn: str, actions: list[str], resources: list[str],
             context: list[Doc] | None = None) -> dict[tuple[str, str], str]:
    params: Doc = dict(PolicySourceArn=source_arn, ActionNames=actions, ResourceArns=resources)
    if context:
        params["ContextEntries"] = context
    results = _paginate(iam, "simulate_principal_policy", "EvaluationResults", **params)
    return {(r["EvalActionName"], r.get("EvalResourceName", "*")): r["EvalDecision"] for r in results}


def trusts_service(document: Any, service: str = "ssm.amazonaws.com") -> bool:
    """Does a role trust policy let ``service`` call sts:AssumeRole?"""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    statements = (document or {}).get("Statement") or []
    for statement in statements if isinstance(statements, list) else [statements]:
        principals = (statement.get("Principal") or {})
        services = principals.get("Service", []) if isinstance(principals, dict) else []
        actions = statement.get("Action") or []
        actions = actions if isinstance(actions, list) else [actions]
        services = services if isinstance(services, list) else [services]
        if statement.get("Effect") == "Allow" and service in services and \
                any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            return True
    return False


def principal_arn(caller_arn: str, iam) -> str | None:
    """The IAM ARN to simulate for the caller (an assumed role becomes its role); None for root."""
    if caller_arn.endswith(":root"):
        return None
    if ":assumed-role/" in caller_arn:
        role = get_role(iam, caller_arn.split(":assumed-role/", 1)[1].split("/")[0])
        return role["Arn"] if role else caller_arn
    return caller_arn


def role_facts(iam, caller_arn: str | None, needs: Mapping[str, set[tuple[str, str]]]) -> dict[str, P.RoleFacts]:
    """What IAM says about each role (``needs``: role ARN -> (action, resource) pairs)."""
    out: dict[str, P.RoleFacts] = {}
    for arn, pairs in needs.items():
        facts = out[arn] = P.RoleFacts(arn)
        try:
            role = get_role(iam, arn.rsplit("/", 1)[-1])
            facts.exists = role is not None
            if role is None:
                continue
            facts.trusts_ssm = trusts_service(role.get("AssumeRolePolicyDocument"))
            for resource in sorted({pair[1] for pair in pairs}):
                facts.decisions.update(simulate(iam, role["Arn"], sorted({a for a, r in pairs if r == resource}),
                                                [resource]))
        except AnsiblePreflightError as e:
            facts.error = str(e)
    custom = [a for a, f in out.items() if f.exists and P.SERVICE_LINKED_ROLE not in a]
    if not custom or not caller_arn:
        return out
    try:
        source = principal_arn(caller_arn, iam)
        if source is None:
            decisions = {("iam:PassRole", a): "allowed" for a in custom}
        else:
            decisions = simulate(iam, source, ["iam:PassRole"], custom, [{
                "ContextKeyName": "iam:PassedToService", "ContextKeyValues": ["ssm.amazonaws.com"],
                "ContextKeyType": "string"}])
        for arn in custom:
            out[arn].pass_role = decisions.get(("iam:PassRole", arn))
    except AnsiblePreflightError as e:
        for arn in custom:
            out[arn].pass_role = f"not verified: {e}"[:300]
    return out


# ----------------------------------------------------------------------------- gathering

def _tags(instance: Mapping[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in instance.get("Tags") or []}


def tags_match(tags: Mapping[str, str], filters: Sequence[Mapping[str, Any]]) -> bool:
    """Does an instance with these tags pass these EC2 tag filters (AND across filters)?"""
    for flt in filters:
        values = flt["Values"]
        if flt["Name"] == "tag-key":
            if not any(fnmatch.fnmatchcase(k, v) for k in tags for v in values):
                return False
        elif flt["Name"][4:] not in tags or not any(fnmatch.fnmatchcase(tags[flt["Name"][4:]], v) for v in values):
            return False
    return True


def _describe_tag_selectors(ec2, selectors: list[list[Doc]], tags: dict[str, dict[str, str]]) -> list[list[str]]:
    """Instance IDs per tag selector. Selectors using the same filter names share one call (values
    merged, results split here), so 50 windows targeting tag:Group=g-NN cost one DescribeInstances."""
    results: list[list[str]] = [[] for dummy in selectors]
    groups: dict[tuple[str, ...], list[int]] = {}
    for index, filters in enumerate(selectors):
        groups.setdefault(tuple(sorted(f["Name"] for f in filters)), []).append(index)
    for names, members in groups.items():
        merged = {n: sorted({v for i in members for f in selectors[i] if f["Name"] == n for v in f["Values"]})
                  for n in names}
        batches = [members] if all(len(v) <= EC2_BATCH for v in merged.values()) else [[i] for i in members]
        for batch in batches:
            query = [{"Name": n, "Values": merged[n]} for n in names] if len(batch) > 1 else selectors[batch[0]]
            found = describe_instances(ec2, query)
            tags.update({i["InstanceId"]: _tags(i) for i in found})
            for index in batch:
                matching = [i["InstanceId"] for i in found if tags_match(tags[i["InstanceId"]], selectors[index])]
                results[index] = sorted(matching)
    return results


def resolve_targets(clients: Callable[[str], Any], windows: Sequence[Doc]
                    ) -> tuple[list[dict[str, list[str]]], list[dict[str, str]], dict[str, dict[str, str]]]:
    """Per window: target key -> instance IDs, target key -> error; plus instance ID -> EC2 tags."""
    tags: dict[str, dict[str, str]] = {}
    per_window: list[dict[str, list[str]]] = [{} for dummy in windows]
    errors: list[dict[str, str]] = [{} for dummy in windows]
    selectors: list[list[Doc]] = []
    places: list[tuple[int, str]] = []
    for number, window in enumerate(windows):
        resolved, problems = per_window[number], errors[number]
        for target in window.get("targets") or []:
            key, entries = P.target_key(target), target.get("targets") or []
            by_key = {str(e.get("key")): [str(v) for v in e.get("values") or []] for e in entries}
            resolved[key] = []
            if "InstanceIds" in by_key:
                resolved[key] = by_key["InstanceIds"]
            elif "resource-groups:Name" in by_key:
                name = (by_key["resource-groups:Name"] or [""])[0]
                ids = group_instance_ids(clients("resource-groups"), name,
                                         by_key.get("resource-groups:ResourceTypeFilters") or [])
                if ids is None:
                    problems[key] = f"resource group {name!r} does not exist"
                resolved[key] = ids or []
            elif ec2_filters(entries) is None:
                problems[key] = f"target keys {sorted(by_key)} cannot be resolved before the window runs"
            else:
                selectors.append(ec2_filters(entries))
                places.append((number, key))
    if selectors:
        for (number, key), ids in zip(places, _describe_tag_selectors(clients("ec2"), selectors, tags)):
            per_window[number][key] = ids
    untagged = sorted({i for r in per_window for ids in r.values() for i in ids
                       if i not in tags and i.startswith("i-")})
    for batch in chunks(untagged, EC2_BATCH):
        tags.update({i["InstanceId"]: _tags(i) for i in describe_instances(
            clients("ec2"), [{"Name": "instance-id", "Values": batch}])})
    return per_window, errors, tags


def gather(clients: Callable[[str], Any], windows: Sequence[Doc], region: str, check_role: bool = True,
           history: Sequence[tuple[str, list[Doc]]] = (), estimates: Mapping[str, Any] | None = None,
           margin: float = P.DEFAULT_MARGIN) -> tuple[list[P.Facts], str, str]:
    """Facts for every window, read with as few calls as the APIs allow. Returns (facts, account, partition)."""
    targets, errors, tags = resolve_targets(clients, windows)
    all_ids = sorted({i for r in targets for ids in r.values() for i in ids})
    for window in windows:  # task-level InstanceIds (windows that allow unassociated targets)
        for task in window.get("tasks") or []:
            all_ids += [str(v) for e in task.get("targets") or [] if e.get("key") == "InstanceIds"
                        for v in e.get("values") or [] if str(v) not in all_ids]
    ssm = clients("ssm")
    info = {i["InstanceId"]: i for i in instance_information(ssm, all_ids)} if all_ids else {}
    states = {s["InstanceId"]: s for s in patch_states(ssm, sorted(info))} if info else {}
    instances = {}
    for instance_id in all_ids:
        seen = info.get(instance_id) or {}
        instances[instance_id] = P.Instance(
            instance_id, tags.get(instance_id, {}), managed=bool(seen), ping_status=seen.get("PingStatus"),
            platform_type=seen.get("PlatformType"), platform_name=seen.get("PlatformName"),
            platform_version=seen.get("PlatformVersion"),
            pending_reboot=int((states.get(instance_id) or {}).get("InstalledPendingRebootCount") or 0))
    needs_groups = any(P.is_patch_task(t) for w in windows for t in w.get("tasks") or [])
    registered = patch_groups(ssm) if needs_groups else {}
    account, partition, caller, roles = "", "aws", None, None
    if check_role:
        identity = caller_identity(clients("sts"))
        account, caller = identity["Account"], identity["Arn"]
        partition = caller.split(":")[1]
        needs: dict[str, set[tuple[str, str]]] = {}
        for window in windows:
            for task in window.get("tasks") or []:
                arn = P.role_for_task(task, account, partition)
                needs.setdefault(arn, set()).update(P.required_actions(task, window, region, account, partition))
        roles = role_facts(clients("iam"), caller, needs) if needs else {}
    facts = [P.Facts(window=w, target_instances=targets[n], target_errors=errors[n],
                     instances={i: instances[i] for ids in targets[n].values() for i in ids} | {
                         i: instances[i] for t in w.get("tasks") or [] for e in t.get("targets") or []
                         if e.get("key") == "InstanceIds" for i in e.get("values") or [] if i in instances},
                     patch_groups=registered, roles=roles, caller_arn=caller, history=list(history),
                     estimates=dict(estimates or {}), margin=margin)
             for n, w in enumerate(windows)]
    return facts, account, partition
