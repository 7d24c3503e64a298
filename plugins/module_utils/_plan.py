# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""What every plan shares: the write calls (``Op``), the ``Plan``, what AWS has (``WindowState``),
derived ClientTokens, the documents returned to the user, and the validation of every request.

Pure (no boto3, no Ansible): given the desired definition and what AWS has (raw API shapes), a
plan lists the ordered write requests, the fields that change and the predicted result, and
every request is validated before anything is sent.  IDs that do not exist yet are placeholders
that pass the API patterns; ``_converge.execute`` swaps in the real IDs as the calls return them.

One plan per resource, each reused by the single-resource module and by ``maintenance_window``:
``_plan_target`` (targets, ``mw_target``), ``_plan_task`` (tasks, ``mw_task``) and
``_plan_window`` (the window with its tags, targets and tasks).
"""

from __future__ import annotations

import hashlib
import json
import typing as t
from dataclasses import dataclass, field

from . import _definition as d
from ._definition import Problem

Doc = dict[str, t.Any]

NEW_WINDOW_ID = "mw-00000000000000000"


def new_target_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def new_task_id(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012x}"


def is_placeholder(value: t.Any) -> bool:
    return isinstance(value, str) and (value == NEW_WINDOW_ID or value.startswith("00000000-0000-4000-"))


class DefinitionError(Exception):
    """The definition breaks a rule; nothing has been written."""

    def __init__(self, problems: t.Sequence[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"Invalid maintenance window definition, nothing was changed:\n{lines}")


@dataclass
class Op:
    """One write call: the API operation and its request (may hold placeholder IDs)."""

    operation: str
    request: Doc
    path: str = ""  # vocabulary prefix of the part this request comes from
    schema: t.Any = None  # vocabulary schema of that part, to translate error paths
    result_id: str | None = None  # placeholder bound to the ID this call returns
    # Create/Register calls: what the run observed about this resource, from which the
    # ClientToken is derived once the real window ID is known (see ``client_token``).
    token_seed: Doc | None = None


@dataclass
class WindowState:
    """What AWS has for one window, in API shapes (task payloads already text)."""

    api_window: Doc
    tags: dict[str, str] = field(default_factory=dict)
    api_targets: list[Doc] = field(default_factory=list)
    api_tasks: list[Doc] = field(default_factory=list)
    # Check mode only: a window that does not exist yet, predicted empty.
    predicted: bool = False

    @property
    def window_id(self) -> str:
        return self.api_window["WindowId"]

    def targets(self) -> list[Doc]:
        return [d.target_from_api(x) for x in self.api_targets]

    def target_names_by_id(self) -> dict[str, str]:
        return names_by_id(self.targets())

    def tasks(self, target_names: t.Mapping[str, str] | None = None) -> list[Doc]:
        names = self.target_names_by_id() if target_names is None else target_names
        return [d.task_from_api(x, names) for x in self.api_tasks]


def names_by_id(targets: t.Sequence[Doc]) -> dict[str, str]:
    """Window-target ID -> name, for names that identify exactly one target."""
    counts: dict[str, int] = {}
    for target in targets:
        if target.get("name"):
            counts[target["name"]] = counts.get(target["name"], 0) + 1
    return {x["window_target_id"]: x["name"] for x in targets if x.get("name") and counts[x["name"]] == 1}


@dataclass
class Plan:
    ops: list[Op] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    changed_fields: list[str] = field(default_factory=list)
    before: Doc | None = None
    after: Doc | None = None
    safe_deregister: bool = True
    # Filled when the plan is applied: the write calls made, in order (operation and IDs).
    completed_writes: list[Doc] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.ops)


def token_seed(identity: str, observed: t.Iterable[str]) -> Doc:
    """``identity``: the resource's name (or content digest); ``observed``: the IDs of the
    resources with that identity the run saw before deciding to create one."""
    return {"identity": identity, "observed": sorted(observed)}


def client_token(operation: str, window_key: str, seed: Doc, stale: t.Sequence[str] = ()) -> str:
    """A ClientToken derived from what the run observed, not drawn at random.

    Two runs that observed the same state and create the same resource send the same token, so
    SSM answers both with one resource (a different request under that token is refused with
    IdempotentParameterMismatch). A later, deliberate re-creation observes a different state,
    or finds that the token's resource is gone (``stale``: its ID, or ``parameters_marker`` when
    the token was refused), and gets a fresh token.
    """
    text = json.dumps([operation, window_key, seed, sorted(stale)], sort_keys=True)
    return "mwops-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:58]


def parameters_marker(request: t.Mapping[str, t.Any]) -> str:
    """Names one Create/Register call's parameters (not its token), for ``client_token``'s ``stale``:
    the token of a deleted resource, re-sent with a changed definition, is refused; the run asks
    again under a token that names these parameters (the same for every run of this definition)."""
    text = json.dumps({k: v for k, v in request.items() if k != "ClientToken"}, sort_keys=True, default=str)
    return "parameters:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def content_identity(content: t.Any) -> str:
    return "content:" + hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:32]


def join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


# ---------------------------------------------------------------------------------------------
# Documents returned to the user (the vocabulary plus IDs)

def clean_ids(value: t.Any) -> t.Any:
    """Placeholder IDs never leave the plan: an ID not known yet is None."""
    if isinstance(value, dict):
        return {k: clean_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_ids(v) for v in value]
    return None if is_placeholder(value) else value


def window_document(window: Doc, window_id: str | None, tags: dict[str, str] | None,
                    targets: list[Doc] | None, tasks: list[Doc] | None) -> Doc:
    doc = dict(window)
    doc["window_id"] = window_id
    doc["tags"] = dict(tags or {})
    doc["targets"] = sorted((targets or []), key=lambda x: (x.get("name") or "", x.get("window_target_id") or ""))
    doc["tasks"] = sorted((tasks or []), key=lambda x: (x.get("name") or "", x.get("window_task_id") or ""))
    return clean_ids(doc)


def state_document(state: WindowState) -> Doc:
    return window_document(d.window_from_api(state.api_window), state.window_id, state.tags,
                           state.targets(), state.tasks())


# ---------------------------------------------------------------------------------------------
# Validation of every request before the first write

def _vocabulary_path(op: Op, api_path: str) -> str:
    head = api_path.split(".")[0].split("[")[0]
    if head in ("WindowId", "WindowTargetId", "WindowTaskId"):
        return join(op.path, {"WindowId": "window_id", "WindowTargetId": "window_target_id",
                              "WindowTaskId": "window_task_id"}[head])
    if op.schema is d.TASK_SCHEMA and head == "Targets":
        return join(op.path, "targets")
    if head == "Tags":
        # Tags are a dict in the vocabulary: name the tag, not its list position.
        index = api_path[len(head):].lstrip("[").split("]")[0]
        tags = op.request.get("Tags") or []
        if index.isdigit() and int(index) < len(tags):
            return f"tags['{tags[int(index)].get('Key')}']"
        return "tags"
    return join(op.path, d.api_path_to_vocabulary(api_path, op.schema))


def _describe_value(value: t.Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = repr(value)
    return f" (got {text[:60]}{'...' if len(text) > 60 else ''})"


def validate_ops(ops: t.Sequence[Op], model: t.Mapping[str, t.Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not any(op.operation in VALIDATED for op in ops):
        return problems
    # Imported here: a plan with nothing to write (and the info module) skips the rules' import.
    from ._ssm_rules import check_request

    for op in ops:
        if op.operation not in VALIDATED:
            continue
        for violation in check_request(op.operation, op.request, model):
            path = _vocabulary_path(op, violation.path)
            message = violation.message
            if str(violation.value) not in message and "(got" not in message:
                message += _describe_value(violation.value)
            problems.append(Problem(path, message))
    return problems


VALIDATED = ("CreateMaintenanceWindow", "UpdateMaintenanceWindow", "RegisterTargetWithMaintenanceWindow",
             "UpdateMaintenanceWindowTarget", "RegisterTaskWithMaintenanceWindow", "UpdateMaintenanceWindowTask",
             "AddTagsToResource")


def dedupe(problems: t.Sequence[Problem]) -> list[Problem]:
    """One message per field: the vocabulary rules come first and win."""
    seen: set[str] = set()
    out = []
    for problem in problems:
        if problem.path in seen:
            continue
        seen.add(problem.path)
        out.append(problem)
    return out


def finish(plan: Plan, model: t.Mapping[str, t.Any]) -> Plan:
    plan.problems = dedupe(plan.problems + validate_ops(plan.ops, model))
    if plan.problems:
        raise DefinitionError(plan.problems)
    return plan


# ---------------------------------------------------------------------------------------------
# Tags: the AWS layer compares them (amazon.aws compare_aws_tags); the plan only writes the calls

class CompareTags(t.Protocol):
    """(tags to set, keys to remove); ``desired`` None leaves the tags alone."""

    def __call__(self, current: t.Mapping[str, str], desired: t.Mapping[str, t.Any] | None,
                 purge: bool) -> tuple[dict[str, str], list[str]]: ...


def tag_ops(window_id: str, to_set: dict[str, str], to_unset: list[str]) -> list[Op]:
    ops = []
    if to_unset:
        ops.append(Op("RemoveTagsFromResource", {"ResourceType": "MaintenanceWindow", "ResourceId": window_id,
                                                 "TagKeys": to_unset}))
    if to_set:
        ops.append(Op("AddTagsToResource", {"ResourceType": "MaintenanceWindow", "ResourceId": window_id,
                                            "Tags": [{"Key": k, "Value": v} for k, v in sorted(to_set.items())]}))
    return ops


# ---------------------------------------------------------------------------------------------
# Shared by the plans of targets and tasks

class Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def same_target(want: Doc, have: Doc) -> bool:
    return not d.target_differences(want, have)


def same_task(want: Doc, have: Doc) -> bool:
    return not d.task_differences(want, have)


def identity(item: Doc, content: t.Callable[[Doc], t.Any]) -> str:
    return item["name"] if item.get("name") else content_identity(content(item))


def observed(current: t.Sequence[Doc], want: Doc, id_key: str, content: t.Callable[[Doc], t.Any]) -> list[str]:
    """IDs of the current items that carry the same identity as ``want`` (name or content)."""
    key = identity(want, content)
    return [c[id_key] for c in current if identity(c, content) == key]


def label(prefix: str, item: Doc, id_key: str) -> str:
    """``targets[web]`` in a window's plan; "" in a single resource's plan (the module names it)."""
    if not prefix:
        return ""
    return f"{prefix}[{item.get('name') or item.get(id_key) or '(unnamed)'}]"


def referenced_target_ids(api_tasks: t.Sequence[Doc]) -> set[str]:
    """IDs of window targets that current tasks use."""
    return {v for task in api_tasks for e in task.get("Targets") or []
            if e.get("Key") == d.WINDOW_TARGET_IDS for v in e.get("Values") or []}


def relative(prefix: str, problems: t.Sequence[Problem]) -> list[Problem]:
    """Problems of ``match_by_identity`` (paths such as ``[1].name``) under ``prefix``."""
    out = []
    for problem in problems:
        path = join(prefix, problem.path) if prefix else problem.path.split("].", 1)[-1]
        out.append(Problem(path, problem.message))
    return out


def match(plan: Plan, wanted: t.Sequence[Doc], current: t.Sequence[Doc], prefix: str, id_key: str, kind: str,
          same: t.Callable[[Doc, Doc], bool], referenced: t.Collection[str] = ()) -> d.Matched:
    """Pair desired items with current ones; duplicates of a kept item will be deregistered."""
    matched = d.match_by_identity(wanted, current, id_key, kind, same, referenced)
    plan.problems += relative(prefix, matched.problems)
    for item in matched.extras:
        plan.changed_fields.append(change(label(prefix, item, id_key), f"duplicate {item[id_key]} deregistered"))
    return matched


def planned_pairs(matched: d.Matched, prefix: str, id_key: str) -> t.Iterator[tuple[str, str, Doc, Doc | None]]:
    """(request path, change label, desired, current or None) of each pair to plan. A desired
    ID that does not exist is skipped: reported by the matching, never registered anew."""
    for index, (want, have) in enumerate(matched.pairs):
        if have is None and want.get(id_key):
            continue
        yield (join(prefix, f"[{index}]") if prefix else ""), label(prefix, want, id_key), want, have


def raw_tasks(state: WindowState) -> list[Doc]:
    """Current tasks with targets as raw IDs (no name resolution)."""
    return state.tasks(target_names={})


def change(label_: str, text: str) -> str:
    """A changed_fields entry: ``targets[web]: registered``, or ``registered`` for a single resource."""
    return f"{label_}: {text}" if label_ else text


def field_change(label_: str, name: str) -> str:
    return f"{label_}.{name}" if label_ else name


def absent(want: Doc, current: t.Sequence[Doc], id_key: str, kind: str,
           same: t.Callable[[Doc, Doc], bool]) -> tuple[list[Doc], list[Problem]]:
    """What ``state: absent`` removes: the item with the ID (an ID that no longer exists is
    already absent; a name that contradicts it is refused), or every item with the name, or the
    unnamed item with this content."""
    if want.get(id_key) or not want.get("name"):
        matched = d.match_by_identity([want], current, id_key, kind, same)
        problems = [p for p in relative("", matched.problems) if p.path != id_key]
        have = matched.pairs[0][1]
        return ([have] if have and not problems else []), problems
    return [c for c in current if c.get("name") == want["name"]], []
