"""Window definition + inventory -> plan: target resolution and executor-specific checks."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.plugin_utils import _executor_plan
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_plan import (
    InventoryHost,
    PlanError,
    host_tags,
    local_window_id,
)

botocore_loaders = pytest.importorskip("botocore.loaders")
MODEL = botocore_loaders.create_loader().load_service_model("ssm", "service-2")


def build_plan(window_, hosts, *args, **kwargs):
    return _executor_plan.build_plan(window_, hosts, MODEL, *args, **kwargs)


HOSTS = [
    InventoryHost("web1", {"Role": "web", "Env": "prod"}, frozenset({"all", "web"})),
    InventoryHost("web2", {"Role": "web", "Env": "test"}, frozenset({"all", "web"})),
    InventoryHost("db1", {"Role": "db", "Env": "prod", "Patch": ""}, frozenset({"all", "db"})),
    InventoryHost("lone", {}, frozenset({"all", "ungrouped"})),
]


def task(name="tsk", targets=None, **extra):
    base = {"name": name, "task_type": "RUN_COMMAND", "task_arn": "AWS-RunShellScript", "priority": 1,
            "targets": [{"window_target": "wtg"}] if targets is None else targets, "max_concurrency": "2", "max_errors": "0",
            "task_invocation_parameters": {"run_command": {"parameters": {"commands": ["true"]}}}}
    base.update(extra)
    return base


def window(targets, tasks, **extra):
    return {"name": "win", "duration": 2, "cutoff": 1, "targets": targets, "tasks": tasks, **extra}


def wt(*filters, name="wtg", resource_type="INSTANCE"):
    return {"name": name, "resource_type": resource_type, "targets": [{"key": k, "values": v} for k, v in filters]}


@pytest.mark.parametrize("filters,expected", [
    ([("tag:Role", ["web"])], ["web1", "web2"]),
    ([("tag:Role", ["web", "db"]), ("tag:Env", ["prod"])], ["web1", "db1"]),  # keys AND, values OR
    ([("tag-key", ["Patch"])], ["db1"]),
    ([("tag-key", ["Role", "Env"])], ["web1", "web2", "db1"]),
    ([("InstanceIds", ["db1", "web1"])], ["web1", "db1"]),  # inventory order
    ([("tag:Role", ["nothing"])], []),
])
def test_instance_targets(filters, expected):
    plan = build_plan(window([wt(*filters)], [task()]), HOSTS)
    assert list(plan.tasks[0].targets) == expected


def test_resource_group_is_an_inventory_group():
    target = wt(("resource-groups:Name", ["web"]), ("resource-groups:ResourceTypeFilters", ["AWS::EC2::Instance"]),
                resource_type="RESOURCE_GROUP")
    plan = build_plan(window([target], [task()]), HOSTS)
    assert plan.tasks[0].targets == ("web1", "web2")
    assert plan.tasks[0].groups[0].target_type == "RESOURCE_GROUP"


def test_task_targets_by_name_and_instance_ids_are_sequential_groups_without_duplicates():
    targets = [wt(("tag:Role", ["web"]), name="webs"), wt(("tag:Env", ["prod"]), name="prod")]
    t = task(targets=[{"window_target": "webs"}, {"key": "WindowTargetIds", "values": ["prod"]},
                      {"key": "InstanceIds", "values": ["lone", "web2"]}])
    plan = build_plan(window(targets, [t]), HOSTS)
    assert [g.hosts for g in plan.tasks[0].groups] == [("web1", "web2"), ("db1",), ("lone",)]
    assert plan.tasks[0].max_concurrency == 2


def test_percentages_resolve_over_the_task_targets():
    t = task(max_concurrency="50%", max_errors="50%", targets=[{"key": "InstanceIds", "values": ["web1", "web2", "db1"]}])
    spec = build_plan(window([], [t]), HOSTS).tasks[0]
    assert (spec.max_concurrency, spec.max_errors) == (1, 1)
    assert spec.max_concurrency_spec == "50%"


def test_seconds_override_for_tests():
    plan = build_plan(window([wt(("tag:Role", ["web"]))], [task()]), HOSTS, duration_seconds=20, cutoff_seconds=5)
    assert (plan.duration, plan.cutoff) == (20.0, 5.0)
    assert build_plan(window([wt(("tag:Role", ["web"]))], [task()]), HOSTS).duration == 7200.0


def test_every_problem_is_reported_before_anything_runs():
    tasks = [
        task("pss", task_arn="AWS-RunPowerShellScript"),
        task("fnc", task_type="LAMBDA"),
        task("missing", targets=[{"window_target": "nope"}]),
        task("rate", max_concurrency="0", max_errors="101%"),
        task("bad-key", targets=[{"key": "tag:X", "values": ["y"]}]),
        task("ghost", targets=[{"key": "InstanceIds", "values": ["ghost"]}]),
        task("no-targets", targets=[]),
        task("no-rate", max_concurrency=None),
        task("dup"), task("dup"),
        task("params", task_invocation_parameters={"run_command": {"parameters": {"commands": ["x"], "foo": ["1"]}}}),
        task("patch", task_arn="AWS-RunPatchBaseline",
             task_invocation_parameters={"run_command": {"parameters": {"Operation": ["Explode"]}}}),
        task("behavior", cutoff_behavior="STOP"),
    ]
    targets = [wt(("tag:Role", ["web"])), wt(("region", ["x"]), name="weird"),
               wt(("resource-groups:Name", ["nogroup"]), name="rgp", resource_type="RESOURCE_GROUP")]
    with pytest.raises(PlanError) as err:
        build_plan(window(targets, tasks, cutoff=2), HOSTS)
    text = str(err.value)
    # The modules' rules (_definition.check_task, _ssm_rules, _schedule) speak in paths of the definition.
    for expected in ("AWS-RunPowerShellScript", "LAMBDA", "'nope' is not defined", "max_concurrency '0'",
                     "max_errors '101%'", "tasks[4].targets[0].key: task targets are window_target names",
                     "'ghost' is not an inventory host", "tasks[6].targets: a RUN_COMMAND task needs targets",
                     "tasks[7].max_concurrency: required for a task with targets", "'dup' is used twice",
                     "'foo' is not supported", "Operation",
                     "tasks[12].cutoff_behavior: must be one of CONTINUE_TASK, CANCEL_TASK (got 'STOP')",
                     "'region' is not supported", "'nogroup' is not an inventory group",
                     "cutoff: 2 must be at most duration - 1 = 1"):
        assert expected in text, expected


def test_user_document_mapping():
    t = task(task_arn="Company-Thing")
    assert build_plan(window([wt(("tag:Role", ["web"]))], [t]), HOSTS,
                      {"Company-Thing": {"module": "ansible.builtin.ping"}}).tasks[0].task_arn == "Company-Thing"
    with pytest.raises(PlanError, match="needs a 'module'"):
        build_plan(window([wt(("tag:Role", ["web"]))], [t]), HOSTS, {"Company-Thing": {"args": {}}})


def test_host_tags_shapes_and_ids():
    assert host_tags({"A": 1, "B": None}) == {"A": "1", "B": ""}
    assert host_tags([{"Key": "A", "Value": "x"}, {"key": "B", "value": "y"}]) == {"A": "x", "B": "y"}
    assert host_tags(None) == {}
    wid = local_window_id("prod")
    assert wid == local_window_id("prod") and wid.startswith("mw-") and len(wid) == 20


def test_names_are_checked_by_the_modules_rule_before_anything_runs():
    # the same check_request + service model the maintenance_window modules use: one rule, one home
    attack = "t-{{ lookup('ansible.builtin.pipe', 'touch pwned') }}"
    targets = [wt(("tag:Role", ["web"])), wt(("tag:Role", ["db"]), name="bad name")]
    tasks = [task(attack), task("ok-task", task_arn="x" * 1601)]
    with pytest.raises(PlanError) as err:
        build_plan({**window(targets, tasks), "name": "w" * 129}, HOSTS)
    text = str(err.value)
    assert "tasks[0].name: must match the pattern ^[a-zA-Z0-9_\\-.]{3,128}$" in text
    assert "targets[1].name: must match the pattern" in text
    assert "\n- name: must have at most 128 characters" in text
    assert "tasks[1].task_arn: must have at most 1600 characters" in text


def test_a_target_entry_resolving_to_no_host_is_reported_per_task():
    targets = [wt(("tag:Role", ["web"]), name="webs"), wt(("tag:Role", ["nothing"]), name="empty")]
    t1 = task("mixed", targets=[{"window_target": "webs"}, {"window_target": "empty"}])
    t2 = task("dupes", targets=[{"window_target": "webs"}, {"key": "InstanceIds", "values": ["web1"]}])
    plan = build_plan(window(targets, [t1, t2]), HOSTS)
    mixed, dupes = plan.tasks
    assert mixed.targets == ("web1", "web2") and mixed.empty_targets == ("window target 'empty'",)
    assert dupes.empty_targets == ()  # web1 named twice: runs once, but nothing resolved to zero hosts
