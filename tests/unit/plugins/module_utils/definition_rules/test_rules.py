"""The definition-rules core: names, references between targets and tasks, unassociated targets.

Request rules ("a RUN_COMMAND task needs targets", target quotas) have one home, ``_ssm_rules``:
a definition that breaks them is still refused before any write, by the plan's validation.
"""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _definition_rules as rules
from ansible_collections.mwops.ssm.plugins.module_utils import _plan as p
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm_rules

from ..plan.test_plan import MODEL, plan_window


def _paths(problems):
    return [x.path for x in problems]


WINDOW = {
    "name": "w-1", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0, "allow_unassociated_targets": False,
    "targets": [{"name": "web", "targets": [{"key": "tag:A", "values": ["x"]}]},
                {"name": "web", "targets": [{"key": "tag:A", "values": ["y"]}]},
                {"targets": [{"key": "tag:A", "values": ["z"]}]}],
    "tasks": [{"name": "a", "task_type": "RUN_COMMAND", "task_arn": "X"},
              {"name": "b", "task_type": "AUTOMATION", "task_arn": "X", "targets": [{"window_target": "nope"}],
               "max_concurrency": "1", "max_errors": "0"},
              {"name": "c", "task_type": "AUTOMATION", "task_arn": "X", "max_errors": "1",
               "task_invocation_parameters": {"run_command": {"comment": "x"}}},
              {"name": "d", "task_type": "RUN_COMMAND", "task_arn": "X",
               "targets": [{"key": "InstanceIds", "values": ["i-1"]}], "max_concurrency": "1",
               "max_errors": "0",
               "task_invocation_parameters": {"run_command": {"parameters": {"x": "{{TARGET_ID}}"}}}}],
}


def test_definition_rules():
    paths = _paths(rules.check_window_definition(WINDOW))
    assert "targets[1].name" in paths  # duplicate name
    assert not any(x.startswith("targets[2]") for x in paths)  # unnamed: identified by its content
    assert "tasks[1].targets[0].window_target" in paths
    assert "tasks[2].max_errors" in paths
    assert "tasks[2].task_invocation_parameters.run_command" in paths
    assert "tasks[3].targets[0].key" in paths  # InstanceIds without allow_unassociated_targets
    assert "tasks[3].task_invocation_parameters.run_command.parameters" in paths


def test_run_command_needs_targets_has_one_home():
    # Not a vocabulary rule any more: the request rule reports it, under the vocabulary path.
    assert "tasks[0].targets" not in _paths(rules.check_window_definition(WINDOW))
    assert [v.path for v in _ssm_rules.check_task_fields({"TaskType": "RUN_COMMAND", "Targets": []})] == ["Targets"]
    with pytest.raises(p.DefinitionError) as err:
        plan_window(WINDOW, None, MODEL)
    found = [x for x in err.value.problems if x.path == "tasks[0].targets"]
    assert found and "RUN_COMMAND" in found[0].message


@pytest.mark.parametrize("count, limit", [(_ssm_rules.MAX_WINDOW_TARGET_IDS_PER_TASK + 1,
                                           _ssm_rules.MAX_WINDOW_TARGET_IDS_PER_TASK)])
def test_task_target_quota_comes_from_the_request_rules(count, limit):
    window = {"name": "w-1", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0,
              "targets": [{"name": f"t{n:02d}", "targets": [{"key": "tag:R", "values": ["r"]}]} for n in range(count)],
              "tasks": [{"name": "a", "task_type": "AUTOMATION", "task_arn": "X", "max_concurrency": "1",
                         "max_errors": "0", "targets": [{"window_target": f"t{n:02d}"} for n in range(count)]}]}
    assert rules.check_window_definition(window) == []
    with pytest.raises(p.DefinitionError) as err:
        plan_window(window, None, MODEL)
    found = [x for x in err.value.problems if x.path == "tasks[0].targets"]
    assert found and f"1 to {limit} values (got {count})" in found[0].message


def test_values_as_given():
    paths = _paths(rules.value_problems({"duration": True, "description": "", "tags": {"k": ""},
                                         "tasks": [{"priority": False, "parameters": {"p": {"a": 1}}}]}))
    assert paths == ["duration", "description", "tasks[0].priority", "tasks[0].parameters['p']"]
