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

import hashlib
import json
import typing as t
from dataclasses import dataclass, field

from . import _definition as d

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
    # Create/Register calls: what the run observed about this resource, from which the
    # ClientToken is derived once the real window ID is known (see ``client_token``).
    token_seed: t.Optional[Doc] = None


@dataclass
class WindowState:
    """What AWS has for one window, in API shapes (task payloads already text)."""

    api_window: Doc
    tags: t.Dict[str, str] = field(default_factory=dict)
    api_targets: t.List[Doc] = field(default_factory=list)
    api_tasks: t.List[Doc] = field(default_factory=list)
    # Check mode only: a window that does not exist yet, predicted empty.
    predicted: bool = False

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
    # Filled when the plan is applied: the write calls made, in order (operation and IDs).
    completed_writes: t.List[Doc] = field(default_factory=list)

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
    or finds that the token's resource is gone (``stale``), and gets a fresh token.
    """
    text = json.dumps([operation, window_key, seed, sorted(stale)], sort_keys=True)
    return "mwops-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:58]


def content_identity(content: t.Any) -> str:
    return "content:" + hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:32]


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
    problems: t.List[d.Problem] = []
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


def _same_target(want: Doc, have: Doc) -> bool:
    return not d.target_differences(want, have)


def _same_task(want: Doc, have: Doc) -> bool:
    return not d.task_differences(want, have)


def _identity(item: Doc, content: t.Callable[[Doc], t.Any]) -> str:
    return item["name"] if item.get("name") else content_identity(content(item))


def _observed(current: t.Sequence[Doc], want: Doc, id_key: str, content: t.Callable[[Doc], t.Any]) -> t.List[str]:
    """IDs of the current items that carry the same identity as ``want`` (name or content)."""
    key = _identity(want, content)
    return [c[id_key] for c in current if _identity(c, content) == key]


def _label(prefix: str, kind: str, item: Doc, id_key: str) -> str:
    return f"{prefix or kind}[{item.get('name') or item.get(id_key) or '(unnamed)'}]"


def referenced_target_ids(api_tasks: t.Sequence[Doc]) -> t.Set[str]:
    """IDs of window targets that current tasks use."""
    return {v for task in api_tasks for e in task.get("Targets") or []
            if e.get("Key") == d.WINDOW_TARGET_IDS for v in e.get("Values") or []}


def _relative(prefix: str, problems: t.Sequence[d.Problem]) -> t.List[d.Problem]:
    """Problems of ``match_by_identity`` (paths such as ``[1].name``) under ``prefix``."""
    out = []
    for problem in problems:
        path = join(prefix, problem.path) if prefix else problem.path.split("].", 1)[-1]
        out.append(d.Problem(path, problem.message))
    return out


def _plan_targets(plan: Plan, window_id: str, desired: t.List[Doc], current: t.List[Doc], prefix: str,
                  counter: _Counter, referenced: t.Collection[str] = ()
                  ) -> t.Tuple[t.Dict[str, str], t.List[Doc], t.List[Doc], t.List[Doc]]:
    """Register/update targets.  Returns (IDs by name, resulting targets, unmatched current
    targets, current targets to deregister whatever the purge option: replaced ones and
    duplicates of a kept one)."""
    wanted = [d.normalize_target(x) for x in desired]
    matched = d.match_by_identity(wanted, current, "window_target_id", "window target", _same_target, referenced)
    plan.problems += _relative(prefix, matched.problems)
    ids_by_name: t.Dict[str, str] = {}
    result: t.List[Doc] = []
    replaced: t.List[Doc] = list(matched.extras)
    for target in matched.extras:
        plan.changed_fields.append(f"{_label(prefix, 'target', target, 'window_target_id')}: duplicate "
                                   f"{target['window_target_id']} deregistered")
    for index, (want, have) in enumerate(matched.pairs):
        path = join(prefix, f"[{index}]") if prefix else ""
        label = _label(prefix, "target", want, "window_target_id")
        if have is None and want.get("window_target_id"):
            continue  # an ID that does not exist: reported, never registered anew
        if have is None or "resource_type" in d.target_differences(want, have):
            target_id = new_target_id(counter.next())
            request = d.target_request(want, window_id)
            seed = token_seed(_identity(want, d.target_content),
                              _observed(current, want, "window_target_id", d.target_content))
            plan.ops.append(Op("RegisterTargetWithMaintenanceWindow", request, path, d.TARGET_SCHEMA, target_id,
                               token_seed=seed))
            if have is None:
                plan.changed_fields.append(f"{label}: registered")
            else:
                # Register first, deregister last: a run killed in between leaves two targets of
                # one name, and the next run keeps the one that matches the definition.
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
    return ids_by_name, result, matched.unmatched, replaced


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
    """Register/update tasks (and deregister duplicates of kept ones).  Returns (resulting
    tasks, unmatched current tasks)."""
    # Unknown window-target names are reported by the vocabulary rules; stand-in IDs let the
    # rest of each request be validated too.
    unknown = sorted({e["window_target"] for x in desired for e in x.get("targets") or []
                      if e.get("window_target") and e["window_target"] not in ids_by_name})
    ids_by_name = dict(ids_by_name, **{n: new_target_id(0xfff000 + i) for i, n in enumerate(unknown)})
    wanted = [canonical_task(x, ids_by_name) for x in desired]
    matched = d.match_by_identity(wanted, current, "window_task_id", "task", _same_task)
    plan.problems += _relative(prefix, matched.problems)
    result = []
    stale: t.List[Doc] = list(matched.extras)
    for task in matched.extras:
        plan.changed_fields.append(f"{_label(prefix, 'task', task, 'window_task_id')}: duplicate "
                                   f"{task['window_task_id']} deregistered")
    for index, (want, have) in enumerate(matched.pairs):
        path = join(prefix, f"[{index}]") if prefix else ""
        label = _label(prefix, "task", want, "window_task_id")
        if have is None and want.get("window_task_id"):
            continue  # an ID that does not exist: reported, never registered anew
        if have is not None and "task_type" in d.task_differences(want, have):
            stale.append(have)
            plan.changed_fields.append(f"{label}: replaced (task_type cannot change in place)")
            have = None
        elif have is None:
            plan.changed_fields.append(f"{label}: registered")
        if have is None:
            task_id = new_task_id(counter.next())
            request = d.task_request(want, window_id, ids_by_name)
            seed = token_seed(_identity(want, d.task_content), _observed(current, want, "window_task_id", d.task_content))
            plan.ops.append(Op("RegisterTaskWithMaintenanceWindow", request, path, d.TASK_SCHEMA, task_id,
                               token_seed=seed))
        else:
            task_id = have["window_task_id"]
            diff = d.task_differences(want, have)
            if diff:
                plan.ops.append(Op("UpdateMaintenanceWindowTask", d.task_request(want, window_id, ids_by_name, task_id),
                                   path, d.TASK_SCHEMA))
                plan.changed_fields += [f"{label}.{x}" for x in diff]
        result.append(dict(want, window_task_id=task_id))
    # Replaced and duplicate tasks go after the registrations: a run killed in between leaves a
    # duplicate that the next run recognises (it is not the one equal to the definition).
    for task in stale:
        plan.ops.append(Op("DeregisterTaskFromMaintenanceWindow",
                           {"WindowId": window_id, "WindowTaskId": task["window_task_id"]}))
    return result, matched.unmatched


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
        plan.ops.append(Op("CreateMaintenanceWindow", request, "", d.WINDOW_SCHEMA, NEW_WINDOW_ID,
                           token_seed=token_seed(str(want.get("name")), [])))
        plan.changed_fields.append("window: created")
        if d.window_needs_disable_after_create(want):
            plan.ops.append(Op("UpdateMaintenanceWindow", {"WindowId": NEW_WINDOW_ID, "Enabled": False}))
    else:
        diff = d.window_differences(want, d.window_from_api(state.api_window))
        if diff:
            plan.ops.append(Op("UpdateMaintenanceWindow", d.window_request(want, window_id), "", d.WINDOW_SCHEMA))
            plan.changed_fields += diff

    current_tags = state.tags if state else {}
    plan.problems += d.tag_problems(desired.get("tags"), current_tags)
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
            plan, window_id, desired["targets"], current_targets, "targets", counter,
            referenced_target_ids(state.api_tasks) if state else ())
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

def _absent(want: Doc, current: t.Sequence[Doc], id_key: str, kind: str, same: t.Callable[[Doc, Doc], bool]
            ) -> t.Tuple[t.List[Doc], t.List[d.Problem]]:
    """What ``state: absent`` removes: the item with the ID (an ID that no longer exists is
    already absent; a name that contradicts it is refused), or every item with the name, or the
    unnamed item with this content."""
    if want.get(id_key) or not want.get("name"):
        matched = d.match_by_identity([want], current, id_key, kind, same)
        problems = [p for p in _relative("", matched.problems) if p.path != id_key]
        have = matched.pairs[0][1]
        return ([have] if have and not problems else []), problems
    return [c for c in current if c.get("name") == want["name"]], []


def plan_target(desired: Doc, present: bool, state: WindowState, model: t.Mapping[str, t.Any],
                force: bool = False) -> Plan:
    plan = Plan()
    want = d.normalize_target(desired)
    current_targets = state.targets()
    raw_tasks = _raw_tasks(state)
    if not present:
        gone, problems = _absent(want, current_targets, "window_target_id", "window target", _same_target)
        plan.problems += problems
        plan.before = gone[0] if gone else None
        if not force:
            plan.problems += _target_in_use_problems(gone, raw_tasks, "name")
        for target in gone:
            plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                               {"WindowId": state.window_id, "WindowTargetId": target["window_target_id"],
                                "Safe": not force}))
            plan.changed_fields.append(f"{target['window_target_id']}: deregistered")
        plan.after = None
        return finish(plan, model)

    plan.problems += d.value_problems(desired)
    plan.problems += [d.Problem(p.path.lstrip("."), p.message) for p in d.check_target(want, "")]
    _ids, result, _unmatched, replaced = _plan_targets(plan, state.window_id, [desired], current_targets, "",
                                                       _Counter(), referenced_target_ids(state.api_tasks))
    plan.changed_fields = [f.split("]", 1)[1].lstrip(".: ") if f.startswith("target[") else f
                           for f in plan.changed_fields]
    plan.before = next((c for c in current_targets if result and c["window_target_id"] == result[0]["window_target_id"]),
                       replaced[0] if replaced else None)
    if not force:
        plan.problems += _target_in_use_problems(replaced, raw_tasks, "resource_type")
    for target in replaced:
        plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                           {"WindowId": state.window_id, "WindowTargetId": target["window_target_id"],
                            "Safe": not force}))
    plan.after = _clean_ids(result[0]) if result else None
    return finish(plan, model)


# ---------------------------------------------------------------------------------------------
# mw_task

def plan_task(desired: Doc, present: bool, state: WindowState, candidates: t.Sequence[Doc],
              model: t.Mapping[str, t.Any], unknown_targets_ok: bool = False) -> Plan:
    """``candidates``: the current tasks that may be this one (same name or ID, or unnamed), in
    full (GetMaintenanceWindowTask).  ``unknown_targets_ok``: window targets named by the task
    may not exist yet (check mode, where an earlier task only predicted them)."""
    plan = Plan()
    names = state.target_names_by_id()
    ids_by_name = {v: k for k, v in names.items()}
    current = [d.task_from_api(x, names) for x in candidates]
    if not present:
        gone, problems = _absent(d.normalize_task(desired), current, "window_task_id", "task", _same_task)
        plan.problems += problems
        plan.before = gone[0] if gone else None
        for task in gone:
            plan.ops.append(Op("DeregisterTaskFromMaintenanceWindow",
                               {"WindowId": state.window_id, "WindowTaskId": task["window_task_id"]}))
            plan.changed_fields.append(f"{task['window_task_id']}: deregistered")
        plan.after = None
        return finish(plan, model)

    allow = state.api_window.get("AllowUnassociatedTargets")
    known = None if unknown_targets_ok else set(ids_by_name)
    problems = d.value_problems(desired) + d.check_task(desired, "", known, allow if isinstance(allow, bool) else None)
    plan.problems += [d.Problem(p.path.lstrip("."), p.message) for p in problems]
    tasks, _unmatched = _plan_tasks(plan, state.window_id, [desired], current, "", ids_by_name, _Counter())
    plan.changed_fields = [f.split("]", 1)[1].lstrip(".: ") if f.startswith("task[") else f for f in plan.changed_fields]
    plan.before = next((c for c in current if tasks and c["window_task_id"] == tasks[0]["window_task_id"]), None)
    plan.after = _clean_ids(tasks[0]) if tasks else None
    return finish(plan, model)
