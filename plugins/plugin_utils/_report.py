# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Evidence reports from window-execution history: history in, documents out.

Input is one or more executions in ``mwops.ssm/window-execution/1`` (local executor history files
or ``mw_execution_info`` output). Output: Markdown (for a change ticket), CSV (one row per
invocation), JSON and a self-contained HTML page with an SVG timeline (``_report_html``).
Every document shows the window, the change reference (a window tag, ``ChangeTicket`` by
default), owner information, the tasks by priority with document, version, masked parameters
and rate controls, the times, each instance's outcome with its reason, and the overall status.
Several executions add a summary per window (success rate, failures by reason).

``write_reports`` is the one entry point that writes files (0600 files in a 0700 directory).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _history as history

REPORT_SCHEMA = "mwops.ssm/evidence-report/1"
FORMATS = ("markdown", "csv", "json", "html")
EXTENSIONS = {"markdown": "md", "csv": "csv", "json": "json", "html": "html"}
DEFAULT_CHANGE_TAG = "ChangeTicket"
CSV_COLUMNS = ("window_id", "window_name", "execution_id", "change_reference", "execution_status", "priority",
               "task", "document", "target", "owner_information", "status", "reason", "start_time", "end_time",
               "exit_code", "counted_as_error", "output_location")
NONE = "-"

Execution = dict[str, Any]


class ReportError(ValueError):
    """Input a report cannot be made from (named field and rule)."""


# ----------------------------------------------------------------------------- model

def prepare(executions: Iterable[Any]) -> list[Execution]:
    """Validated copies (schema, optional fields, parameters masked), oldest first."""
    prepared = []
    for index, data in enumerate(executions):
        try:
            prepared.append(schema.normalise_execution(data))
        except schema.SchemaError as exc:
            raise ReportError(f"executions[{index}]: {exc}") from None
    if not prepared:
        raise ReportError("executions: at least one window execution is needed for a report")
    return sorted(prepared, key=lambda e: (e.get("start_time") or "", str(e.get("id"))))


def change_reference(execution: Execution, tag: str) -> str | None:
    value = (execution.get("tags") or {}).get(tag)
    return None if value in (None, "") else str(value)


def owners(execution: Execution) -> list[str]:
    found = {str(i["owner_information"]) for task in execution["task_executions"] for i in task["invocations"]
             if i.get("owner_information")}
    return sorted(found)


def tasks_by_priority(execution: Execution) -> list[dict[str, Any]]:
    return sorted(execution["task_executions"],
                  key=lambda task: (task.get("priority") is None, task.get("priority") or 0, str(task.get("name"))))


def rate_controls(task: dict[str, Any]) -> str:
    def one(spec: Any, resolved: Any) -> str:
        if spec is None:
            return NONE if resolved is None else str(resolved)
        return str(spec) if str(spec) == str(resolved) or resolved is None else f"{spec} (= {resolved})"
    return (f"MaxConcurrency {one(task.get('max_concurrency_spec'), task.get('max_concurrency'))}, "
            f"MaxErrors {one(task.get('max_errors_spec'), task.get('max_errors'))}")


def reason(invocation: dict[str, Any]) -> str:
    return str(invocation.get("status_details") or invocation.get("status") or NONE)


def rows(execution: Execution, change_tag: str) -> list[dict[str, Any]]:
    """One row per invocation, tasks by priority (the CSV and the instances table)."""
    result = []
    for task in tasks_by_priority(execution):
        for invocation in task["invocations"]:
            result.append({
                "window_id": execution.get("window_id"), "window_name": execution.get("window_name"),
                "execution_id": execution.get("id"), "change_reference": change_reference(execution, change_tag),
                "execution_status": execution.get("status"), "priority": task.get("priority"),
                "task": task.get("name"), "document": task.get("task_arn"), "target": invocation.get("target"),
                "owner_information": invocation.get("owner_information"), "status": invocation.get("status"),
                "reason": reason(invocation), "start_time": invocation.get("start_time"),
                "end_time": invocation.get("end_time"), "exit_code": invocation.get("exit_code"),
                "counted_as_error": bool(invocation.get("counted_as_error")),
                "output_location": invocation.get("output_location"),
            })
    return result


