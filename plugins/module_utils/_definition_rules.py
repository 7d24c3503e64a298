# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The rules of the window definition vocabulary: what no single API request can check.

Pure (no boto3, no Ansible). Problems are named by our snake_case field paths
(``tasks[1].targets[0].window_target``). The homes of the other rules:

- one API request's shapes and values (lengths, patterns, "a RUN_COMMAND task needs targets",
  target quotas): ``_ssm_rules``, run by ``_plan.finish`` on every planned request;
- schedules (cutoff below duration, dates, time zone, offset): ``_schedule.validate_window_schedule``.

Here: values as given (before normalisation could hide them), unique names, references
between targets and tasks, unassociated targets, and the shape of a definition's targets.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from ._definition_identity import target_content
from ._definition_identity import task_content
from ._definition_values import INSTANCE_IDS
from ._definition_values import RUN_COMMAND_FORBIDDEN_PSEUDO
from ._definition_values import WINDOW_TARGET_IDS
from ._definition_values import default_resource_type
from ._definition_vocabulary import INVOCATION_KEY_FOR_TYPE
from ._definition_vocabulary import Problem

Doc = dict[str, t.Any]

# Integer fields of the vocabulary (a YAML true/false is not a number, although Python says so).
INTEGER_FIELDS = frozenset(("schedule_offset", "duration", "cutoff", "priority", "timeout_seconds"))
# Opaque maps checked by their own rule (document parameters) or elsewhere (tags).
_OPAQUE_FIELDS = frozenset(("parameters", "tags"))
RESERVED_TAG_PREFIX = "aws:"
_SCALARS = (str, int, float, bool)


