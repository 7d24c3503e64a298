"""Bad input is refused before the first write, with an error naming the field and the rule.

A table of invalid definitions (API shape constraints, the spec's cross-field rules and the
vocabulary's own rules) runs through the modules in one playbook; every case must fail with its
field path (in the modules' vocabulary, e.g. ``tasks[1].max_concurrency``) and the rule in the
message, and the sandbox's request log must show no write call for the whole run.
"""

from __future__ import annotations

import copy
import json
import uuid

import pytest

from . import mw_harness as H

NAME = f"val-{uuid.uuid4().hex[:8]}"

BASE = {
    "name": NAME,
    "schedule": "cron(0 2 ? * TUE#2 *)",
    "duration": 4,
    "cutoff": 1,
    "targets": [{"name": "web", "targets": [{"key": "tag:Role", "values": ["web"]}]}],
    "tasks": [
        {"name": "patch", "task_type": "RUN_COMMAND", "task_arn": "AWS-RunPatchBaseline",
         "targets": [{"window_target": "web"}], "max_concurrency": "10%", "max_errors": "1",
         "task_invocation_parameters": {"run_command": {"parameters": {"Operation": "Install"}}}},
        {"name": "notify", "task_type": "LAMBDA", "task_arn": "arn:aws:lambda:us-east-1:123456789012:function:f",
         "task_invocation_parameters": {"lambda": {"payload": "{}"}}},
    ],
}


def window(**changes):
    doc = copy.deepcopy(BASE)
    doc.update(changes)
    return doc


def task0(**changes):
    doc = copy.deepcopy(BASE)
    doc["tasks"][0].update(changes)
    return doc


def run_command(**changes):
    doc = copy.deepcopy(BASE)
    doc["tasks"][0]["task_invocation_parameters"]["run_command"].update(changes)
    return doc


def target0(**changes):
    doc = copy.deepcopy(BASE)
    doc["targets"][0].update(changes)
    return doc


def lambda1(**changes):
    doc = copy.deepcopy(BASE)
    doc["tasks"][1]["task_invocation_parameters"]["lambda"].update(changes)
    return doc


MW = "mwops.ssm.maintenance_window"
TG = "mwops.ssm.mw_target"
TK = "mwops.ssm.mw_task"

