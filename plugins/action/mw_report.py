# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Write evidence reports of window executions on the controller (see the mw_report doc stub)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _report as report

ARGUMENT_SPEC = {
    "executions": {"type": "list", "elements": "dict"},
    "history_dir": {"type": "path"},
    "history_files": {"type": "list", "elements": "path", "default": []},
    "execution_ids": {"type": "list", "elements": "str", "default": []},
    "tags": {"type": "dict", "default": {}},
    "dest": {"type": "path", "required": True},
    "formats": {"type": "list", "elements": "str", "choices": list(report.FORMATS),
                "default": list(report.FORMATS)},
    "change_reference_tag": {"type": "str", "default": report.DEFAULT_CHANGE_TAG},
    "basename": {"type": "str"},
}


def _plain(value: Any) -> Any:
    """Plain JSON-able data: the report treats every string as text, never as a template."""
    return json.loads(json.dumps(value, default=to_text))


def _read_file(path: Path) -> dict[str, Any]:
    try:
        return schema.load_json_execution(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AnsibleActionFail(f"history_files: cannot read {path}: {exc.strerror}") from None
    except schema.SchemaError as exc:
        raise AnsibleActionFail(f"history_files: {path}: {exc}") from None


def _read_dir(directory: Path) -> list[dict[str, Any]]:
    if not directory.is_dir():
        raise AnsibleActionFail(f"history_dir: {directory} is not a directory")
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            found.append(schema.load_json_execution(path.read_text(encoding="utf-8")))
        except (OSError, schema.SchemaError):
            continue  # not one of ours (the executor keeps only its own files here)
    return found


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        result = super().run(tmp, task_vars or {})
        del tmp
        dummy, args = self.validate_argument_spec(
            argument_spec=ARGUMENT_SPEC, required_one_of=[("executions", "history_dir", "history_files")])
        executions = [dict(e) for e in _plain(args["executions"] or [])]
        if args["history_dir"]:
            executions += _read_dir(Path(args["history_dir"]))
        executions += [_read_file(Path(p)) for p in args["history_files"]]
        if args["execution_ids"]:
            wanted = set(args["execution_ids"])
            executions = [e for e in executions if str(e.get("id")) in wanted]
        # One execution given twice (a file and the module output) is reported once.
        executions = list({str(e.get("id")): e for e in executions}.values())
        if not executions:
            raise AnsibleActionFail("no window execution to report: the sources given hold none"
                                    + (" with the given execution_ids" if args["execution_ids"] else ""))
        tags = {str(k): str(v) for k, v in _plain(args["tags"]).items()}
        for execution in executions:
            if tags and not execution.get("tags"):
                execution["tags"] = dict(tags)  # local history carries no tags: the definition's
        try:
            paths, changed = report.write_reports(executions, args["dest"], args["formats"],
                                                  args["change_reference_tag"], args["basename"],
                                                  check_mode=bool(self._task.check_mode))
            prepared = report.prepare(executions)
        except (report.ReportError, OSError) as exc:
            raise AnsibleActionFail(str(exc)) from None
        result.update(
            changed=changed,
            files=paths,
            paths=list(paths.values()),
            executions=[{"id": e["id"], "window_id": e.get("window_id"), "window_name": e.get("window_name"),
                         "status": e.get("status"), "start_time": e.get("start_time"),
                         "change_reference": report.change_reference(e, args["change_reference_tag"]),
                         "counts": schema.counts(e)} for e in prepared],
            summary=report.window_summaries(prepared),
        )
        return result
