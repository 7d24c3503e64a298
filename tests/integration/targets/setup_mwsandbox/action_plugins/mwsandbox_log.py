# Copyright: mwops.ssm contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request-log checkpoints for the integration targets, on the controller.

``mark`` returns how long the sandbox request log is (``mark``; tasks/mark.yml keeps it as
``_mw_mark``, not as a returned fact, which ansible-core 2.20+ would flag); ``no_writes``
fails when a write call reached the sandbox since the mark and appends the checkpoint (step
name and log slice) to ``checkpoints`` for the pytest driver, which checks it again. Both run
in the controller process: a module per checkpoint (uri, assert, lineinfile) cost a Python
process each, half of every rhythm step's time.
"""

from __future__ import annotations

import json
import os

from ansible.module_utils.urls import open_url
from ansible.plugins.action import ActionBase


def read_log(endpoint: str) -> list:
    with open_url(f"{endpoint.rstrip('/')}/mwsandbox/requests", use_proxy=False, timeout=30) as answer:
        return json.loads(answer.read())


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("endpoint", "action", "step", "mark", "checkpoints"))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self._task.args
        log = read_log(args["endpoint"])
        if args["action"] == "mark":
            result.update(changed=False, mark=len(log))
            return result
        if args["action"] != "no_writes":
            return dict(result, failed=True, msg=f"unknown action {args['action']!r}")
        step, start = args["step"], int(args["mark"])
        writes = [entry["operation"] for entry in log[start:] if entry.get("write")]
        result.update(changed=False, writes=writes, checkpoint={"step": step, "from": start, "to": len(log)})
        if writes:
            return dict(result, failed=True, msg=f"{step} made write calls: {writes}")
        if args.get("checkpoints"):
            path = args["checkpoints"]
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "a", encoding="utf-8") as out:
                out.write(json.dumps(result["checkpoint"]) + "\n")
        return result