def window_summaries(executions: list[Execution]) -> list[dict[str, Any]]:
    """Per window: executions by status, invocation success rate and failures by reason."""
    by_window: dict[str, list[Execution]] = {}
    for execution in executions:
        by_window.setdefault(str(execution.get("window_id") or execution.get("window_name")), []).append(execution)
    summaries = []
    for window_id, runs in sorted(by_window.items(), key=lambda item: (str(item[1][0].get("window_name")), item[0])):
        totals = Counter()  # type: Counter[str]
        failures = Counter()  # type: Counter[str]
        for execution in runs:
            totals.update(schema.counts(execution))
            for task in execution["task_executions"]:
                for invocation in task["invocations"]:
                    if invocation.get("status") != schema.SUCCESS:
                        failures[f"{invocation.get('status')}: {reason(invocation)}"] += 1
        rate = totals["succeeded"] / totals["invocations"] if totals["invocations"] else None
        summaries.append({
            "window_id": window_id, "window_name": runs[0].get("window_name"), "executions": len(runs),
            "execution_statuses": dict(sorted(Counter(str(r.get("status")) for r in runs).items())),
            "invocations": totals["invocations"], "succeeded": totals["succeeded"],
            "success_rate": None if rate is None else round(rate, 4),
            "failures_by_reason": dict(sorted(failures.items(), key=lambda item: (-item[1], item[0]))),
        })
    return summaries


def when(text: Any) -> str | None:
    """An ISO time for people: 2024-05-01 15:00:00Z (milliseconds only when there are any)."""
    if not text:
        return None
    value = str(text).replace("T", " ")
    value = re.sub(r"\.0+Z$", "Z", value)
    return re.sub(r"(\.\d{3})\d*Z$", r"\1Z", value)


def percent(rate: float | None) -> str:
    return NONE if rate is None else f"{rate * 100:.1f}%"


# ----------------------------------------------------------------------------- Markdown

def _md(value: Any) -> str:
    """A table cell: Markdown and HTML metacharacters escaped, one line."""
    text = NONE if value is None or value == "" else str(value)
    text = re.sub(r"[\r\n]+", " ", text)
    return re.sub(r"([\\`*\[\]<>|])", r"\\\1", text)


def _table(header: Sequence[str], body: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in body]
    return lines


def _parameters_text(task: dict[str, Any]) -> str:
    parameters = schema.mask_parameters(task.get("parameters") or {})
    return json.dumps(parameters, sort_keys=True, ensure_ascii=False) if parameters else NONE


def render_markdown(executions: list[Execution], change_tag: str = DEFAULT_CHANGE_TAG) -> str:
    lines = ["# Maintenance window evidence", ""]
    if len(executions) > 1:
        lines += ["## Summary by window", ""]
        lines += _table(("window", "window ID", "executions", "statuses", "invocations succeeded", "success rate",
                         "failures by reason"),
                        [(s["window_name"], s["window_id"], s["executions"],
                          ", ".join(f"{k} {v}" for k, v in s["execution_statuses"].items()),
                          f"{s['succeeded']} of {s['invocations']}", percent(s["success_rate"]),
                          "; ".join(f"{k} ({v})" for k, v in s["failures_by_reason"].items()) or NONE)
                         for s in window_summaries(executions)])
        lines.append("")
    for execution in executions:
        lines += _markdown_execution(execution, change_tag)
    return "\n".join(lines).rstrip() + "\n"


def _markdown_execution(execution: Execution, change_tag: str) -> list[str]:
    counts = schema.counts(execution)
    lines = [f"## {_md(execution.get('window_name'))} ({_md(execution.get('window_id'))}): "
             f"{_md(execution.get('status'))}", ""]
    facts = [
        ("Window", f"{execution.get('window_name') or NONE} ({execution.get('window_id') or NONE})"),
        ("Execution", execution.get("id")),
        ("Source", "AWS Systems Manager" if execution.get("source") == "ssm" else "local executor (mwops.ssm.mw_run)"),
        (f"Change reference ({change_tag})", change_reference(execution, change_tag)),
        ("Owner information", ", ".join(owners(execution)) or None),
        ("Overall status", f"{execution.get('status')}: {execution.get('status_details') or ''}".rstrip(": ")),
        ("Window start", when(execution.get("start_time"))),
        ("Cutoff (last task start)", when(execution.get("last_task_start_time"))),
        ("Window end", when(execution.get("window_end_time"))),
        ("Execution end", when(execution.get("end_time"))),
        ("Invocations", f"{counts['succeeded']} succeeded, {counts['failed']} failed, {counts['timed_out']} timed out, "
                        f"{counts['cancelled']} cancelled, {counts['not_started']} not started "
                        f"(of {counts['invocations']}; {counts['errors_counted']} counted as errors)"),
    ]
    lines += _table(("", ""), facts) + ["", "### Tasks by priority", ""]
    lines += _table(("priority", "task", "document", "version", "rate controls", "cutoff behavior", "status",
                     "start", "end", "parameters"),
                    [(task.get("priority"), task.get("name"), task.get("task_arn"), task.get("document_version"),
                      rate_controls(task), task.get("cutoff_behavior"),
                      f"{task.get('status')}: {task.get('status_details') or ''}".rstrip(": "),
                      when(task.get("start_time")), when(task.get("end_time")), _parameters_text(task))
                     for task in tasks_by_priority(execution)])
    lines += ["", "### Instances", ""]
    lines += _table(("priority", "task", "instance", "owner", "status", "reason", "start", "end", "exit code"),
                    [(r["priority"], r["task"], r["target"], r["owner_information"], r["status"], r["reason"],
                      when(r["start_time"]), when(r["end_time"]), r["exit_code"]) for r in rows(execution, change_tag)])
    return lines + [""]


