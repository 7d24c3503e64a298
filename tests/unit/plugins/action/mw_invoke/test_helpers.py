"""Pure parts of the gate action mwops.ssm.mw_invoke (its classification lives in the executor core)."""

from __future__ import annotations

import json

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.mwops.ssm.plugins.action import mw_invoke
from ansible_collections.mwops.ssm.plugins.plugin_utils._executor_children import GATE_SPEC_ENV


def test_module_output_prefers_stdout_and_stderr():
    assert mw_invoke._module_output({"stdout": "out", "stderr": "err", "rc": 0}) == "out\nerr"
    assert mw_invoke._module_output({"stdout": "", "stderr": "only err"}) == "only err"


def test_module_output_of_other_modules_is_their_result_without_internals():
    shown = json.loads(mw_invoke._module_output({"changed": True, "path": "/x", "invocation": {"module_args": {}},
                                                 "_ansible_no_log": False}))
    assert shown == {"changed": True, "path": "/x"}


def test_task_timeout_is_recognised_by_name():
    class TaskTimeoutError(BaseException):
        pass

    assert mw_invoke._is_task_timeout(TaskTimeoutError())
    assert not mw_invoke._is_task_timeout(TimeoutError())


def test_the_gate_runs_only_with_a_spec_of_its_own_version(tmp_path, monkeypatch):
    monkeypatch.delenv(GATE_SPEC_ENV, raising=False)
    with pytest.raises(AnsibleActionFail, match="runs only in the child runs"):
        mw_invoke._load_spec()
    path = tmp_path / "gate.json"
    path.write_text(json.dumps({"version": 99}))
    monkeypatch.setenv(GATE_SPEC_ENV, str(path))
    with pytest.raises(AnsibleActionFail, match="cannot read its gate spec: the gate spec has version 99"):
        mw_invoke._load_spec()
