# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The plan of window tasks: register, update, replace, deregister (``mw_task`` and the tasks of
``maintenance_window``). Pure: no boto3, no Ansible."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from . import _definition as d
from . import _definition_rules as rules
from ._definition import Problem
from ._plan import Counter
from ._plan import Doc
from ._plan import Op
from ._plan import Plan
from ._plan import WindowState
from ._plan import absent
from ._plan import change
from ._plan import clean_ids
from ._plan import field_change
from ._plan import finish
from ._plan import identity
from ._plan import match
from ._plan import new_target_id
from ._plan import new_task_id
from ._plan import observed
from ._plan import planned_pairs
from ._plan import same_task
from ._plan import token_seed


def canonical_task(task: Doc, ids_by_name: Mapping[str, str]) -> Doc:
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


def deregister_task_op(window_id: str, task: Doc) -> Op:
    return Op("DeregisterTaskFromMaintenanceWindow", {"WindowId": window_id, "WindowTaskId": task["window_task_id"]})


def plan_tasks(plan: Plan, window_id: str, desired: list[Doc], current: list[Doc], prefix: str,
               ids_by_name: Mapping[str, str], counter: Counter) -> tuple[list[Doc], list[Doc]]:
    """Register/update tasks (and deregister duplicates of kept ones).  Returns (resulting
    tasks, unmatched current tasks)."""
    # Unknown window-target names are reported by the vocabulary rules; stand-in IDs let the
    # rest of each request be validated too.
    unknown = sorted({e["window_target"] for x in desired for e in x.get("targets") or []
                      if e.get("window_target") and e["window_target"] not in ids_by_name})
    ids_by_name = dict(ids_by_name, **{n: new_target_id(0xfff000 + i) for i, n in enumerate(unknown)})
    wanted = [canonical_task(x, ids_by_name) for x in desired]
    matched = match(plan, wanted, current, prefix, "window_task_id", "task", same_task)
    result = []
    stale: list[Doc] = list(matched.extras)
    for path, name, want, have in planned_pairs(matched, prefix, "window_task_id"):
        if have is not None and "task_type" in d.task_differences(want, have):
            stale.append(have)
            plan.changed_fields.append(change(name, "replaced (task_type cannot change in place)"))
            have = None
        elif have is None:
            plan.changed_fields.append(change(name, "registered"))
        if have is None:
            task_id = new_task_id(counter.next())
            seed = token_seed(identity(want, d.task_content), observed(current, want, "window_task_id", d.task_content))
            plan.ops.append(Op("RegisterTaskWithMaintenanceWindow", d.task_request(want, window_id, ids_by_name), path,
                               d.TASK_SCHEMA, task_id, token_seed=seed))
        else:
            task_id = have["window_task_id"]
            diff = d.task_differences(want, have)
            if diff:
                plan.ops.append(Op("UpdateMaintenanceWindowTask", d.task_request(want, window_id, ids_by_name, task_id),
                                   path, d.TASK_SCHEMA))
                plan.changed_fields += [field_change(name, x) for x in diff]
        result.append(dict(want, window_task_id=task_id))
    # Replaced and duplicate tasks go after the registrations: a run killed in between leaves a
    # duplicate that the next run recognises (it is not the one equal to the definition).
    plan.ops += [deregister_task_op(window_id, task) for task in stale]
    return result, matched.unmatched


def resolved_tasks(tasks: Sequence[Doc], ids_by_name: Mapping[str, str]) -> list[Doc]:
    """Tasks with their targets as key/values IDs (for in-use checks)."""
    out = []
    for task in tasks:
        refs = [e["window_target"] for e in task.get("targets") or [] if e.get("window_target")]
        if not all(r in ids_by_name for r in refs):
            continue
        api = d.resolve_task_targets(task.get("targets"), ids_by_name) or []
        out.append(dict(task, targets=[{"key": x["Key"], "values": x["Values"]} for x in api]))
    return out


def plan_task(desired: Doc, present: bool, state: WindowState, candidates: Sequence[Doc], model,
              unknown_targets_ok: bool = False) -> Plan:
    """The plan of one task of an existing window (``mw_task``).

    ``candidates``: the current tasks that may be this one (same name or ID, or unnamed), in
    full (GetMaintenanceWindowTask).  ``unknown_targets_ok``: window targets named by the task
    may not exist yet (check mode, where an earlier task only predicted them)."""
    plan = Plan()
    names = state.target_names_by_id()
    ids_by_name = {v: k for k, v in names.items()}
    current = [d.task_from_api(x, names) for x in candidates]
    if not present:
        gone, problems = absent(d.normalize_task(desired), current, "window_task_id", "task", same_task)
        plan.problems += problems
        plan.before = gone[0] if gone else None
        plan.ops += [deregister_task_op(state.window_id, task) for task in gone]
        plan.changed_fields += [f"{task['window_task_id']}: deregistered" for task in gone]
        plan.after = None
        return finish(plan, model)

    allow = state.api_window.get("AllowUnassociatedTargets")
    known = None if unknown_targets_ok else set(ids_by_name)
    problems = rules.value_problems(desired) + rules.check_task(desired, "", known,
                                                                allow if isinstance(allow, bool) else None)
    plan.problems += [Problem(p.path.lstrip("."), p.message) for p in problems]
    tasks, _unmatched = plan_tasks(plan, state.window_id, [desired], current, "", ids_by_name, Counter())
    plan.before = next((c for c in current if tasks and c["window_task_id"] == tasks[0]["window_task_id"]), None)
    plan.after = clean_ids(tasks[0]) if tasks else None
    return finish(plan, model)