# (case id, module, arguments, field path that the error must name, words of the rule)
CASES = [
    ("name-short", MW, window(name="ab"), "name", "at least 3"),
    ("name-pattern", MW, window(name="bad name!"), "name", "pattern"),
    ("schedule-missing", MW, {k: v for k, v in BASE.items() if k != "schedule"}, "schedule", "required"),
    ("schedule-cron-fields", MW, window(schedule="cron(0 2 * * *)"), "schedule", "field"),
    ("schedule-rate-too-short", MW, window(schedule="rate(1 minute)"), "schedule", "minute"),
    ("schedule-garbage", MW, window(schedule="every tuesday"), "schedule", "cron"),
    ("duration-zero", MW, window(duration=0, cutoff=0), "duration", "1"),
    ("duration-too-long", MW, window(duration=25), "duration", "24"),
    ("cutoff-negative", MW, window(cutoff=-1), "cutoff", "0"),
    ("cutoff-not-below-duration", MW, window(duration=4, cutoff=4), "cutoff", "Duration - 1"),
    ("offset-too-big", MW, window(schedule_offset=7), "schedule_offset", "6"),
    ("offset-with-rate", MW, window(schedule="rate(7 days)", schedule_offset=2), "schedule_offset", "cron"),
    ("timezone-unknown", MW, window(schedule_timezone="Mars/Olympus_Mons"), "schedule_timezone", "time zone"),
    ("start-date-not-iso", MW, window(start_date="next tuesday"), "start_date", "ISO"),
    ("end-before-start", MW, window(start_date="2027-01-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"),
     "end_date", "start"),
    ("description-too-long", MW, window(description="x" * 129), "description", "128"),
    ("tag-key-pattern", MW, window(tags={"bad{key}": "v"}), "tags['bad{key}']", "pattern"),
    ("target-unnamed-twins", MW, window(targets=BASE["targets"] + [{"targets": [{"key": "tag:Role", "values": ["x"]}]}] * 2),
     "targets[2]", "duplicate unnamed"),
    ("target-name-duplicate", MW, window(targets=BASE["targets"] * 2), "targets[1].name", "duplicate"),
    ("target-resource-type", MW, target0(resource_type="VM"), "targets[0].resource_type", "INSTANCE"),
    ("target-group-key-on-instance", MW, target0(resource_type="INSTANCE", targets=[
        {"key": "resource-groups:Name", "values": ["g"]}]), "targets[0].targets[0].key", "RESOURCE_GROUP"),
    ("target-51-instances", MW, target0(targets=[{"key": "InstanceIds",
                                                  "values": ["i-%017x" % n for n in range(51)]}]),
     "targets[0].targets[0].values", "50"),
    ("target-6-entries", MW, target0(targets=[{"key": "tag:K%d" % n, "values": ["v"]} for n in range(6)]),
     "targets[0].targets", "5"),
    ("target-no-values", MW, target0(targets=[{"key": "tag:Role", "values": []}]), "targets[0].targets[0].values",
     "value"),
    ("target-owner-too-long", MW, target0(owner_information="o" * 129), "targets[0].owner_information", "128"),
    ("task-name-duplicate", MW, window(tasks=[BASE["tasks"][0], BASE["tasks"][0]]), "tasks[1].name", "duplicate"),
    ("task-unknown-target", MW, task0(targets=[{"window_target": "db"}]), "tasks[0].targets[0].window_target",
     "unknown window target"),
    ("task-concurrency-zero", MW, task0(max_concurrency="0"), "tasks[0].max_concurrency", "pattern"),
    ("task-errors-101", MW, task0(max_errors="101%"), "tasks[0].max_errors", "pattern"),
    ("task-concurrency-missing", MW, task0(max_concurrency=None), "tasks[0].max_concurrency", "required"),
    ("targetless-with-errors", MW, window(tasks=[BASE["tasks"][0], dict(BASE["tasks"][1], max_errors="1")]),
     "tasks[1].max_errors", "without targets"),
    ("run-command-targetless", MW, task0(targets=None, max_concurrency=None, max_errors=None), "tasks[0].targets",
     "RUN_COMMAND"),
    ("task-type-unknown", MW, task0(task_type="SHELL", task_invocation_parameters=None), "tasks[0].task_type",
     "RUN_COMMAND"),
    ("task-arn-missing", MW, task0(task_arn=None), "tasks[0].task_arn", "required"),
    ("task-priority-negative", MW, task0(priority=-1), "tasks[0].priority", "0"),
    ("task-cutoff-behavior", MW, task0(cutoff_behavior="STOP"), "tasks[0].cutoff_behavior", "CANCEL_TASK"),
    ("invocation-wrong-type", MW, task0(task_invocation_parameters={"automation": {"parameters": {"a": "b"}}}),
     "tasks[0].task_invocation_parameters.automation", "RUN_COMMAND"),
    ("timeout-too-short", MW, run_command(timeout_seconds=10),
     "tasks[0].task_invocation_parameters.run_command.timeout_seconds", "30"),
    ("comment-too-long", MW, run_command(comment="c" * 101), "tasks[0].task_invocation_parameters.run_command.comment",
     "100"),
    ("hash-type", MW, run_command(document_hash_type="md5"),
     "tasks[0].task_invocation_parameters.run_command.document_hash_type", "Sha256"),
    ("notification-event", MW, run_command(notification_config={"notification_arn": "arn:aws:sns:us-east-1:1:t",
                                                                "notification_events": ["Sometimes"]}),
     "tasks[0].task_invocation_parameters.run_command.notification_config.notification_events[0]", "Failed"),
    ("notification-type", MW, run_command(notification_config={"notification_arn": "arn:aws:sns:us-east-1:1:t",
                                                               "notification_type": "Email"}),
     "tasks[0].task_invocation_parameters.run_command.notification_config.notification_type", "Command"),
    ("bucket-too-short", MW, run_command(output_s3_bucket_name="ab"),
     "tasks[0].task_invocation_parameters.run_command.output_s3_bucket_name", "3"),
    ("document-version", MW, run_command(document_version="latest"),
     "tasks[0].task_invocation_parameters.run_command.document_version", "pattern"),
    ("pseudo-target-id-in-run-command", MW, run_command(parameters={"commands": "echo {% raw %}{{TARGET_ID}}{% endraw %}"}),
     "tasks[0].task_invocation_parameters.run_command.parameters", "{{TARGET_ID}}"),
    ("two-alarms", MW, task0(alarm_configuration={"alarms": [{"name": "a"}, {"name": "b"}]}),
     "tasks[0].alarm_configuration.alarms", "1"),
    ("payload-too-big", MW, lambda1(payload="x" * 4097), "tasks[1].task_invocation_parameters.lambda.payload",
     "4096"),
    ("client-context-too-long", MW, lambda1(client_context="c" * 8001),
     "tasks[1].task_invocation_parameters.lambda.client_context", "8000"),
    ("instance-ids-without-unassociated", MW, task0(targets=[{"key": "InstanceIds", "values": ["i-0123456789abcdef0"]}]),
     "tasks[0].targets[0].key", "allow_unassociated_targets"),
    ("task-target-tag-key", MW, task0(targets=[{"key": "tag:Role", "values": ["web"]}]), "tasks[0].targets[0].key",
     "InstanceIds"),
    ("task-11-window-targets", MW, window(
        targets=[{"name": "t%02d" % n, "targets": [{"key": "tag:Role", "values": ["r"]}]} for n in range(11)],
        tasks=[dict(BASE["tasks"][0], targets=[{"window_target": "t%02d" % n} for n in range(11)])]),
     "tasks[0].targets", "10"),
    # Values the API refuses, or that have no faithful string form (issue 10, item 7)
    ("param-value-dict", MW, run_command(parameters={"Operation": {"Install": True}}),
     "tasks[0].task_invocation_parameters.run_command.parameters['Operation']", "string"),
    ("param-value-nested-list", MW, run_command(parameters={"commands": [{"x": 1}]}),
     "tasks[0].task_invocation_parameters.run_command.parameters['commands']", "list of strings"),
    ("tag-key-aws", MW, window(tags={"aws:owner": "me"}), "tags['aws:owner']", "reserved"),
    ("timezone-localtime", MW, window(schedule_timezone="localtime"), "schedule_timezone", "IANA"),
    ("timezone-posix-path", MW, window(schedule_timezone="posix/Europe/Berlin"), "schedule_timezone", "IANA"),
    ("timezone-right-path", MW, window(schedule_timezone="right/UTC"), "schedule_timezone", "IANA"),
    ("target-empty-value", MW, target0(targets=[{"key": "tag:Role", "values": ["web", ""]}]),
     "targets[0].targets[0].values[1]", "empty"),
    ("description-empty", MW, window(description=""), "description", "empty"),
    ("duration-boolean", MW, window(duration=True), "duration", "boolean"),
    ("priority-boolean", MW, task0(priority=False), "tasks[0].priority", "boolean"),
    ("offset-zero", MW, window(schedule_offset=0), "schedule_offset", "at least 1"),
    ("priority-beyond-int", MW, task0(priority=2 ** 31), "tasks[0].priority", "2147483647"),
    ("mw-task-param-dict", TK, {"window": NAME, "name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                                "task_invocation_parameters": {"automation": {"parameters": {"p": {"a": 1}}}}},
     "task_invocation_parameters.automation.parameters['p']", "string"),
    ("mw-task-priority-boolean", TK, {"window": NAME, "name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                                      "priority": True}, "priority", "boolean"),
    ("mw-target-empty-value", TG, {"window": NAME, "name": "web2", "targets": [{"key": "tag:Role", "values": [""]}]},
     "targets[0].values[0]", "empty"),
    ("mw-target-unknown-window-id", TG, {"window_id": "mw-0123456789abcdef0", "name": "web2",
                                         "targets": [{"key": "tag:Role", "values": ["web"]}]}, "window_id",
     "no maintenance window with ID"),
    ("mw-target-no-targets", TG, {"window": NAME, "name": "web2"}, "targets", "at least one"),
    ("mw-target-bad-owner", TG, {"window": NAME, "name": "web2", "owner_information": "o" * 129,
                                 "targets": [{"key": "tag:Role", "values": ["web"]}]}, "owner_information", "128"),
    ("mw-target-no-window", TG, {"window": NAME + "-nope", "name": "web2",
                                 "targets": [{"key": "tag:Role", "values": ["web"]}]}, "window", "no maintenance window"),
    ("mw-task-max-errors", TK, {"window": NAME, "name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                                "targets": [{"window_target": "web"}], "max_concurrency": "1", "max_errors": "-1"},
     "max_errors", "pattern"),
    ("mw-task-unknown-target", TK, {"window": NAME, "name": "t-1", "task_type": "AUTOMATION", "task_arn": "AWS-Doc",
                                    "targets": [{"window_target": "db"}], "max_concurrency": "1",
                                    "max_errors": "0"}, "targets[0].window_target", "unknown window target"),
    ("mw-task-step-name", TK, {"window": NAME, "name": "t-1", "task_type": "STEP_FUNCTIONS", "task_arn": "arn:x",
                               "task_invocation_parameters": {"step_functions": {"name": "n" * 81}}},
     "task_invocation_parameters.step_functions.name", "80"),
    ("mw-task-automation-param-values", TK, {"window": NAME, "name": "t-1", "task_type": "AUTOMATION",
                                             "task_arn": "AWS-Doc", "task_invocation_parameters": {
                                                 "automation": {"parameters": {"p": ["v"] * 51}}}},
     "task_invocation_parameters.automation.parameters['p']", "50"),
]


def _strip_none(value):
    if isinstance(value, dict):
        return {k: _strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_strip_none(v) for v in value]
    return value


@pytest.fixture(scope="module")
def results(sandbox, ssm_client, tmp_path_factory):
    """Run every case in one playbook; return (results by case id, writes made during the run)."""
    sandbox.set_faults(throttle_rate=0.0)
    window_id = ssm_client.create_maintenance_window(Name=NAME, Schedule="rate(1 day)", Duration=2, Cutoff=0,
                                                     AllowUnassociatedTargets=False)["WindowId"]
    ssm_client.register_target_with_maintenance_window(WindowId=window_id, ResourceType="INSTANCE", Name="web",
                                                       Targets=[{"Key": "tag:Role", "Values": ["web"]}])
    tmp = tmp_path_factory.mktemp("validation")
    out = tmp / "results.json"
    tasks = []
    for index, (case, module, args, _path, _words) in enumerate(CASES):
        tasks.append({"name": case, module: _strip_none(args), "register": f"case_{index}", "ignore_errors": True})
    collect = "{{ {" + ", ".join(f"'{c[0]}': case_{i}" for i, c in enumerate(CASES)) + "} | to_json }}"
    tasks.append({"name": "collect", "ansible.builtin.copy": {"content": collect, "dest": str(out), "mode": "0644"}})
    play = [{"hosts": "localhost", "connection": "local", "gather_facts": False,
             "module_defaults": H.module_defaults(sandbox.endpoint), "tasks": tasks}]
    start = len(sandbox.requests())
    proc = H.run_playbook(H.write_playbook(tmp / "validation.json", play))
    log = sandbox.requests()[start:]
    H.record_calls(log, ["maintenance_window", "mw_target", "mw_task"])
    assert proc.returncode == 0, H.describe_failure(proc)
    try:
        yield json.loads(out.read_text()), [r["operation"] for r in log if r["write"]]
    finally:
        ssm_client.delete_maintenance_window(WindowId=window_id)


def test_table_is_large_enough():
    assert len(CASES) >= 40
    assert len({c[0] for c in CASES}) == len(CASES)


def test_nothing_was_written(results):
    _by_case, writes = results
    assert writes == []


@pytest.mark.parametrize("case,module,args,path,words", CASES, ids=[c[0] for c in CASES])
def test_error_names_field_and_rule(results, case, module, args, path, words):
    by_case, _writes = results
    result = by_case[case]
    assert result.get("failed"), f"{case} did not fail: {result}"
    msg = result["msg"]
    problems = result.get("problems") or []
    matching = [p for p in problems if p["path"] == path]
    assert matching or f"{path}:" in msg, f"{case}: no error for {path}: {msg}"
    text = " ".join(p["message"] for p in matching) if matching else msg
    assert words.lower() in text.lower(), f"{case}: {words!r} not in {text!r}"
    assert "nothing was changed" in msg or "no maintenance window" in msg
