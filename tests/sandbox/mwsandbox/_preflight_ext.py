"""What preflight reads, served by the sandbox (moto lacks these or gets them wrong).

- SSM ``DescribeInstanceInformation``: the nodes of the managed-node registry (``_managed_ext``,
  ``POST /mwsandbox/managed-instances``; moto has no SSM agent); ``Filters`` and
  ``InstanceInformationFilterList`` with the keys InstanceIds, PingStatus, PlatformTypes,
  ResourceType; pages of at most ``MaxResults`` (5-50).
- SSM ``DescribeInstancePatchStates``: the ``patch_state`` registered with a node (InstanceIds <= 50),
  shaped by ``_patch_state_ext`` (which also serves the patch-group reads and seeds states).
- SSM ``DescribePatchGroups``: the registrations made with RegisterPatchBaselineForPatchGroup, served
  by ``_patch_ext`` (the one place that keeps them).
- Resource Groups ``ListGroupResources``: a ``TAG_FILTERS_1_0`` group's EC2 instances, evaluated
  against moto's EC2 tags (moto raises NotImplementedError).
- IAM ``SimulatePrincipalPolicy``: a small evaluator over the identity's inline, attached and
  group policies: Allow/Deny, Action/NotAction, Resource/NotResource with ``*``/``?`` wildcards,
  and the StringEquals/StringLike (and ForAnyValue:) conditions on the given context entries.
  An explicit Deny wins, then an Allow, else ``implicitDeny``. No permission boundaries, SCPs
  or resource policies.

State lives on moto's backends (``__dict__``), so ``/moto-api/reset`` wipes it.
"""

from __future__ import annotations

import base64
import fnmatch
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from moto.core.responses import ActionResult
from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse
from moto.resourcegroups.responses import ResourceGroupsResponse
from moto.ssm.exceptions import ValidationException
from moto.ssm.responses import SimpleSystemManagerResponse

from . import _managed_ext, _patch_state_ext
from ._patch_ext import describe_patch_groups

INFO_FILTER_KEYS = ("InstanceIds", "PingStatus", "PlatformTypes", "ResourceType")


# --------------------------------------------------------------------------- SSM


def _page(items: List[Any], token: Optional[str], size: int) -> Tuple[List[Any], Optional[str]]:
    start = 0
    if token:
        try:
            start = int(json.loads(base64.b64decode(token.encode()).decode())["offset"])
        except (ValueError, KeyError, TypeError):
            raise ValidationException("The specified token is invalid: %s" % token) from None
    end = start + size
    next_token = base64.b64encode(json.dumps({"offset": end}).encode()).decode() if end < len(items) else None
    return items[start:end], next_token


def _info(node: Mapping[str, Any]) -> Dict[str, Any]:
    """A registry record as DescribeInstanceInformation lists it."""
    instance_id = node["instance_id"]
    managed = instance_id.startswith(_managed_ext.MANAGED_INSTANCE_PREFIX)
    return {"InstanceId": instance_id, "PingStatus": node["ping_status"], "PlatformType": node["platform_type"],
            "PlatformName": node["platform_name"], "PlatformVersion": node["platform_version"],
            "AgentVersion": node["agent_version"], "IsLatestVersion": True,
            "ResourceType": "ManagedInstance" if managed else "EC2Instance"}


def describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    params = json.loads(self.body or "{}")
    wanted: Dict[str, List[str]] = {}
    for flt in (params.get("Filters") or []) + (params.get("InstanceInformationFilterList") or []):
        key = flt.get("Key") or flt.get("key")
        values = flt.get("Values") or flt.get("valueSet") or []
        if key not in INFO_FILTER_KEYS:
            raise ValidationException("Invalid filter key %s; the sandbox supports %s" % (key, ", ".join(INFO_FILTER_KEYS)))
        wanted.setdefault(key, []).extend(values)
    field_of = {"InstanceIds": "InstanceId", "PingStatus": "PingStatus", "PlatformTypes": "PlatformType",
                "ResourceType": "ResourceType"}
    infos = [_info(n) for n in _managed_ext.nodes(self.ssm_backend).values()]
    infos = [i for i in infos if all(i[field_of[k]] in v for k, v in wanted.items())]
    page, token = _page(sorted(infos, key=lambda i: i["InstanceId"]), params.get("NextToken"),
                        int(params.get("MaxResults") or 10))
    return ActionResult({"InstanceInformationList": page, **({"NextToken": token} if token else {})})


