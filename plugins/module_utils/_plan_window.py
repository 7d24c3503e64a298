# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The plan of a whole window (``maintenance_window``): the window, its tags, then its targets
and tasks through the same plans ``mw_target`` and ``mw_task`` use. Pure: no boto3, no Ansible."""

from __future__ import annotations

from . import _definition as d
from . import _definition_rules as rules
from ._plan import NEW_WINDOW_ID
from ._plan import CompareTags
from ._plan import Counter
from ._plan import Doc
from ._plan import Op
from ._plan import Plan
from ._plan import WindowState
from ._plan import finish
from ._plan import names_by_id
from ._plan import raw_tasks
from ._plan import referenced_target_ids
from ._plan import state_document
from ._plan import tag_ops
from ._plan import token_seed
from ._plan import window_document
from ._plan_target import deregister_targets
from ._plan_target import plan_targets
from ._plan_task import deregister_task_op
from ._plan_task import plan_tasks
from ._plan_task import resolved_tasks


def plan_window(desired: Doc | None, state: WindowState | None, model, *, compare_tags: CompareTags,
                purge_tags: bool = True, purge_targets: bool = True, purge_tasks: bool = True,
                force: bool = False) -> Plan:
    """Plan one window with (optionally) its targets and tasks; ``desired`` None means absent.

    ``compare_tags``: the AWS layer's tag comparison (``_ssm.window_tag_changes``).
    """
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
    plan.problems += rules.check_window_definition(desired, known_names)
    counter = Counter()
    window_id = state.window_id if state else NEW_WINDOW_ID
    want = d.normalize_window(desired)
    if state is None:
        plan.ops.append(Op("CreateMaintenanceWindow", d.window_request(want), "", d.WINDOW_SCHEMA, NEW_WINDOW_ID,
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
    plan.problems += rules.tag_problems(desired.get("tags"), current_tags)
    to_set, to_unset = compare_tags(current_tags, desired.get("tags"), purge_tags)
    plan.ops += tag_ops(window_id, to_set, to_unset)
    if to_set or to_unset:
        plan.changed_fields.append("tags")
    tags = {k: v for k, v in current_tags.items() if k not in to_unset}
    tags.update(to_set)

    # Targets
    deregister: list[Doc] = []
    replaced: list[Doc] = []
    if desired.get("targets") is not None:
        ids_by_name, targets, unmatched_targets, replaced = plan_targets(
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
        tasks, unmatched_tasks = plan_tasks(plan, window_id, desired["tasks"], current_tasks, "tasks",
                                            ids_by_name, counter)
        if purge_tasks:
            for task in unmatched_tasks:
                plan.ops.append(deregister_task_op(window_id, task))
                plan.changed_fields.append(f"tasks[{task.get('name') or task['window_task_id']}]: deregistered")
        else:
            tasks += unmatched_tasks
        remaining = resolved_tasks(tasks, ids_by_name)
    else:
        tasks = current_tasks
        remaining = raw_tasks(state) if state else []

    if deregister:
        deregister_targets(plan, window_id, deregister, remaining, force, "targets")
        plan.changed_fields += [f"targets[{target.get('name') or target['window_target_id']}]: deregistered"
                                for target in deregister if target not in replaced]
    plan.after = window_document(want, window_id, tags, targets, tasks)
    return finish(plan, model)
