# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""From a window definition and an inventory to an executable plan, checked before anything runs.

Pure functions, no Ansible imports. Targets resolve to inventory hosts in ``_executor_targets``.

The rules are the modules' own; this file adds only what is local (the inventory, the documents
the executor can run, durations in seconds for tests):

* names, task ARNs, priorities and cutoff_behavior values: ``_ssm_rules.check_request`` over
  botocore's service model, which the caller passes in;
* the vocabulary rules of a task (RUN_COMMAND needs targets, rate controls with targets, target
  entry shapes): ``_definition.check_task``;
* duration and cutoff: ``_schedule.duration_cutoff_problems``.

A definition that SSM or the modules would refuse never reaches a child run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils._definition import check_task as check_task_rules
from ansible_collections.mwops.ssm.plugins.module_utils._plan import NEW_WINDOW_ID, new_target_id, new_task_id
from ansible_collections.mwops.ssm.plugins.module_utils._rate_control import (
    RateControlError,
    parse_max_concurrency,
    parse_max_errors,
    resolve_max_concurrency,
    resolve_max_errors,
)
from ansible_collections.mwops.ssm.plugins.module_utils._schedule import duration_cutoff_problems
from ansible_collections.mwops.ssm.plugins.module_utils._ssm_rules import check_request, check_task_fields
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_core import CONTINUE_TASK, TaskPlan, WindowPlan
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_documents import check_task
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_targets import (
    InventoryHost,
    TargetGroup,
    empty_target_labels,
    host_tags,
    local_uuid,
    resolve_task_groups,
    resolve_window_targets,
)

HOUR = 3600.0
RATE_CONTROLS = ("max_concurrency", "max_errors")
DEFAULT_PRIORITY = 1