def describe_instance_patch_states(self: SimpleSystemManagerResponse) -> ActionResult:
    params = json.loads(self.body or "{}")
    ids = params.get("InstanceIds") or []
    if len(ids) > 50:
        raise ValidationException("1 validation error detected: Value at 'instanceIds' failed to satisfy constraint: "
                                  "Member must have length less than or equal to 50")
    nodes = _managed_ext.nodes(self.ssm_backend)
    # One store and one shape for every patch-state read (_patch_state_ext).
    found = (_patch_state_ext.instance_patch_state(self.ssm_backend, i, nodes.get(i) or {}) for i in ids)
    states = [s for s in found if s is not None]
    page, token = _page(states, params.get("NextToken"), int(params.get("MaxResults") or 10))
    return ActionResult({"InstancePatchStates": page, **({"NextToken": token} if token else {})})


# --------------------------------------------------------------------------- resource groups


def _group_instances(account: str, region: str, query: Mapping[str, Any]) -> List[str]:
    if query.get("Type") != "TAG_FILTERS_1_0":
        return []
    spec = json.loads(query.get("Query") or "{}")
    types = spec.get("ResourceTypeFilters") or ["AWS::AllSupported"]
    if not {"AWS::AllSupported", "AWS::EC2::Instance"} & set(types):
        return []
    ec2 = ec2_backends[account][region]
    found = []
    for instance in ec2.all_instances():
        if instance.state == "terminated":
            continue
        tags = ec2.tags.get(instance.id, {})
        if all(f.get("Key") in tags and (not f.get("Values") or tags[f["Key"]] in f["Values"])
               for f in spec.get("TagFilters") or []):
            found.append(instance.id)
    return sorted(found)


def list_group_resources(self: ResourceGroupsResponse) -> str:
    params = json.loads(self.body or "{}")
    name = str(params.get("Group") or params.get("GroupName") or "").rsplit("/", 1)[-1]
    group = self.resourcegroups_backend.get_group(name)  # NotFoundException when unknown
    arn = "arn:aws:ec2:%s:%s:instance/%%s" % (self.region, self.current_account)
    ids = _group_instances(self.current_account, self.region, group.resource_query)
    page, token = _page(ids, params.get("NextToken"), int(params.get("MaxResults") or 50))
    identifiers = [{"ResourceArn": arn % i, "ResourceType": "AWS::EC2::Instance"} for i in page]
    return json.dumps({"ResourceIdentifiers": identifiers, "Resources": [{"Identifier": x} for x in identifiers],
                       "NextToken": token, "QueryErrors": []})


# --------------------------------------------------------------------------- IAM simulation


def _as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


def _wild(pattern: str, value: str, case: bool = True) -> bool:
    pattern = pattern.replace("[", "[[]")
    return fnmatch.fnmatchcase(value, pattern) if case else fnmatch.fnmatchcase(value.lower(), pattern.lower())


def _conditions_hold(conditions: Mapping[str, Any], context: Mapping[str, List[str]]) -> bool:
    for operator, tests in (conditions or {}).items():
        base = operator.split(":")[-1].replace("IfExists", "")
        for key, expected in tests.items():
            actual = context.get(key.lower())
            if actual is None:
                if operator.endswith("IfExists"):
                    continue
                return False
            if base == "StringEquals":
                match = any(a in _as_list(expected) for a in actual)
            elif base == "StringLike":
                match = any(_wild(e, a) for e in _as_list(expected) for a in actual)
            elif base == "StringNotEquals":
                match = all(a not in _as_list(expected) for a in actual)
            else:
                return False  # an operator the sandbox does not evaluate never matches
            if not match:
                return False
    return True