def join_path(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


# ---------------------------------------------------------------------------------------------
# Values: types and emptiness the API refuses, checked on the definition as given

def value_problems(value: t.Any, path: str = "", key: str = "") -> list[Problem]:
    """Booleans where integers belong, and empty strings (AWS refuses "" in every field of a
    window, target or task: names, descriptions, ARNs, target values...)."""
    if key in INTEGER_FIELDS and isinstance(value, bool):
        return [Problem(path, f"must be an integer, not the boolean {str(value).lower()}")]
    if isinstance(value, str):
        return [Problem(path, "must not be an empty string (leave the option out instead)")] if value == "" else []
    problems: list[Problem] = []
    if isinstance(value, dict):
        for sub_key, sub in value.items():
            sub_path = join_path(path, str(sub_key))
            if sub_key == "parameters":
                problems += parameter_problems(sub, sub_path)
            elif sub_key not in _OPAQUE_FIELDS and sub is not None:
                problems += value_problems(sub, sub_path, str(sub_key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            problems += value_problems(item, f"{path}[{index}]", key)
    return problems


def parameter_problems(params: t.Any, path: str) -> list[Problem]:
    """Document parameters are a map of name to a string or a list of strings (numbers and
    booleans are written as strings); maps and nested lists have no string form SSM could run."""
    if params is None:
        return []
    if not isinstance(params, dict):
        return [Problem(path, f"must be a map of parameter name to a string or a list of strings "
                              f"(got {type(params).__name__})")]
    problems = []
    for name, value in params.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        bad = [v for v in values if v is not None and not isinstance(v, _SCALARS)]
        if bad:
            message = f"must be a string or a list of strings (got a {type(bad[0]).__name__} inside)"
            problems.append(Problem(f"{path}['{name}']", message))
    return problems


def tag_problems(tags: t.Any, current: Mapping[str, str]) -> list[Problem]:
    """Tag keys starting with aws: are reserved for AWS and refused by the tagging API.

    Such a tag that AWS set itself (CloudFormation's) may be listed with its current value, as
    ``maintenance_window_info`` returns it: that writes nothing. Any other is refused.
    """
    if not isinstance(tags, dict):
        return []
    return [Problem(f"tags['{k}']", f"tag keys starting with '{RESERVED_TAG_PREFIX}' are reserved for AWS and "
                                    f"cannot be set")
            for k, v in tags.items() if str(k).lower().startswith(RESERVED_TAG_PREFIX) and current.get(k) != v]


# ---------------------------------------------------------------------------------------------
# Names: unique among a window's targets and among its tasks

def _named(kind: str, items: Sequence[Doc], prefix: str, id_key: str,
           content: Callable[[Doc], t.Any]) -> list[Problem]:
    """Names are unique among the listed items; unnamed items are told apart by their content."""
    problems = []
    seen: dict[str, int] = {}
    unnamed: list[tuple[t.Any, int]] = []
    for index, item in enumerate(items):
        path = f"{prefix}[{index}]"
        name = item.get("name")
        if name:
            if name in seen:
                problems.append(Problem(f"{path}.name", f"duplicate {kind} name '{name}' (also {prefix}[{seen[name]}])"))
            seen.setdefault(name, index)
        elif not item.get(id_key):
            key = content(item)
            twin = next((i for k, i in unnamed if k == key), None)
            if twin is not None:
                problems.append(Problem(path, f"duplicate unnamed {kind} (same content as {prefix}[{twin}]); "
                                              f"give them names"))
            unnamed.append((key, index))
    return problems


# ---------------------------------------------------------------------------------------------
# One target, one task

def check_target(target: Doc, path: str) -> list[Problem]:
    problems = []
    resource_type = target.get("resource_type") or default_resource_type(target.get("targets"))
    entries = target.get("targets") or []
    if not entries:
        problems.append(Problem(f"{path}.targets", "a window target needs at least one key/values entry"))
    for index, entry in enumerate(entries):
        key = str(entry.get("key") or "")
        values = entry.get("values") or []
        epath = f"{path}.targets[{index}]"
        if not values:
            problems.append(Problem(f"{epath}.values", f"key '{key}' needs at least one value"))
        if key.startswith("resource-groups:") and resource_type != "RESOURCE_GROUP":
            problems.append(Problem(f"{epath}.key", f"'{key}' needs resource_type RESOURCE_GROUP"))
        if resource_type == "RESOURCE_GROUP" and not key.startswith("resource-groups:"):
            problems.append(Problem(f"{epath}.key",
                                    f"resource_type RESOURCE_GROUP takes resource-groups:Name / "
                                    f"resource-groups:ResourceTypeFilters keys, not '{key}'"))
        if key == "resource-groups:Name" and len(values) > 1:
            problems.append(Problem(f"{epath}.values", "only one resource group can be a target"))
    return problems


def _strings_in(value: t.Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings_in(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings_in(v)


def _task_target_problems(entries: Sequence[Doc], path: str, target_names: Collection[str] | None,
                          allow_unassociated_targets: bool | None) -> list[Problem]:
    """References to window targets by name, and InstanceIds on a window that refuses them.

    The counts (at most 10 window targets, 50 instance IDs) and "a RUN_COMMAND task needs
    targets" are request rules: ``_ssm_rules`` checks them on the resolved request.
    """
    problems = []
    kinds = set()
    for index, entry in enumerate(entries):
        epath = f"{path}.targets[{index}]"
        if entry.get("window_target"):
            if entry.get("key") or entry.get("values"):
                problems.append(Problem(epath, "give either window_target or key/values, not both"))
            kinds.add(WINDOW_TARGET_IDS)
            if target_names is not None and entry["window_target"] not in target_names:
                known = ", ".join(sorted(target_names)) or "none"
                problems.append(Problem(f"{epath}.window_target",
                                        f"unknown window target '{entry['window_target']}' (known: {known})"))
            continue
        key = entry.get("key")
        if key not in (WINDOW_TARGET_IDS, INSTANCE_IDS):
            problems.append(Problem(f"{epath}.key", f"task targets are window_target names, WindowTargetIds "
                                                    f"or InstanceIds, not '{key}'"))
        if not entry.get("values"):
            problems.append(Problem(f"{epath}.values", "needs at least one value"))
        kinds.add(key)
        if key == INSTANCE_IDS and allow_unassociated_targets is False:
            problems.append(Problem(f"{epath}.key", "InstanceIds in a task need allow_unassociated_targets: true "
                                                    "on the window (otherwise use registered window targets)"))
    if len(kinds) > 1:
        problems.append(Problem(f"{path}.targets", "use window targets or InstanceIds, not both"))
    return problems


def check_task(task: Doc, path: str, target_names: Collection[str] | None,
               allow_unassociated_targets: bool | None) -> list[Problem]:
    """Cross-field rules of one task.  ``target_names`` None means "not known here"."""
    task_type = task.get("task_type")
    entries = task.get("targets") or []
    problems = _task_target_problems(entries, path, target_names, allow_unassociated_targets)
    for field in ("max_concurrency", "max_errors"):
        given = task.get(field) not in (None, "")
        if entries and not given:
            problems.append(Problem(f"{path}.{field}", "required for a task with targets"))
        elif not entries and given:
            problems.append(Problem(f"{path}.{field}", "tasks without targets don't support it (AWS inserts a placeholder)"))
    invocation = task.get("task_invocation_parameters") or {}
    expected = INVOCATION_KEY_FOR_TYPE.get(str(task_type))
    for key in [k for k, v in invocation.items() if v]:
        if expected and key != expected:
            problems.append(Problem(f"{path}.task_invocation_parameters.{key}",
                                    f"only for task_type {key.upper()}; this task is {task_type} "
                                    f"(use task_invocation_parameters.{expected})"))
    run = invocation.get("run_command") if task_type == "RUN_COMMAND" else None
    if run:
        for text in _strings_in(run.get("parameters")):
            for pseudo in RUN_COMMAND_FORBIDDEN_PSEUDO:
                if pseudo in text:
                    problems.append(Problem(f"{path}.task_invocation_parameters.run_command.parameters",
                                            f"{pseudo} can't be used in Run Command tasks (only Automation, "
                                            f"Lambda and Step Functions)"))
    return problems


# ---------------------------------------------------------------------------------------------
# A whole window

def check_window_definition(window: Doc, known_target_names: Collection[str] | None = None) -> list[Problem]:
    """Rules across the window, its targets and its tasks (names, references).

    ``known_target_names``: names of the window's existing targets, used when the definition
    does not list its targets (they are then left as they are).
    """
    targets = window.get("targets") or []
    tasks = window.get("tasks") or []
    problems = value_problems(window)
    problems += _named("window target", targets, "targets", "window_target_id", target_content)
    problems += _named("task", tasks, "tasks", "window_task_id", task_content)
    for index, target in enumerate(targets):
        problems += check_target(target, f"targets[{index}]")
    names = {tg["name"] for tg in targets if tg.get("name")}
    if window.get("targets") is None and known_target_names is not None:
        names = set(known_target_names)
    allow = bool(window.get("allow_unassociated_targets"))
    for index, task in enumerate(tasks):
        problems += check_task(task, f"tasks[{index}]", names, allow)
    return problems