# ----------------------------------------------------------------------------- CSV and JSON

def _csv_cell(value: Any) -> Any:
    # Spreadsheets run cells that start with = + - @ as formulas: untrusted text stays text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def render_csv(executions: list[Execution], change_tag: str = DEFAULT_CHANGE_TAG) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for execution in executions:
        for row in rows(execution, change_tag):
            writer.writerow({k: _csv_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def render_json(executions: list[Execution], change_tag: str = DEFAULT_CHANGE_TAG) -> str:
    document = {
        "schema": REPORT_SCHEMA,
        "change_reference_tag": change_tag,
        "summary": window_summaries(executions),
        "executions": [{**{k: v for k, v in e.items() if not k.startswith("_")},
                        "change_reference": change_reference(e, change_tag), "owner_information": owners(e),
                        "counts": schema.counts(e)} for e in executions],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n"


def render(executions: Iterable[Any], fmt: str, change_tag: str = DEFAULT_CHANGE_TAG) -> str:
    """One document; ``fmt`` is one of FORMATS."""
    prepared = prepare(executions)
    if fmt == "html":
        # pylint: disable-next=import-outside-toplevel  # the page module imports this one
        from ansible_collections.mwops.ssm.plugins.plugin_utils._report_html import render_html

        return render_html(prepared, change_tag)
    renderers = {"markdown": render_markdown, "csv": render_csv, "json": render_json}
    if fmt not in renderers:
        raise ReportError(f"formats: {fmt!r} is not one of {', '.join(FORMATS)}")
    return renderers[fmt](prepared, change_tag)


# ----------------------------------------------------------------------------- files

def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)[:80].strip(".") or "report"


def default_basename(executions: list[Execution]) -> str:
    if len(executions) == 1:
        only = executions[0]
        return safe_name(f"{only.get('window_name') or only.get('window_id')}_{only.get('id')}")
    stamp = re.sub(r"[^0-9T]", "", str(executions[-1].get("start_time") or ""))[:15]
    return safe_name(f"mw-evidence_{stamp}_{len(executions)}-executions")


def _private_dir(path: Path) -> None:
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
        os.chmod(path, 0o700)
    if not path.is_dir() or path.is_symlink():
        raise ReportError(f"dest: {path} is not a directory")


def _write_private(path: Path, text: str) -> bool:
    """Write a 0600 file atomically; False when it already had exactly this content."""
    if path.is_symlink():
        raise ReportError(f"dest: {path} is a symbolic link; refusing to write through it")
    if path.exists() and path.read_text(encoding="utf-8", errors="replace") == text:
        os.chmod(path, 0o600)
        return False
    history.write_text_atomic(path, text)  # mkstemp makes it 0600
    return True


def write_reports(executions: Iterable[Any], out_dir: str | os.PathLike[str],
                  formats: Sequence[str] = FORMATS, change_tag: str = DEFAULT_CHANGE_TAG,
                  basename: str | None = None, check_mode: bool = False) -> tuple[dict[str, str], bool]:
    """Render and write the reports; returns ({format: path}, changed). Nothing is written when
    any input is invalid (all documents are rendered first) or in check mode."""
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ReportError(f"formats: {', '.join(map(str, unknown)) or 'none given'}: choose from {', '.join(FORMATS)}")
    prepared = prepare(executions)
    name = safe_name(basename) if basename else default_basename(prepared)
    directory = Path(out_dir)
    documents = {fmt: render(prepared, fmt, change_tag) for fmt in dict.fromkeys(formats)}
    paths = {fmt: str(directory / f"{name}.{EXTENSIONS[fmt]}") for fmt in documents}
    if check_mode:
        return paths, any(not Path(p).exists() or Path(p).read_text(errors="replace") != documents[f]
                          for f, p in paths.items())
    _private_dir(directory)
    changed = False
    for fmt, text in documents.items():
        changed = _write_private(Path(paths[fmt]), text) or changed
    return paths, changed