class PlanError(ValueError):
    """The window cannot run locally; ``problems`` lists every reason found."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("The window cannot run with the local executor:\n- " + "\n- ".join(self.problems))


@dataclass(frozen=True)
class TaskSpec:
    """Everything the engine and the gate need about one task."""

    name: str
    window_task_id: str
    task_type: str
    task_arn: str
    priority: int
    max_concurrency_spec: str
    max_errors_spec: str
    max_concurrency: int  # resolved, before any forks ceiling
    max_errors: int
    cutoff_behavior: str
    parameters: Mapping[str, Any]
    groups: tuple[TargetGroup, ...]
    empty_targets: tuple[str, ...] = ()  # target entries that resolved to no inventory host

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(h for g in self.groups for h in g.hosts)

    def plan(self, concurrency_ceiling: int | None = None) -> TaskPlan:
        conc = self.max_concurrency if not concurrency_ceiling else min(self.max_concurrency, concurrency_ceiling)
        return TaskPlan(self.name, self.priority, tuple(g.hosts for g in self.groups), conc,
                        self.max_errors, self.cutoff_behavior)


@dataclass(frozen=True)
class ExecutionPlan:
    window_name: str
    window_id: str
    duration: float
    cutoff: float
    tasks: tuple[TaskSpec, ...]
    tags: Mapping[str, str] = field(default_factory=dict)  # the definition's, for the change reference
    description: str | None = None
    targets: Mapping[str, TargetGroup] = field(default_factory=dict)  # window targets by name

    def window_plan(self, concurrency_ceiling: int | None = None) -> WindowPlan:
        return WindowPlan(self.window_name, self.duration, self.cutoff,
                          tuple(t.plan(concurrency_ceiling) for t in self.tasks))


def local_window_id(name: str) -> str:
    """A stable ``mw-`` + 17 hex digits ID for a window run locally (same pattern as SSM's)."""
    return "mw-" + hashlib.sha256(name.encode()).hexdigest()[:17]


def _seconds(window: Mapping[str, Any], key: str, override: float | None, default: float | None) -> float | None:
    if override is not None:
        return float(override)
    value = window.get(key, default)
    return None if value is None else float(value) * HOUR


def empty_targets_reason(task: TaskSpec, allowed: bool) -> str | None:
    """The one rule for target entries that resolve to no inventory host, or None when all have hosts.

    Such a task fails (preflight ``fail`` before the run, ``FAILED`` in the history) unless
    ``allow_empty_targets`` is set; then it is a warning and the task runs on the hosts it has.
    """
    if not task.empty_targets:
        return None
    empty = f"{', '.join(task.empty_targets)} resolved to 0 inventory hosts"
    if allowed:
        return f"No targets: {empty} (allowed by allow_empty_targets)."
    return (f"Failed: {empty}; the task did not run there. Fix the targets or the inventory, "
            "or set allow_empty_targets.")


def _task_spec(task: Mapping[str, Any], window_name: str, window_targets: dict[str, TargetGroup],
               hosts: Sequence[InventoryHost], group_names: set[str], user_documents: Mapping[str, Any],
               problems: list[str]) -> TaskSpec | None:
    name = task.get("name")
    label = f"task {name!r}"
    local: list[str] = []
    task_type = str(task.get("task_type", "RUN_COMMAND"))
    arn = task.get("task_arn")
    run_command = ((task.get("task_invocation_parameters") or {}).get("run_command") or {})
    parameters = run_command.get("parameters") or {}
    if not isinstance(arn, str) or not arn:
        local.append("needs a task_arn (the document name)")
    else:
        local += check_task(task_type, arn, parameters, user_documents)
    # Priority and cutoff_behavior values are checked by the API rules (check_api_rules); a
    # value they refuse stops the plan, so the stand-ins below never run.
    priority = task.get("priority", DEFAULT_PRIORITY)
    if isinstance(priority, bool) or not isinstance(priority, int) or priority < 0:
        priority = 0
    behavior = task.get("cutoff_behavior", CONTINUE_TASK)
    groups, group_problems = resolve_task_groups(task, window_name, window_targets, hosts, group_names)
    local += group_problems
    empty = empty_target_labels(groups)
    targets = [h for g in groups for h in g.hosts]
    specs: list[str] = []
    resolved: list[int] = []
    for field_name, parse, resolve in zip(RATE_CONTROLS, (parse_max_concurrency, parse_max_errors),
                                          (resolve_max_concurrency, resolve_max_errors)):
        if task.get(field_name) is None:  # reported by the task rules (_definition.check_task)
            specs.append("1")
            resolved.append(1)
            continue
        try:
            specs.append(parse(task[field_name]))
            resolved.append(resolve(task[field_name], targets))
        except RateControlError as exc:
            local.append(str(exc))
            specs.append("1")
            resolved.append(1)
    problems += [f"{label} {p}" for p in local]
    if local or any(task.get(name) is None for name in RATE_CONTROLS):
        return None
    return TaskSpec(str(name), local_uuid(window_name, "task", str(name)), task_type, str(arn), priority,
                    specs[0], specs[1], resolved[0], resolved[1], str(behavior), dict(parameters), tuple(groups),
                    empty)


# Each field is checked by the Update* request that would carry it, so the partial-request rules
# of _ssm_rules apply only the member constraints (pattern, length, type, enum, range) of the
# fields themselves.
_API_CHECKS = (
    ("UpdateMaintenanceWindow", {"WindowId": NEW_WINDOW_ID}, {"Name": "name"}),
    ("UpdateMaintenanceWindowTarget", {"WindowId": NEW_WINDOW_ID, "WindowTargetId": new_target_id(0)},
     {"Name": "name"}),
    ("UpdateMaintenanceWindowTask", {"WindowId": NEW_WINDOW_ID, "WindowTaskId": new_task_id(0)},
     {"Name": "name", "TaskArn": "task_arn", "Priority": "priority", "CutoffBehavior": "cutoff_behavior"}),
)


def check_api_rules(window: Mapping[str, Any], model: Mapping[str, Any]) -> list[str]:
    """Names, task ARNs, priorities and cutoff behaviours that SSM would refuse, as ``path: rule``
    in the window vocabulary."""
    window_check, target_check, task_check = _API_CHECKS
    parts: list[tuple[tuple[str, dict[str, Any], dict[str, str]], str, Mapping[str, Any]]] = [
        (window_check, "", window)]
    parts += [(target_check, f"targets[{i}].", t) for i, t in enumerate(window.get("targets") or [])
              if isinstance(t, Mapping)]
    parts += [(task_check, f"tasks[{i}].", t) for i, t in enumerate(window.get("tasks") or [])
              if isinstance(t, Mapping)]
    problems: dict[str, str] = {}
    for (operation, ids, members), prefix, part in parts:
        request = {**ids, **{api: part[key] for api, key in members.items() if part.get(key) is not None}}
        for violation in check_request(operation, request, model):
            key = members.get(violation.path.split(".")[0].split("[")[0])
            if key is not None:
                problems.setdefault(f"{prefix}{key}", violation.message)  # one rule per field
    return [f"{path}: {message}" for path, message in problems.items()]


def task_rule_problems(task: Any, path: str) -> list[str]:
    """The modules' vocabulary rules of one task (``_definition.check_task``), as ``path: rule``.

    Window-target references and InstanceIds are left to the inventory checks of this plan."""
    if not isinstance(task, Mapping):
        return []
    entries = task.get("targets") or []
    if not isinstance(entries, (list, tuple)) or not all(isinstance(entry, Mapping) for entry in entries):
        return []  # reported by the target resolution
    # Only targets and rate controls: the executor substitutes pseudo parameters that SSM refuses
    # in Run Command tasks ({{TARGET_ID}}), and its documents are checked by _executor_documents.
    view = {key: task.get(key) for key in ("targets", *RATE_CONTROLS)}
    view["task_type"] = task.get("task_type", "RUN_COMMAND")
    problems = [str(problem) for problem in check_task_rules(view, path, None, None)
                if not _mixed_target_kinds(problem, path)]
    if not entries:
        # The API's rule on targetless tasks (a RUN_COMMAND task needs targets), from its one home;
        # the other target rules wait for the inventory resolution of this plan.
        problems += [f"{path}.targets: {violation.message}"
                     for violation in check_task_fields({"TaskType": view["task_type"], "Targets": []})
                     if violation.path == "Targets"]
    return problems


def _mixed_target_kinds(problem: Any, path: str) -> bool:
    """The one module rule the executor relaxes: a task may name window targets and InstanceIds
    together, as target groups run one after another (docs/local-executor.md)."""
    return problem.path == f"{path}.targets" and str(problem.message).startswith("use window targets or InstanceIds")


def _duration_cutoff(window: Mapping[str, Any], duration_seconds: float | None, cutoff_seconds: float | None,
                     problems: list[str]) -> tuple[float, float]:
    """Duration and cutoff in seconds: hours by the schedule rules, or seconds given for local tests."""
    errors = duration_cutoff_problems(window.get("duration") if duration_seconds is None else None,
                                      window.get("cutoff") if cutoff_seconds is None else None)
    problems += [str(error) for error in errors]
    invalid = {error.field for error in errors}
    duration = None if "duration" in invalid else _seconds(window, "duration", duration_seconds, None)
    cutoff = 0.0 if "cutoff" in invalid else _seconds(window, "cutoff", cutoff_seconds, 0)
    if duration is None:
        if "duration" not in invalid:
            problems.append("the window needs a duration (hours; or duration_seconds for local tests)")
        return 0.0, 0.0
    if duration_seconds is not None or cutoff_seconds is not None:
        # Seconds exist only here: the schedule rule "tasks need time to start", in seconds.
        if duration <= 0 or cutoff is None or cutoff < 0 or cutoff >= duration:
            problems.append(f"cutoff must be at least 0 and less than the duration ({cutoff} s vs {duration} s)")
            return max(duration, 0.0), 0.0
    return duration, cutoff or 0.0


def build_plan(window: Mapping[str, Any], hosts: Sequence[InventoryHost], model: Mapping[str, Any],
               user_documents: Mapping[str, Any] | None = None, duration_seconds: float | None = None,
               cutoff_seconds: float | None = None) -> ExecutionPlan:
    """Check a window definition against SSM's rules (``model``: botocore's SSM service model) and
    the inventory, and resolve it; raise PlanError on problems."""
    user_documents = user_documents or {}
    if not isinstance(window, Mapping):
        raise PlanError([f"the window definition must be a dictionary, got {type(window).__name__}"])
    problems: list[str] = check_api_rules(window, model)
    name = window.get("name")
    if not isinstance(name, str) or not name:
        problems.append("the window needs a name")
        name = ""
    duration, cutoff = _duration_cutoff(window, duration_seconds, cutoff_seconds, problems)
    group_names = {g for h in hosts for g in h.groups}
    window_targets = resolve_window_targets(window, hosts, group_names, problems)
    tasks: list[TaskSpec] = []
    seen: set[str] = set()
    for index, task in enumerate(window.get("tasks") or []):
        problems += task_rule_problems(task, f"tasks[{index}]")
        if not isinstance(task, Mapping) or not isinstance(task.get("name"), str):
            problems.append(f"task {task!r} needs a name")
            continue
        if task["name"] in seen:
            problems.append(f"task name {task['name']!r} is used twice")
            continue
        seen.add(task["name"])
        spec = _task_spec(task, name, window_targets, hosts, group_names, user_documents, problems)
        if spec is not None:
            tasks.append(spec)
    if problems:
        raise PlanError(problems)
    description = window.get("description")
    return ExecutionPlan(name, local_window_id(name), duration, cutoff, tuple(tasks), host_tags(window.get("tags")),
                         None if description is None else str(description), window_targets)
