# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The evidence report as one self-contained HTML page with an inline SVG timeline.

No scripts, fonts, images or style sheets are fetched: the page opens offline and inside an
AWX artifact. Every value from the history is escaped (names, tags, host names and reasons are
untrusted data). The timeline has one row per instance grouped by task and priority, one bar
per invocation (``class="bar"``, ``data-status``, ``data-target``) coloured by status, the cutoff
and the window end as lines, and per task a concurrency strip (``class="concurrency"``,
``data-peak``, ``data-max``) that shows MaxConcurrency being respected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any

from ansible_collections.mwops.ssm.plugins.module_utils import _execution_schema as schema
from ansible_collections.mwops.ssm.plugins.plugin_utils import _report as report

COLOURS = {"SUCCESS": "#2e7d32", "FAILED": "#c62828", "TIMED_OUT": "#ef6c00", "CANCELLED": "#757575",
           "CANCELLING": "#9e9e9e", "IN_PROGRESS": "#1565c0", "PENDING": "#b0bec5", "SKIPPED_OVERLAPPING": "#6d4c41"}
LABEL_W, CHART_W, RIGHT_W = 250, 700, 150
ROW_H, GROUP_H, AXIS_H, STRIP_H = 20, 26, 52, 40
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MARKER_REACH = 3.0  # draw the cutoff/window end on the axis if within 3x the run's span

CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;background:#f4f6f8;
color:#1f2933;font-size:14px}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 16px}h2{font-size:18px;margin:0}h3{font-size:15px;margin:20px 0 8px}
section.execution,section.summary{background:#fff;border:1px solid #d9e2ec;border-radius:8px;padding:20px;margin:0 0 24px}
.head{display:flex;align-items:center;gap:12px;margin-bottom:12px}
.badge{display:inline-block;padding:2px 10px;border-radius:12px;color:#fff;font-weight:600;font-size:12px}
table{border-collapse:collapse;width:100%;margin:4px 0}
th,td{border-bottom:1px solid #e4e7eb;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8;font-weight:600}table.facts th{width:230px;background:none;color:#52606d}
td.status{font-weight:600}.nowrap{white-space:nowrap}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
code.params{display:inline-block;min-width:200px;word-break:break-all}
figure{margin:8px 0;overflow-x:auto}figcaption{color:#52606d;font-size:12px;margin-top:4px}
svg text{font-family:inherit}
"""


def _e(value: Any) -> str:
    return escape(report.NONE if value is None or value == "" else str(value), quote=True)


def _time(value: Any) -> str:
    return f'<span class="nowrap">{_e(report.when(value))}</span>'


def _badge(status: Any) -> str:
    colour = COLOURS.get(str(status), "#52606d")
    return f'<span class="badge" style="background:{colour}">{_e(status)}</span>'


def _table(header: Sequence[str], body: Iterable[Sequence[str]], css: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in body)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


# ----------------------------------------------------------------------------- timeline

class _Scale:
    def __init__(self, execution: dict[str, Any]) -> None:
        times = [execution.get("start_time"), execution.get("end_time")]
        for task in execution["task_executions"]:
            times += [task.get("start_time"), task.get("end_time")]
            times += [i.get(k) for i in task["invocations"] for k in ("start_time", "end_time")]
        seconds = [s for s in (schema.epoch(x) for x in times) if s is not None]
        self.start = schema.epoch(execution.get("start_time")) or (min(seconds) if seconds else 0.0)
        self.end = max([self.start + 1.0, *seconds])
        span = self.end - self.start
        self.markers = []
        for label, key, colour in (("cutoff", "last_task_start_time", "#b45309"),
                                   ("window end", "window_end_time", "#7f1d1d")):
            moment = schema.epoch(execution.get(key))
            if moment is not None:
                self.markers.append((label, moment, colour))
                if moment - self.start <= MARKER_REACH * span:
                    self.end = max(self.end, moment)

    def x(self, moment: float) -> float:
        return LABEL_W + (min(moment, self.end) - self.start) / (self.end - self.start) * CHART_W


def _clock(moment: float, with_seconds: bool) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%H:%M:%S" if with_seconds else "%H:%M")


def _axis(scale: _Scale, height: int) -> list[str]:
    span = scale.end - scale.start
    step = next((s for s in TICK_STEPS if span / s <= 8), TICK_STEPS[-1])
    seconds = step < 60 or int(scale.start) % 60 != 0
    parts = [f'<line x1="{LABEL_W}" y1="{AXIS_H - 6}" x2="{LABEL_W + CHART_W}" y2="{AXIS_H - 6}" stroke="#9aa5b1"/>']
    first = (int(scale.start) // step + 1) * step
    tick = float(first)
    while tick <= scale.end:
        x = scale.x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{AXIS_H - 10}" x2="{x:.1f}" y2="{height}" stroke="#e4e7eb"/>')
        parts.append(f'<text x="{x:.1f}" y="{AXIS_H - 14}" font-size="11" text-anchor="middle" fill="#52606d">'
                     f'{_clock(tick, seconds)}</text>')
        tick += step
    parts.append(f'<text x="{LABEL_W - 8}" y="{AXIS_H - 30}" font-size="11" text-anchor="end" fill="#52606d">'
                 f'UTC; started {_e(_clock(scale.start, True))}</text>')
    return parts


def _markers(scale: _Scale, top: int, height: int) -> list[str]:
    parts = []
    for index, (label, moment, colour) in enumerate(scale.markers):
        name = label.replace(" ", "-")
        if moment <= scale.end:
            x = scale.x(moment)
            parts.append(f'<line class="marker {name}" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{height}" '
                         f'stroke="{colour}" stroke-width="2" stroke-dasharray="{"6 4" if index == 0 else "none"}"/>')
            parts.append(f'<text x="{x + 4:.1f}" y="{11 + 13 * index}" font-size="11" fill="{colour}">'
                         f'{_e(label)} {_e(_clock(moment, True))}</text>')
        else:  # far beyond the run: say where it is rather than squash the bars
            x = LABEL_W + CHART_W + 8
            parts.append(f'<text class="marker {name}" x="{x}" y="{11 + 13 * index}" font-size="11" '
                         f'fill="{colour}">{_e(label)} {_e(_clock(moment, False))} &#8594;</text>')
    return parts


def _concurrency(task: dict[str, Any], scale: _Scale, top: int) -> tuple[list[str], int]:
    events = []
    for invocation in task["invocations"]:
        start, end = schema.epoch(invocation.get("start_time")), schema.epoch(invocation.get("end_time"))
        if start is not None:
            events += [(start, 1), (end if end is not None else scale.end, -1)]
    events.sort(key=lambda e: (e[0], e[1]))  # an end before a start at the same instant
    running, peak, points = 0, 0, [(scale.start, 0)]
    for moment, delta in events:
        running += delta
        peak = max(peak, running)
        if points[-1][0] == moment:  # one step per instant: slots refilled at once are no dip
            points[-1] = (moment, running)
        else:
            points.append((moment, running))
    limit = task.get("max_concurrency")
    top_value = max(peak, limit or 0, 1)

    def y(value: float) -> float:
        return top + STRIP_H - 6 - value / top_value * (STRIP_H - 12)

    path, last = [f"M{scale.x(scale.start):.1f},{y(0):.1f}"], 0
    for moment, value in points:
        path += [f"L{scale.x(moment):.1f},{y(last):.1f}", f"L{scale.x(moment):.1f},{y(value):.1f}"]
        last = value
    path += [f"L{scale.x(scale.end):.1f},{y(last):.1f}", f"L{scale.x(scale.end):.1f},{y(0):.1f}", "Z"]
    ok = limit is None or peak <= limit
    parts = [f'<g class="concurrency" data-task="{_e(task.get("name"))}" data-peak="{peak}" '
             f'data-max="{_e(limit)}">',
             f'<text x="{LABEL_W - 8}" y="{top + STRIP_H / 2 + 4:.0f}" font-size="11" text-anchor="end" '
             f'fill="#52606d">running at once</text>',
             f'<path d="{" ".join(path)}" fill="#90caf9" stroke="#1565c0" stroke-width="1"/>']
    if limit:
        parts.append(f'<line x1="{LABEL_W}" y1="{y(limit):.1f}" x2="{LABEL_W + CHART_W}" y2="{y(limit):.1f}" '
                     f'stroke="#37474f" stroke-dasharray="3 3"/>')
    parts.append(f'<text x="{LABEL_W + CHART_W + 8}" y="{top + STRIP_H / 2 + 4:.0f}" font-size="11" '
                 f'fill="{"#2e7d32" if ok else "#c62828"}">peak {peak} / max {_e(limit)}</text></g>')
    return parts, STRIP_H


def render_timeline(execution: dict[str, Any]) -> str:
    """The SVG: groups of instance rows per task, bars, markers, concurrency strips."""
    scale = _Scale(execution)
    body: list[str] = []
    y = AXIS_H
    for task in report.tasks_by_priority(execution):
        title = (f"Priority {task.get('priority')} \u00b7 {task.get('name')} \u00b7 {task.get('task_arn')} \u00b7 "
                 f"{report.rate_controls(task)} \u00b7 {task.get('status')}")
        body.append(f'<g class="task" data-task="{_e(task.get("name"))}" data-priority="{_e(task.get("priority"))}">')
        body.append(f'<rect x="0" y="{y}" width="{LABEL_W + CHART_W + RIGHT_W}" height="{GROUP_H - 4}" fill="#eef2f7"/>')
        body.append(f'<text x="6" y="{y + 15}" font-size="12" font-weight="600" fill="#243b53">{_e(title)}</text>')
        y += GROUP_H
        task_end = schema.epoch(task.get("end_time")) or scale.end
        for invocation in task["invocations"]:
            body.append(_bar(invocation, task, scale, y, task_end))
            y += ROW_H
        strip, height = _concurrency(task, scale, y)
        body += strip
        y += height + 6
        body.append("</g>")
    height = y + 8
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{LABEL_W + CHART_W + RIGHT_W}" '
           f'height="{height}" viewBox="0 0 {LABEL_W + CHART_W + RIGHT_W} {height}" role="img" '
           f'aria-label="Timeline of window execution {_e(execution.get("id"))}">',
           '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="3" height="6" fill="#cbd2d9"/></pattern></defs>',
           *_axis(scale, height - 8), *body, *_markers(scale, AXIS_H - 4, height - 8), "</svg>"]
    return "\n".join(svg)


def _bar(invocation: dict[str, Any], task: dict[str, Any], scale: _Scale, y: int, task_end: float) -> str:
    target, status = invocation.get("target"), str(invocation.get("status"))
    start, end = schema.epoch(invocation.get("start_time")), schema.epoch(invocation.get("end_time"))
    tip = (f"{target} \u2014 {status}: {report.reason(invocation)}\n"
           f"{invocation.get('start_time') or 'not started'} \u2192 {invocation.get('end_time') or report.NONE}")
    data = (f'data-status="{_e(status)}" data-target="{_e(target)}" data-task="{_e(task.get("name"))}" '
            f'data-started="{"true" if start is not None else "false"}"')
    label = str(target or report.NONE)
    label = label if len(label) <= 34 else label[:33] + "\u2026"
    parts = [f'<text x="{LABEL_W - 8}" y="{y + 14}" font-size="12" text-anchor="end" fill="#334e68">{_e(label)}</text>']
    if start is None:
        x = scale.x(task_end)
        parts.append(f'<rect class="bar not-started" {data} x="{x:.1f}" y="{y + 4}" width="12" height="{ROW_H - 8}" '
                     f'fill="url(#hatch)" stroke="{COLOURS["CANCELLED"]}" stroke-dasharray="2 2">'
                     f'<title>{_e(tip)}</title></rect>')
        parts.append(f'<text x="{x + 16:.1f}" y="{y + 14}" font-size="11" fill="#52606d">not started</text>')
    else:
        x1, x2 = scale.x(start), scale.x(end if end is not None else scale.end)
        parts.append(f'<rect class="bar" {data} x="{x1:.1f}" y="{y + 3}" width="{max(2.0, x2 - x1):.1f}" '
                     f'height="{ROW_H - 6}" rx="3" fill="{COLOURS.get(status, "#52606d")}">'
                     f'<title>{_e(tip)}</title></rect>')
    return "".join(parts)


def _legend(execution: dict[str, Any]) -> str:
    present = sorted({str(i.get("status")) for task in execution["task_executions"] for i in task["invocations"]})
    items = "".join(f'<span style="margin-right:14px"><span style="display:inline-block;width:12px;height:12px;'
                    f'border-radius:2px;background:{COLOURS.get(s, "#52606d")};vertical-align:-1px"></span> {_e(s)}'
                    f'</span>' for s in present)
    return (f"{items}<span>dashed line: cutoff (no task starts after it); solid line: window end; hatched: not "
            f"started; strip: invocations running at once against MaxConcurrency (dotted)</span>")


# ----------------------------------------------------------------------------- page

def _execution_section(execution: dict[str, Any], change_tag: str) -> str:
    counts = schema.counts(execution)
    source = "AWS Systems Manager" if execution.get("source") == "ssm" else "local executor (mwops.ssm.mw_run)"
    facts = [
        ("Window", f"{_e(execution.get('window_name'))} (<code>{_e(execution.get('window_id'))}</code>)"),
        ("Execution", f"<code>{_e(execution.get('id'))}</code>"), ("Source", _e(source)),
        (f"Change reference ({change_tag})", _e(report.change_reference(execution, change_tag))),
        ("Owner information", _e(", ".join(report.owners(execution)))),
        ("Overall status", f"{_badge(execution.get('status'))} {_e(execution.get('status_details'))}"),
        ("Window start", _e(report.when(execution.get("start_time")))),
        ("Cutoff (last task start)", _e(report.when(execution.get("last_task_start_time")))),
        ("Window end", _e(report.when(execution.get("window_end_time")))),
        ("Execution end", _e(report.when(execution.get("end_time")))),
        ("Invocations", _e(f"{counts['succeeded']} succeeded, {counts['failed']} failed, {counts['timed_out']} "
                           f"timed out, {counts['cancelled']} cancelled, {counts['not_started']} not started (of "
                           f"{counts['invocations']}; {counts['errors_counted']} counted as errors)")),
    ]
    tasks = _table(("priority", "task", "document", "version", "rate controls", "cutoff behavior", "status", "start",
                    "end", "parameters"),
                   [(_e(task.get("priority")), _e(task.get("name")), _e(task.get("task_arn")),
                     _e(task.get("document_version")), _e(report.rate_controls(task)), _e(task.get("cutoff_behavior")),
                     f"{_badge(task.get('status'))} {_e(task.get('status_details'))}", _time(task.get("start_time")),
                     _time(task.get("end_time")), f"<code class=\"params\">{_e(report._parameters_text(task))}</code>")  # pylint: disable=protected-access
                    for task in report.tasks_by_priority(execution)])
    instances = _table(("priority", "task", "instance", "owner", "status", "reason", "start", "end", "exit code"),
                       [(_e(r["priority"]), _e(r["task"]), f"<code>{_e(r['target'])}</code>",
                         _e(r["owner_information"]), f'<span class="status" style="color:'
                         f'{COLOURS.get(str(r["status"]), "#52606d")}">{_e(r["status"])}</span>', _e(r["reason"]),
                         _time(r["start_time"]), _time(r["end_time"]), _e(r["exit_code"]))
                        for r in report.rows(execution, change_tag)])
    return (f'<section class="execution" data-execution="{_e(execution.get("id"))}">'
            f'<div class="head"><h2>{_e(execution.get("window_name"))}</h2>{_badge(execution.get("status"))}</div>'
            f'<table class="facts"><tbody>'
            + "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in facts)
            + f'</tbody></table><h3>Timeline</h3><figure>{render_timeline(execution)}'
            f'<figcaption>{_legend(execution)}</figcaption></figure>'
            f'<h3>Tasks by priority</h3>{tasks}<h3>Instances</h3>{instances}</section>')


def _summary_section(executions: list[dict[str, Any]]) -> str:
    rows = [(_e(s["window_name"]), f"<code>{_e(s['window_id'])}</code>", _e(s["executions"]),
             _e(", ".join(f"{k} {v}" for k, v in s["execution_statuses"].items())),
             _e(f"{s['succeeded']} of {s['invocations']}"), _e(report.percent(s["success_rate"])),
             "<br>".join(_e(f"{k} ({v})") for k, v in s["failures_by_reason"].items()) or _e(None))
            for s in report.window_summaries(executions)]
    return ('<section class="summary"><h2>Summary by window</h2>'
            + _table(("window", "window ID", "executions", "statuses", "invocations succeeded", "success rate",
                      "failures by reason"), rows) + "</section>")


def render_html(executions: list[dict[str, Any]], change_tag: str = report.DEFAULT_CHANGE_TAG) -> str:
    names = sorted({str(e.get("window_name") or e.get("window_id")) for e in executions})
    title = f"Maintenance window evidence: {', '.join(names)}"
    summary = _summary_section(executions) if len(executions) > 1 else ""
    sections = "".join(_execution_section(e, change_tag) for e in executions)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
            f"<h1>{_e(title)}</h1>{summary}{sections}</main></body></html>\n")
