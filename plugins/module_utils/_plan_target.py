# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The plan of window targets: register, update, replace, deregister (``mw_target`` and the
targets of ``maintenance_window``). Pure: no boto3, no Ansible."""

from __future__ import annotations

from collections.abc import Collection, Sequence

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
from ._plan import observed
from ._plan import planned_pairs
from ._plan import raw_tasks
from ._plan import referenced_target_ids
from ._plan import same_target
from ._plan import token_seed


def plan_targets(plan: Plan, window_id: str, desired: list[Doc], current: list[Doc], prefix: str,
                 counter: Counter, referenced: Collection[str] = ()
                 ) -> tuple[dict[str, str], list[Doc], list[Doc], list[Doc]]:
    """Register/update targets.  Returns (IDs by name, resulting targets, unmatched current
    targets, current targets to deregister whatever the purge option: replaced ones and
    duplicates of a kept one)."""
    wanted = [d.normalize_target(x) for x in desired]
    matched = match(plan, wanted, current, prefix, "window_target_id", "window target", same_target, referenced)
    ids_by_name: dict[str, str] = {}
    result: list[Doc] = []
    replaced: list[Doc] = list(matched.extras)
    for path, name, want, have in planned_pairs(matched, prefix, "window_target_id"):
        if have is None or "resource_type" in d.target_differences(want, have):
            target_id = new_target_id(counter.next())
            seed = token_seed(identity(want, d.target_content),
                              observed(current, want, "window_target_id", d.target_content))
            plan.ops.append(Op("RegisterTargetWithMaintenanceWindow", d.target_request(want, window_id), path,
                               d.TARGET_SCHEMA, target_id, token_seed=seed))
            if have is None:
                plan.changed_fields.append(change(name, "registered"))
            else:
                # Register first, deregister last: a run killed in between leaves two targets of
                # one name, and the next run keeps the one that matches the definition.
                replaced.append(have)
                plan.changed_fields.append(change(name, "replaced (resource_type cannot change in place)"))
        else:
            target_id = have["window_target_id"]
            diff = d.target_differences(want, have)
            if diff:
                plan.ops.append(Op("UpdateMaintenanceWindowTarget", d.target_request(want, window_id, target_id),
                                   path, d.TARGET_SCHEMA))
                plan.changed_fields += [field_change(name, x) for x in diff]
        if want.get("name"):
            ids_by_name[want["name"]] = target_id
        result.append(dict(want, window_target_id=target_id))
    return ids_by_name, result, matched.unmatched, replaced


def target_in_use_problems(targets: Sequence[Doc], remaining_tasks: Sequence[Doc], path: str) -> list[Problem]:
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
            problems.append(Problem(path, f"window target '{target.get('name') or target['window_target_id']}' "
                                          f"({target['window_target_id']}) is used by task(s) {', '.join(users)}; "
                                          f"remove it from those tasks first, or set force: true"))
    return problems


def deregister_targets(plan: Plan, window_id: str, targets: Sequence[Doc], remaining_tasks: Sequence[Doc],
                       force: bool, problem_path: str) -> None:
    """Deregister ``targets`` last; without ``force`` a target a remaining task uses is refused."""
    if not force:
        plan.problems += target_in_use_problems(targets, remaining_tasks, problem_path)
    for target in targets:
        plan.ops.append(Op("DeregisterTargetFromMaintenanceWindow",
                           {"WindowId": window_id, "WindowTargetId": target["window_target_id"], "Safe": not force}))


def plan_target(desired: Doc, present: bool, state: WindowState, model, force: bool = False) -> Plan:
    """The plan of one target of an existing window (``mw_target``)."""
    plan = Plan()
    want = d.normalize_target(desired)
    current_targets = state.targets()
    if not present:
        gone, problems = absent(want, current_targets, "window_target_id", "window target", same_target)
        plan.problems += problems
        plan.before = gone[0] if gone else None
        deregister_targets(plan, state.window_id, gone, raw_tasks(state), force, "name")
        plan.changed_fields += [f"{target['window_target_id']}: deregistered" for target in gone]
        plan.after = None
        return finish(plan, model)

    plan.problems += rules.value_problems(desired)
    plan.problems += [Problem(p.path.lstrip("."), p.message) for p in rules.check_target(want, "")]
    _ids, result, _unmatched, replaced = plan_targets(plan, state.window_id, [desired], current_targets, "",
                                                      Counter(), referenced_target_ids(state.api_tasks))
    plan.before = next((c for c in current_targets if result and c["window_target_id"] == result[0]["window_target_id"]),
                       replaced[0] if replaced else None)
    deregister_targets(plan, state.window_id, replaced, raw_tasks(state), force, "resource_type")
    plan.after = clean_ids(result[0]) if result else None
    return finish(plan, model)
