"""The modules' argument specs derive from the field registry; only module options are written out."""

from __future__ import annotations

from ansible_collections.mwops.ssm.plugins.module_utils import _argspec as A
from ansible_collections.mwops.ssm.plugins.module_utils import _window_fields as W


def test_mw_task_spec_has_every_task_field_and_the_module_options():
    spec = A.mw_task_argument_spec()
    assert set(spec) == set(A.TASK_KEYS) | {"window_task_id", "window", "window_id", "state"}
    assert spec["priority"] == {"type": "int"}
    assert spec["window"] == {"type": "str", "aliases": ["window_name"]}
    assert spec["state"] == {"type": "str", "default": "present", "choices": ["present", "absent"]}
    run = spec["task_invocation_parameters"]["options"]["run_command"]["options"]
    assert run["service_role_arn"] == {"type": "str", "aliases": ["notification_role_arn"]}
    assert run["output_s3_key_prefix"] == {"type": "str", "no_log": False}
    assert run["cloudwatch_output_config"]["options"]["cloudwatch_output_enabled"] == {"type": "bool"}
    # "lambda" is a Python keyword but fine as an option name
    assert set(spec["task_invocation_parameters"]["options"]) == {"run_command", "automation", "lambda", "step_functions"}
    assert spec["targets"]["options"]["key"] == {"type": "str", "no_log": False}


def test_mw_target_spec():
    spec = A.mw_target_argument_spec()
    assert set(spec) == set(A.TARGET_KEYS) | {"window_target_id", "window", "window_id", "state", "force"}
    assert spec["targets"] == {"type": "list", "elements": "dict", "options": {
        "key": {"type": "str", "no_log": False}, "values": {"type": "list", "elements": "str"}}}
    assert spec["force"] == {"type": "bool", "default": False}


def test_maintenance_window_spec_nests_targets_and_tasks_with_their_ids():
    spec = A.maintenance_window_argument_spec()
    assert set(A.WINDOW_KEYS) <= set(spec)
    assert spec["tags"] == {"type": "dict", "aliases": ["resource_tags"]}
    assert set(spec["targets"]["options"]) == set(A.TARGET_KEYS) | {"window_target_id"}
    assert set(spec["tasks"]["options"]) == set(A.TASK_KEYS) | {"window_task_id"}
    assert spec["tasks"]["options"]["task_invocation_parameters"] == A.mw_task_argument_spec()["task_invocation_parameters"]


def test_a_new_registry_field_reaches_every_spec_without_editing_argspec():
    """Adding a field is one edit: its declaration. (Checked on the derivation, not by mutating the registry.)"""
    assert A.TASK_KEYS == tuple(f.key for f in W.TASK_FIELDS)
    assert "cutoff_behavior" in A.mw_task_argument_spec()
    assert "cutoff_behavior" in A.maintenance_window_argument_spec()["tasks"]["options"]


def test_specs_are_fresh_copies():
    """AnsibleModule may add to a spec; one module's spec must not leak into another's."""
    first = A.mw_task_argument_spec()
    first["state"]["choices"].append("gone")
    assert A.mw_task_argument_spec()["state"]["choices"] == ["present", "absent"]
    assert A.mw_target_argument_spec()["state"]["choices"] == ["present", "absent"]


def test_strip_none_drops_unset_suboptions():
    assert A.strip_none({"a": None, "b": [{"c": None, "d": 1}], "e": {"f": None}}) == {"b": [{"d": 1}], "e": {}}