def _statement_matches(statement: Mapping[str, Any], action: str, resource: str,
                       context: Mapping[str, List[str]]) -> bool:
    if "Action" in statement:
        action_ok = any(_wild(a, action, case=False) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(_wild(a, action, case=False) for a in _as_list(statement.get("NotAction", [])))
    if "Resource" in statement:
        resource_ok = any(_wild(r, resource) for r in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(_wild(r, resource) for r in _as_list(statement.get("NotResource", [])))
    return action_ok and resource_ok and _conditions_hold(statement.get("Condition") or {}, context)


def evaluate(documents: Sequence[Mapping[str, Any]], action: str, resource: str,
             context: Mapping[str, List[str]]) -> str:
    """``allowed``, ``explicitDeny`` or ``implicitDeny`` for one action on one resource."""
    allowed = False
    for document in documents:
        for statement in _as_list(document.get("Statement") or []):
            if _statement_matches(statement, action, resource, context):
                if statement.get("Effect") == "Deny":
                    return "explicitDeny"
                allowed = allowed or statement.get("Effect") == "Allow"
    return "allowed" if allowed else "implicitDeny"


def _document(policy: Any) -> Dict[str, Any]:
    if isinstance(policy, str):
        text = policy
    else:
        text = next(v.document for v in policy.versions if v.is_default)
    return json.loads(text) if isinstance(text, str) else dict(text)


def principal_documents(account: str, arn: str) -> List[Dict[str, Any]]:
    """Every identity policy of the role or user ``arn`` (NoSuchEntity when unknown)."""
    backend = iam_backends[account]["aws"]
    if ":role/" in arn:
        principal = backend.get_role_by_arn(arn)
        groups: List[Any] = []
    else:
        principal = backend.get_user(arn.rsplit("/", 1)[-1])
        groups = backend.get_groups_for_user(principal.name)
    docs = [_document(p) for p in principal.policies.values()]
    docs += [_document(p) for p in principal.managed_policies.values()]
    for group in groups:
        docs += [_document(p) for p in group.policies.values()] + [_document(p) for p in group.managed_policies.values()]
    return docs


def simulate_principal_policy(self: IamResponse) -> ActionResult:
    source = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames") or self._get_multi_param("ActionNames.member")
    resources = self._get_param("ResourceArns") or self._get_multi_param("ResourceArns.member") or ["*"]
    context: Dict[str, List[str]] = {}
    for entry in self._get_param("ContextEntries") or []:
        context[str(entry.get("ContextKeyName")).lower()] = [str(v) for v in entry.get("ContextKeyValues") or []]
    documents = principal_documents(self.current_account, source)
    results = [{"EvalActionName": action, "EvalResourceName": resource,
                "EvalDecision": evaluate(documents, action, resource, context),
                "MatchedStatements": [], "MissingContextValues": []}
               for action in actions for resource in resources]
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


# --------------------------------------------------------------------------- install

SSM_HANDLERS = {f.__name__: f for f in (describe_instance_information, describe_instance_patch_states,
                                        describe_patch_groups)}


def install() -> None:
    """Patch moto's response classes (idempotent)."""
    for name, handler in SSM_HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, handler)
    setattr(ResourceGroupsResponse, "list_group_resources", list_group_resources)
    setattr(IamResponse, "simulate_principal_policy", simulate_principal_policy)
    import moto.resourcegroups.urls as rg_urls  # pylint: disable=import-outside-toplevel

    rg_urls.url_paths.setdefault("{0}/list-group-resources$", ResourceGroupsResponse.dispatch)


__all__ = ["install", "evaluate"]
