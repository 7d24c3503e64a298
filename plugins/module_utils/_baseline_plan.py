# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Plan the write calls that converge one patch baseline, its patch groups and the OS default.

Pure (no boto3): given what the user wants (the vocabulary) and what AWS has (``BaselineState``),
produce the ordered write requests, the fields that change and the predicted result, and check
every request against botocore's model and the documented cross-field rules before anything is
sent. A baseline that does not exist yet is a placeholder ID that passes the API pattern; the
executor swaps in the real ID once CreatePatchBaseline answers.
"""

from __future__ import annotations

import dataclasses
import typing as t

from . import _baseline_fields as B
from . import _baseline_rules as R
from . import _fields as F
from ._plan import DefinitionError
from ._plan import client_token
from ._plan import parameters_marker  # noqa: F401  pylint: disable=unused-import
from ._plan import token_seed

Doc = dict[str, t.Any]

NEW_BASELINE_ID = "pb-00000000000000000"
RESOURCE_TYPE = "PatchBaseline"
SCHEMA = F.schema_node(B.BASELINE)
_MEMBERS = frozenset(f.key for f in B.BASELINE)
_ID_PATHS = {"BaselineId": "baseline_id", "ResourceId": "baseline_id", "PatchGroup": "patch_groups",
             "TagKeys": "tags", "Tags": "tags"}


class BaselineError(DefinitionError):
    """The baseline definition breaks a rule; nothing has been written."""

    def __str__(self) -> str:
        lines = "\n".join(f"- {p}" for p in self.problems)
        return f"Invalid patch baseline definition, nothing was changed:\n{lines}"


@dataclasses.dataclass
class Op:
    """One write call; ``path`` is the vocabulary prefix that names its fields in errors."""

    operation: str
    request: Doc
    path: str = ""
    # CreatePatchBaseline: what its ClientToken is derived from (see ``create_token``).
    token_seed: Doc | None = None


@dataclasses.dataclass
class BaselineState:
    """What AWS has for one baseline (``api`` is GetPatchBaseline's answer, PatchGroups included)."""

    api: Doc
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    default_id: str | None = None  # the OS's default baseline now (None: not read)

    @property
    def baseline_id(self) -> str:
        return self.api["BaselineId"]

    @property
    def patch_groups(self) -> list[str]:
        return sorted(self.api.get("PatchGroups") or [])


@dataclasses.dataclass
class Request:
    """The module's options split into the baseline and what surrounds it."""

    baseline: Doc
    baseline_id: str | None = None
    patch_groups: list[str] | None = None
    default_for_os: bool | None = None
    tags: dict[str, t.Any] | None = None
    purge_tags: bool = True
    force: bool = False
    present: bool = True
    aws_provided: bool = False


@dataclasses.dataclass
class Surroundings:
    """Reads the plan needs beyond the baseline itself."""

    # Desired patch groups registered with another baseline of the same OS: group -> (ID, name).
    group_owners: dict[str, tuple[str, str]] = dataclasses.field(default_factory=dict)
    aws_default_id: str | None = None  # AWS's default baseline of the OS (to give the default back)


@dataclasses.dataclass
class Plan:
    ops: list[Op] = dataclasses.field(default_factory=list)
    changed_fields: list[str] = dataclasses.field(default_factory=list)
    before: Doc | None = None
    after: Doc | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    updates_baseline: bool = False  # an UpdatePatchBaseline is planned

    @property
    def changed(self) -> bool:
        return bool(self.ops)


def create_token(op: Op, stale: t.Sequence[str] = ()) -> str:
    """The ClientToken of a CreatePatchBaseline, derived like a window's (``_plan.client_token``).

    Runs of one definition that all saw no baseline of that name send the same token, so SSM
    answers them with one baseline; ``stale`` names baselines an earlier token created that are
    gone since (a deliberate re-creation), which gives a fresh token. ClientToken is CreatePatchBaseline's
    idempotency token: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html
    """
    return client_token(op.operation, "account", op.token_seed or {}, stale)


def is_aws_provided(baseline_id: str) -> bool:
    """AWS's own baselines are named by ARN in another account; custom ones by ``pb-`` ID."""
    return baseline_id.startswith("arn:")


def document(value: t.Mapping[str, t.Any], baseline_id: str | None, tags: t.Mapping[str, str] | None,
             patch_groups: t.Sequence[str], default: bool) -> Doc:
    """A baseline in our vocabulary, as the module returns it."""
    out = {k: v for k, v in value.items() if k in _MEMBERS}
    out.update(baseline_id=baseline_id, tags=dict(tags or {}), patch_groups=sorted(patch_groups),
               default_for_os=default)
    return out


def current_document(state: BaselineState) -> Doc:
    return document(B.from_api(state.api), state.baseline_id, state.tags, state.patch_groups,
                    state.default_id == state.baseline_id)


def tag_changes(current: t.Mapping[str, str], desired: t.Mapping[str, t.Any] | None,
                purge: bool) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove); ``desired`` None leaves tags alone, ``aws:`` keys are kept."""
    if desired is None:
        return {}, []
    wanted = {str(k): "" if v is None else str(v) for k, v in desired.items()}
    to_set = {k: v for k, v in wanted.items() if current.get(k) != v}
    to_unset = sorted(k for k in current if purge and k not in wanted and not k.startswith("aws:"))
    return to_set, to_unset


def plan_baseline(req: Request, state: BaselineState | None, around: Surroundings,
                  model: t.Mapping[str, t.Any]) -> Plan:
    """The writes that converge the baseline; raises ``BaselineError`` before any write."""
    if req.aws_provided or (state and is_aws_provided(state.baseline_id)):
        raise BaselineError([R.Problem("baseline_id" if state else "aws_provided",
                                       "AWS-provided baselines cannot be changed or deleted; copy its fields into a "
                                       "custom baseline with another name")])
    problems: list[R.Problem] = []
    if not req.present:
        plan = _plan_absent(req, state, around, problems)
    else:
        plan = _plan_present(req, state, around, problems)
    # The documented rules first, then botocore's constraints: one message per field.
    seen = {p.path for p in problems}
    problems += [p for p in validate(plan.ops, model) if p.path not in seen]
    if problems:
        raise BaselineError(problems)
    return plan


def _plan_present(req: Request, state: BaselineState | None, around: Surroundings,
                  problems: list[R.Problem]) -> Plan:
    current = B.from_api(state.api) if state else {}
    desired = req.baseline
    if state and desired.get("operating_system") and desired["operating_system"] != current.get("operating_system"):
        problems.append(R.Problem("operating_system", f"cannot change from {current.get('operating_system')} to "
                                  f"{desired['operating_system']}; create a new baseline instead"))
    if state is None and not desired.get("name"):
        problems.append(R.Problem("name", "required to create a baseline"))
    after = B.merged(desired, current)
    problems += R.check(after)
    problems += R.check_patch_groups(req.patch_groups or [])
    os_name = after.get("operating_system") or "WINDOWS"
    plan = Plan(before=current_document(state) if state else None)
    baseline_id = state.baseline_id if state else NEW_BASELINE_ID

    if state is None:
        request = B.to_api(after)
        if req.tags:
            request["Tags"] = [{"Key": str(k), "Value": "" if v is None else str(v)} for k, v in sorted(req.tags.items())]
        # The name is the identity; no baseline of that name was observed (else there is a state).
        plan.ops.append(Op("CreatePatchBaseline", request, token_seed=token_seed(str(after.get("name")), [])))
        plan.changed_fields = sorted(k for k in after if k != "operating_system" or after[k] != "WINDOWS")
        tags = {str(k): "" if v is None else str(v) for k, v in (req.tags or {}).items()}
    else:
        plan.changed_fields = B.differences(desired, current)
        plan.updates_baseline = bool(plan.changed_fields)
        if plan.changed_fields:
            request = dict(B.to_api(after), BaselineId=baseline_id, Replace=True)
            request.pop("OperatingSystem", None)
            plan.ops.append(Op("UpdatePatchBaseline", request))
        to_set, to_unset = tag_changes(state.tags, req.tags, req.purge_tags)
        if to_unset:
            plan.ops.append(Op("RemoveTagsFromResource", {"ResourceType": RESOURCE_TYPE, "ResourceId": baseline_id,
                                                          "TagKeys": to_unset}))
        if to_set:
            plan.ops.append(Op("AddTagsToResource", {"ResourceType": RESOURCE_TYPE, "ResourceId": baseline_id,
                                                     "Tags": [{"Key": k, "Value": v} for k, v in sorted(to_set.items())]}))
        tags = {k: v for k, v in state.tags.items() if k not in to_unset}
        tags.update(to_set)
        if to_set or to_unset:
            plan.changed_fields.append("tags")

    groups = state.patch_groups if state else []
    if req.patch_groups is not None:
        wanted = sorted(set(req.patch_groups))
        for group in sorted(set(groups) - set(wanted)):
            plan.ops.append(Op("DeregisterPatchBaselineForPatchGroup", {"BaselineId": baseline_id, "PatchGroup": group},
                               "patch_groups"))
        for index, group in enumerate(req.patch_groups):
            if group in groups or group in req.patch_groups[:index]:
                continue
            owner = around.group_owners.get(group)
            if owner:
                if not req.force:
                    problems.append(R.Problem(f"patch_groups[{index}]", (
                        f"patch group {group!r} is registered with baseline {owner[1]} ({owner[0]}) for {os_name}; "
                        "a patch group has one baseline per operating system: set force to move it")))
                    continue
                plan.warnings.append(f"patch group {group!r} moves from baseline {owner[1]} ({owner[0]}) to this one")
                plan.ops.append(Op("DeregisterPatchBaselineForPatchGroup", {"BaselineId": owner[0], "PatchGroup": group},
                                   "patch_groups"))
            plan.ops.append(Op("RegisterPatchBaselineForPatchGroup", {"BaselineId": baseline_id, "PatchGroup": group},
                               "patch_groups"))
        if sorted(set(groups)) != wanted:
            plan.changed_fields.append("patch_groups")
        groups = wanted

    default = bool(state and state.default_id == baseline_id)
    if req.default_for_os is True and not default:
        plan.ops.append(Op("RegisterDefaultPatchBaseline", {"BaselineId": baseline_id}, "default_for_os"))
        plan.changed_fields.append("default_for_os")
        default = True
    elif req.default_for_os is False and default:
        plan.ops.append(_restore_default(around, os_name, problems))
        plan.changed_fields.append("default_for_os")
        default = False

    # What GetPatchBaseline will answer: AWS's defaults filled in; unchanged members as AWS has them.
    predicted = B.from_api(B.to_api(after)) if state is None or plan.updates_baseline else current
    plan.after = document(predicted, baseline_id, tags, groups, default)
    return plan


def _restore_default(around: Surroundings, os_name: str, problems: list[R.Problem]) -> Op:
    if not around.aws_default_id:
        problems.append(R.Problem("default_for_os", f"no AWS-provided default baseline found for {os_name} to give "
                                  "the default back to"))
    return Op("RegisterDefaultPatchBaseline", {"BaselineId": around.aws_default_id or ""}, "default_for_os")


def _plan_absent(req: Request, state: BaselineState | None, around: Surroundings,
                 problems: list[R.Problem]) -> Plan:
    plan = Plan(before=current_document(state) if state else None)
    if state is None:
        return plan
    baseline_id = state.baseline_id
    os_name = state.api.get("OperatingSystem") or "WINDOWS"
    is_default = state.default_id == baseline_id
    if (is_default or state.patch_groups) and not req.force:
        why = []
        if is_default:
            why.append(f"it is the default baseline for {os_name}")
        if state.patch_groups:
            why.append(f"patch groups {', '.join(state.patch_groups)} are registered with it")
        raise BaselineError([R.Problem("state", f"refusing to delete: {' and '.join(why)}; set force to delete it "
                                       "anyway (the default goes back to AWS's baseline, the groups are deregistered)")])
    if is_default:
        plan.ops.append(_restore_default(around, os_name, problems))
    for group in state.patch_groups:
        plan.ops.append(Op("DeregisterPatchBaselineForPatchGroup", {"BaselineId": baseline_id, "PatchGroup": group},
                           "patch_groups"))
    plan.ops.append(Op("DeletePatchBaseline", {"BaselineId": baseline_id}))
    plan.changed_fields = ["state"]
    return plan


# ---------------------------------------------------------------------------------------------
# Validation of every request before the first write

def vocabulary_path(op: Op, api_path: str) -> str:
    """``ApprovalRules.PatchRules[0].ApproveAfterDays`` -> ``approval_rules.patch_rules[0].approve_after_days``."""
    head = api_path.split(".")[0].split("[")[0]
    if head in _ID_PATHS:
        if head == "Tags":
            index = api_path[len(head):].lstrip("[").split("]")[0]
            tags = op.request.get("Tags") or []
            if index.isdigit() and int(index) < len(tags):
                return f"tags['{tags[int(index)].get('Key')}']"
        return op.path or _ID_PATHS[head]
    return _api_path_to_vocabulary(api_path, SCHEMA)


def _api_path_to_vocabulary(api_path: str, node: t.Any) -> str:
    # Imported here: the window definition core is only needed when a request breaks a rule.
    from ._definition import api_path_to_vocabulary

    return api_path_to_vocabulary(api_path, node)


def validate(ops: t.Sequence[Op], model: t.Mapping[str, t.Any]) -> list[R.Problem]:
    """botocore's constraints on every request, in our vocabulary (one message per field)."""
    if not ops:
        return []
    from ._ssm_rules import check_request  # only plans that write pay for the rules' import

    problems: list[R.Problem] = []
    seen: set[str] = set()
    for op in ops:
        for violation in check_request(op.operation, op.request, model):
            path = vocabulary_path(op, violation.path)
            if path in seen:
                continue
            seen.add(path)
            message = violation.message
            if "Configuration" in violation.path:  # may hold repository credentials: never echoed
                message = message.replace(str(violation.value), "(hidden)")
            elif violation.value is not None and not isinstance(violation.value, (dict, list)) \
                    and str(violation.value) not in message:
                message += f" (got {violation.value!r})"
            problems.append(R.Problem(path, message))
    return problems
