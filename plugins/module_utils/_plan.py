# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Plan the write calls that converge a window, a target or a task.

Pure (no boto3): given the desired definition and what AWS has (raw API shapes), produce the
ordered write requests, the fields that change and the predicted result, and validate every
request before anything is sent.  IDs that do not exist yet are placeholders that pass the API
patterns; ``_converge.execute`` swaps in the real IDs as the calls return them.
"""

from __future__ import annotations

import typing as t
import uuid
from dataclasses import dataclass, field

from . import _definition as d
from ._ssm_rules import check_request

Doc = t.Dict[str, t.Any]

NEW_WINDOW_ID = "mw-00000000000000000"


def new_target_id(n: int) -> str:
    return f"00000000-0000-4000-8000-{n:012x}"


def new_task_id(n: int) -> str:
    return f"00000000-0000-4000-9000-{n:012x}"


def is_placeholder(value: t.Any) -> bool:
    return isinstance(value, str) and (value == NEW_WINDOW_ID or value.startswith("00000000-0000-4000-"))


class DefinitionError(Exception):
    """The definition breaks a rule; nothing has been written."""

    def __init__(self, problems: t.Sequence[d.Problem]) -> None:
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
    result_id: t.Optional[str] = None  # placeholder bound to the ID this call returns


@dataclass
class WindowState:
    """What AWS has for one window, in API shapes (task payloads already text)."""

    api_window: Doc
    tags: t.Dict[str, str] = field(default_factory=dict)
    api_targets: t.List[Doc] = field(default_factory=list)
    api_tasks: t.List[Doc] = field(default_factory=list)

    @property
    def window_id(self) -> str:
        return self.api_window["WindowId"]

    def targets(self) -> t.List[Doc]:
        return [d.target_from_api(x) for x in self.api_targets]

    def target_names_by_id(self) -> t.Dict[str, str]:
        return names_by_id(self.targets())

    def tasks(self, target_names: t.Optional[t.Mapping[str, str]] = None) -> t.List[Doc]:
        names = self.target_names_by_id() if target_names is None else target_names
        return [d.task_from_api(x, names) for x in self.api_tasks]


def names_by_id(targets: t.Sequence[Doc]) -> t.Dict[str, str]:
    """Window-target ID -> name, for names that identify exactly one target."""
    counts: t.Dict[str, int] = {}
    for target in targets:
        if target.get("name"):
            counts[target["name"]] = counts.get(target["name"], 0) + 1
    return {x["window_target_id"]: x["name"] for x in targets if x.get("name") and counts[x["name"]] == 1}


@dataclass
class Plan:
    ops: t.List[Op] = field(default_factory=list)
    problems: t.List[d.Problem] = field(default_factory=list)
    changed_fields: t.List[str] = field(default_factory=list)
    before: t.Optional[Doc] = None
    after: t.Optional[Doc] = None
    safe_deregister: bool = True

    @property
    def changed(self) -> bool:
        return bool(self.ops)


def client_token() -> str:
    return str(uuid.uuid4())


def join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    return f"{prefix}{name}" if name.startswith("[") else f"{prefix}.{name}"


# ---------------------------------------------------------------------------------------------
# Documents returned to the user (the vocabulary plus IDs)

def _clean_ids(value: t.Any) -> t.Any:
    """Placeholder IDs never leave the plan: an ID not known yet is None."""
    if isinstance(value, dict):
        return {k: _clean_ids(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_ids(v) for v in value]
    return None if is_placeholder(value) else value


def window_document(window: Doc, window_id: t.Optional[str], tags: t.Optional[t.Dict[str, str]],
                    targets: t.Optional[t.List[Doc]], tasks: t.Optional[t.List[Doc]]) -> Doc:
    doc = dict(window)
    doc["window_id"] = window_id
    doc["tags"] = dict(tags or {})
    doc["targets"] = sorted((targets or []), key=lambda x: (x.get("name") or "", x.get("window_target_id") or ""))
    doc["tasks"] = sorted((tasks or []), key=lambda x: (x.get("name") or "", x.get("window_task_id") or ""))
    return _clean_ids(doc)


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


def validate_ops(ops: t.Sequence[Op], model: t.Mapping[str, t.Any]) -> t.List[d.Problem]:
    problems = []
    for op in ops:
        if op.operation not in VALIDATED:
            continue
        for violation in check_request(op.operation, op.request, model):
            path = _vocabulary_path(op, violation.path)
            message = violation.message
            if str(violation.value) not in message and "(got" not in message:
                message += _describe_value(violation.value)
            problems.append(d.Problem(path, message))
    return problems


VALIDATED = ("CreateMaintenanceWindow", "UpdateMaintenanceWindow", "RegisterTargetWithMaintenanceWindow",
             "UpdateMaintenanceWindowTarget", "RegisterTaskWithMaintenanceWindow", "UpdateMaintenanceWindowTask",
             "AddTagsToResource")


def dedupe(problems: t.Sequence[d.Problem]) -> t.List[d.Problem]:
    """One message per field: the vocabulary rules come first and win."""
    seen: t.Set[str] = set()
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
# Tags

def tag_changes(current: t.Mapping[str, str], desired: t.Optional[t.Mapping[str, t.Any]],
                purge: bool) -> t.Tuple[t.Dict[str, str], t.List[str]]:
    """(tags to set, keys to remove); ``desired`` None leaves tags alone, ``aws:`` keys are kept."""
    if desired is None:
        return {}, []
    wanted = {str(k): "" if v is None else str(v) for k, v in desired.items()}
    to_set = {k: v for k, v in wanted.items() if current.get(k) != v}
    to_unset = sorted(k for k in current if purge and k not in wanted and not k.startswith("aws:"))
    return to_set, to_unset


def _tag_ops(window_id: str, to_set: t.Dict[str, str], to_unset: t.List[str]) -> t.List[Op]:
    ops = []
    if to_unset:
        ops.append(Op("RemoveTagsFromResource", {"ResourceType": "MaintenanceWindow", "ResourceId": window_id,
                                                 "TagKeys": to_unset}))
    if to_set:
        ops.append(Op("AddTagsToResource", {"ResourceType": "MaintenanceWindow", "ResourceId": window_id,
                                            "Tags": [{"Key": k, "Value": v} for k, v in sorted(to_set.items())]}))
    return ops


# ---------------------------------------------------------------------------------------------
# Targets and tasks of one window

class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _plan_targets(plan: Plan, window_id: str, desired: t.List[Doc], current: t.List[Doc], prefix: str,
                  counter: _Counter) -> t.Tuple[t.Dict[str, str], t.List[Doc], t.List[Doc], t.List[Doc]]:
    """Register/update targets.  Returns (IDs by name, resulting targets, unmatched current
    targets, current targets replaced because their resource type changed)."""
    wanted = [d.normalize_target(x) for x in desired]
    pairs, unmatched, problems = d.match_by_identity(wanted, current, "window_target_id")
    plan.problems += [d.Problem(join(prefix, f"[{desired_index(wanted, p.path)}].name"), p.message) for p in problems]
    ids_by_name: t.Dict[str, str] = {}
    result: t.List[Doc] = []
    replaced: t.List[Doc] = []
    for index, (want, have) in enumerate(pairs):
        path = join(prefix, f"[{index}]") if prefix else ""
        label = f"{prefix or 'target'}[{want.get('name') or want.get('window_target_id')}]"
        if have is None or "resource_type" in d.target_differences(want, have):
            target_id = new_target_id(counter.next())
            request = d.target_request(want, window_id)
            request["ClientToken"] = client_token()
            plan.ops.append(Op("RegisterTargetWithMaintenanceWindow", request, path, d.TARGET_SCHEMA, target_id))
            if have is None:
                plan.changed_fields.append(f"{label}: registered")
            else:
                replaced.append(have)
                plan.changed_fields.append(f"{label}: replaced (resource_type cannot change in place)")
        else:
            target_id = have["window_target_id"]
            diff = d.target_differences(want, have)
            if diff:
                plan.ops.append(Op("UpdateMaintenanceWindowTarget", d.target_request(want, window_id, target_id),
                                   path, d.TARGET_SCHEMA))
                plan.changed_fields += [f"{label}.{x}" for x in diff]
        if want.get("name"):
            ids_by_name[want["name"]] = target_id
        result.append(dict(want, window_target_id=target_id))
    return ids_by_name, result, unmatched, replaced


def desired_index(items: t.Sequence[Doc], name: str) -> int:
    for index, item in enumerate(items):
        if item.get("name") == name:
            return index
    return 0


def canonical_task(task: Doc, ids_by_name: t.Mapping[str, str]) -> Doc:
    """Normalised task whose targets went through ID resolution (so raw WindowTargetIds of a
    named target and a reference by name compare equal)."""
    want = d.normalize_task(task)
    refs = [e["window_target"] for e in want.get("targets") or [] if e.get("window_target")]
    if all(r in ids_by_name for r in refs):
        names = {v: k for k, v in ids_by_name.items()}
        want["targets"] = d.task_targets_from_api(d.resolve_task_targets(want.get("targets"), ids_by_name), names)
        if not want["targets"]:
            want.pop("targets")
    return want


def _plan_tasks(plan: Plan, window_id: str, desired: t.List[Doc], current: t.List[Doc], prefix: str,
                ids_by_name: t.Mapping[str, str], counter: _Counter) -> t.Tuple[t.List[Doc], t.List[Doc]]:
    """Register/update tasks.  Returns (resulting tasks, unmatched current tasks)."""
    # Unknown window-target names are reported by the vocabulary rules; stand-in IDs let the
    # rest of each request be validated too.
    unknown = sorted({e["window_target"] for x in desired for e in x.get("targets") or []
                      if e.get("window_target") and e["window_target"] not in ids_by_name})
    ids_by_name = dict(ids_by_name, **{n: new_target_id(0xfff000 + i) for i, n in enumerate(unknown)})
    wanted = [canonical_task(x, ids_by_name) for x in desired]
    pairs, unmatched, problems = d.match_by_identity(wanted, current, "window_task_id")
    plan.problems += [d.Problem(join(prefix, f"[{desired_index(wanted, p.path)}].name") if prefix else "name", p.message)
                      for p in problems]
    result = []
    for index, (want, have) in enumerate(pairs):
        path = join(prefix, f"[{index}]") if prefix else ""
        label = f"{prefix or 'task'}[{want.get('name') or want.get('window_task_id')}]"
        if have is not None and "task_type" in d.task_differences(want, have):
            plan.ops.append(Op("DeregisterTaskFromMaintenanceWindow",
                               {"WindowId": window_id, "WindowTaskId": have["window_task_id"]}))
            plan.changed_fields.append(f"{label}: replaced (task_type cannot change in place)")
            have = None
        elif have is None:
            plan.changed_fields.append(f"{label}: registered")
        if have is None:
            task_id = new_task_id(counter.next())
            request = d.task_request(want, window_id, ids_by_name)
            request["ClientToken"] = client_token()
            plan.ops.append(Op("RegisterTaskWithMaintenanceWindow", request, path, d.TASK_SCHEMA, task_id))
        else:
            task_id = have["window_task_id"]
            diff = d.task_differences(want, have)
            if diff:
                plan.ops.append(Op("UpdateMaintenanceWindowTask", d.task_request(want, window_id, ids_by_name, task_id),
                                   path, d.TASK_SCHEMA))
                plan.changed_fields += [f"{label}.{x}" for x in diff]
        result.append(dict(want, window_task_id=task_id))
    return result, unmatched


def _target_in_use_problems(targets: t.Sequence[Doc], remaining_tasks: t.Sequence[Doc],
                            path: str) -> t.List[d.Problem]:
    problems = []
    for target in targets:
        users = []
        for task in remaining_tasks:
            for entry in task.get("targets") or []:
                refs = entry.get("values") or [] if entry.get("key") == d.WINDOW_TARGET_IDS else []
                if target["window_target_id"] in refs:
                    users.append(d.task_label(task))
                    break
        if users:
            problems.append(d.Problem(path, f"window target '{target.get('name') or target['window_target_id']}' "
                                            f"({target['window_target_id']}) is used by task(s) {', '.join(users)}; "
                                            f"remove it from those tasks first, or set force: true"))
    return problems


def _resolved_tasks(tasks: t.Sequence[Doc], ids_by_name: t.Mapping[str, str]) -> t.List[Doc]:
    """Tasks with their targets as key/values IDs (for in-use checks)."""
    out = []
    for task in tasks:
        refs = [e["window_target"] for e in task.get("targets") or [] if e.get("window_target")]
        if not all(r in ids_by_name for r in refs):
            continue
        api = d.resolve_task_targets(task.get("targets"), ids_by_name) or []
        out.append(dict(task, targets=[{"key": x["Key"], "values": x["Values"]} for x in api]))
    return out


def _raw_tasks(state: WindowState) -> t.List[Doc]:
    """Current tasks with targets as raw IDs (no name resolution)."""
    return state.tasks(target_names={})


# ---------------------------------------------------------------------------------------------
# maintenance_window

def plan_window(desired: t.Optional[Doc], state: t.Optional[WindowState], model: t.Mapping[str, t.Any], *,
                purge_tags: bool = True, purge_targets: bool = True, purge_tasks: bool = True,
                force: bool = False) -> Plan:
    """Plan one window with (optionally) its targets and tasks; ``desired`` None means absent."""
    plan = Plan()
    plan.before = state_document(state) if state else None
    if desired is None:
        if state:
            plan.ops.append(Op("DeleteMaintenanceWindow", {"WindowId": state.window_id}))
            plan.changed_fields.append("window: deleted")
        plan.after = None
        return plan

    current_targets = state.targets() if state else []
    known_names = None if desired.get("targets") is not None else {x["name"] for x in current_targets if x.get("name")}
    plan.problems += d.check_window_definition(desired, known_names)
    counter = _Counter()
    window_id = state.window_id if state else NEW_WINDOW_ID
    want = d.normalize_window(desired)
    if state is None:
        request = d.window_request(want)
        request["ClientToken"] = client_token()
        plan.ops.append(Op("CreateMaintenanceWindow", request, "", d.WINDOW_SCHEMA, NEW_WINDOW_ID))
        plan.changed_fields.append("window: created")
        if d.window_needs_disable_after_create(want):
            plan.ops.append(Op("UpdateMaintenanceWindow", {"WindowId": NEW_WINDOW_ID, "Enabled": False}))
    else:
        diff = d.window_differences(want, d.window_from_api(state.api_window))
        if diff:
            plan.ops.append(Op("UpdateMaintenanceWindow", d.window_request(want, window_id), "", d.WINDOW_SCHEMA))
            plan.changed_fields += diff

    current_tags = state.tags if state else {}
    to_set, to_unset = tag_changes(current_tags, desired.get("tags"), purge_tags)
    plan.ops += _tag_ops(window_id, to_set, to_unset)
    if to_set or to_unset:
        plan.changed_fields.append("tags")
    tags = {k: v for k, v in current_tags.items() if k not in to_unset}
    tags.update(to_set)

    # Targets
    deregister: t.List[Doc] = []
    replaced: t.List[Doc] = []
    if desired.get("targets") is not None:
        ids_by_name, targets, unmatched_targets, replaced = _plan_targets(
            plan, window_id, desired["targets"], current_targets, "targets", counter)
        deregister += replaced
        if purge_targets:
            deregister += unmatched_targets
        else:
            targets += unmatched_targets
    else:
        targets = current_targets
        ids_by_name = {v: k for k, v in names_by_id(current_targets).items()}
    names = {v: k for k, v in ids_by_name.items()}

    # Tasks (current ones compared with targets resolved through the new name -> ID map)
    current_tasks = state.tasks(names) if state else []
    if desired.get("tasks") is not None:
        tasks, unmatched_tasks = _plan_tasks(plan, window_id, desired["tasks"], current_tasks, "tasks",
                                             ids_by_name, counter)
        if purge_tasks:
            for task in unmatched_tasks:
                plan.ops.append(Op("DeregisterTaskFromMaintenanceWindow",
                                   {"WindowId": window_id, "WindowTaskId": task["window_task_id"]}))
                plan.changed_fields.append(f"tasks[{task.get('name') or task['window_task_id']}]: deregistered")
            remaining = _resolved_tasks(tasks, ids_by_name)
        else:
            tasks += unmatched_tasks
            remaining = _resolved_tasks(tasks, ids_by_name)
    else:
        tasks = current_tasks
        remaining = _raw_tasks(state) if state else []

    if deregister:
        if not force:
            plan.problems += _target_in_use_problems(deregister, remaining, "targets")
        for target in deregister:
            plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                               {"WindowId": window_id, "WindowTargetId": target["window_target_id"],
                                "Safe": not force}))
            if target not in replaced:
                plan.changed_fields.append(f"targets[{target.get('name') or target['window_target_id']}]: deregistered")
    plan.after = window_document(want, window_id, tags, targets, tasks)
    return finish(plan, model)


# ---------------------------------------------------------------------------------------------
# mw_target

def find_one(items: t.Sequence[Doc], want: Doc, id_key: str, kind: str) -> t.Tuple[t.Optional[Doc], t.List[d.Problem]]:
    pairs, _unmatched, problems = d.match_by_identity([want], items, id_key)
    return pairs[0][1], [d.Problem("name", f"{len([i for i in items if i.get('name') == want.get('name')])} "
                                           f"{kind}s are named '{want.get('name')}': {p.message}") for p in problems]


def plan_target(desired: Doc, present: bool, state: WindowState, model: t.Mapping[str, t.Any],
                force: bool = False) -> Plan:
    plan = Plan()
    want = d.normalize_target(desired)
    current_targets = state.targets()
    have, problems = find_one(current_targets, want, "window_target_id", "window target")
    plan.problems += problems
    plan.before = have
    raw_tasks = _raw_tasks(state)
    if not present:
        if have:
            if not force:
                plan.problems += _target_in_use_problems([have], raw_tasks, "name")
            plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                               {"WindowId": state.window_id, "WindowTargetId": have["window_target_id"],
                                "Safe": not force}))
            plan.changed_fields.append("deregistered")
        plan.after = None
        return finish(plan, model)

    plan.problems += d.check_target(want, "")
    plan.problems = [d.Problem(p.path.lstrip("."), p.message) for p in plan.problems]
    if not want.get("name") and not want.get("window_target_id"):
        plan.problems.append(d.Problem("name", "a window target needs a name (its identity within the window)"))
    if have is None or "resource_type" in d.target_differences(want, have):
        if have is not None:
            plan.problems += _target_in_use_problems([have], raw_tasks, "resource_type")
            plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                               {"WindowId": state.window_id, "WindowTargetId": have["window_target_id"],
                                "Safe": True}))
            plan.changed_fields.append("replaced (resource_type cannot change in place)")
        else:
            plan.changed_fields.append("registered")
        request = d.target_request(want, state.window_id)
        request["ClientToken"] = client_token()
        target_id = new_target_id(1)
        plan.ops.append(Op("RegisterTargetWithMaintenanceWindow", request, "", d.TARGET_SCHEMA, target_id))
    else:
        target_id = have["window_target_id"]
        diff = d.target_differences(want, have)
        if diff:
            plan.ops.append(Op("UpdateMaintenanceWindowTarget", d.target_request(want, state.window_id, target_id),
                               "", d.TARGET_SCHEMA))
            plan.changed_fields += diff
    plan.after = _clean_ids(dict(want, window_target_id=target_id))
    return finish(plan, model)


# ---------------------------------------------------------------------------------------------
# mw_task

def plan_task(desired: Doc, present: bool, state: WindowState, current_task: t.Optional[Doc],
              model: t.Mapping[str, t.Any]) -> Plan:
    """``current_task``: the matched task in full (GetMaintenanceWindowTask), or None."""
    plan = Plan()
    names = state.target_names_by_id()
    ids_by_name = {v: k for k, v in names.items()}
    have = d.task_from_api(current_task, names) if current_task else None
    plan.before = have
    if not present:
        if have:
            plan.ops.append(Op("DeregisterTaskFromMaintenanceWindow",
                               {"WindowId": state.window_id, "WindowTaskId": have["window_task_id"]}))
            plan.changed_fields.append("deregistered")
        plan.after = None
        return finish(plan, model)

    allow = state.api_window.get("AllowUnassociatedTargets")
    problems = d.check_task(desired, "", set(ids_by_name), allow if isinstance(allow, bool) else None)
    plan.problems += [d.Problem(p.path.lstrip("."), p.message) for p in problems]
    if not desired.get("name") and not desired.get("window_task_id"):
        plan.problems.append(d.Problem("name", "a task needs a name (its identity within the window)"))
    counter = _Counter()
    tasks, _unmatched = _plan_tasks(plan, state.window_id, [desired], [have] if have else [], "", ids_by_name, counter)
    plan.changed_fields = [f.split("]", 1)[1].lstrip(".: ") if f.startswith("task[") else f for f in plan.changed_fields]
    plan.after = _clean_ids(tasks[0]) if tasks else None
    return finish(plan, model)
