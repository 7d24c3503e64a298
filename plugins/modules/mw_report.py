#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the work is done by the action plugin of the same name.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mw_report
short_description: Write evidence reports (Markdown, CSV, JSON, HTML with a timeline) of maintenance-window executions
version_added: 0.1.0
description:
  - Turns maintenance-window executions into evidence for change tickets and auditors, from local executor history
    (M(mwops.ssm.mw_run)) or from SSM's history read with M(mwops.ssm.mw_execution_info); both use the schema
    C(mwops.ssm/window-execution/1).
  - Each report shows the window ID and name, the change reference (a window tag, O(change_reference_tag)), the owner
    information, the tasks by priority with document, document version, parameters (secret-named ones masked) and rate
    controls, the window start, cutoff and end, each task's and invocation's start and end, each instance's outcome with
    its reason, and the overall status. With several executions a summary per window comes first (success rate,
    failures by reason).
  - C(markdown) is for a change ticket, C(csv) has one row per invocation, C(json) is the report as data, and C(html) is one
    self-contained page (no external assets, it opens offline) with an SVG timeline, one row per instance grouped by
    task and priority, one bar per invocation coloured by status, the cutoff and the window end as lines, and a
    concurrency strip per task against MaxConcurrency.
  - Files are written on the controller, mode 0600, in a directory created with mode 0700. A file that already holds
    the same report is left alone (C(changed=false)).
  - Every value from the history is data; HTML is escaped, Markdown table cells are escaped, and CSV cells that a
    spreadsheet would run as a formula are prefixed with C(').
author:
  - mwops maintainers (@mwops)
options:
  executions:
    description:
      - Window executions, such as the C(executions) that M(mwops.ssm.mw_execution_info) returns or the contents of
        history files.
    type: list
    elements: dict
  history_dir:
    description: A local executor history directory (M(mwops.ssm.mw_run)'s O(mwops.ssm.mw_run#module:history_dir)); every
      execution in it is reported unless O(execution_ids) is set.
    type: path
  history_files:
    description: Local executor history files (C(history_file) of M(mwops.ssm.mw_run)'s result).
    type: list
    elements: path
    default: []
  execution_ids:
    description: Only these window execution IDs.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Window tags for executions that carry none (local executor history does not record them), for example the
        definition's C(tags), so the change reference is found.
    type: dict
    default: {}
  dest:
    description: The directory the reports are written to (created with mode 0700 when missing).
    type: path
    required: true
  formats:
    description: Which documents to write.
    type: list
    elements: str
    choices: [markdown, csv, json, html]
    default: [markdown, csv, json, html]
  change_reference_tag:
    description: The window tag that holds the change reference (ticket number).
    type: str
    default: ChangeTicket
  basename:
    description:
      - File name without extension. Default C(<window name>_<execution ID>) for one execution,
        C(mw-evidence_<time>_<N>-executions) for several.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Returns the paths and whether they would change; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: all
notes:
  - One of O(executions), O(history_dir) and O(history_files) is required. An execution given twice is reported once.
"""

EXAMPLES = r"""
- name: Read the last execution of a window from SSM
  mwops.ssm.mw_execution_info:
    name: prod-linux-patching
    last: 1
  register: history

- name: Write the evidence
  mwops.ssm.mw_report:
    executions: "{{ history.executions }}"
    dest: "{{ playbook_dir }}/evidence"
  register: evidence

- name: Evidence of an on-prem run, with the change reference from the definition's tags
  mwops.ssm.mw_report:
    history_files: ["{{ run.history_file }}"]
    tags: "{{ window.tags }}"
    dest: /var/lib/mw-evidence
    formats: [markdown, html]

- name: Attach the Markdown to the change ticket (ServiceNow table API, as an example)
  ansible.builtin.uri:
    url: "https://example.service-now.com/api/now/attachment/file?table_name=change_request&table_sys_id={{ sys_id }}&file_name=evidence.md"
    method: POST
    headers:
      Content-Type: text/markdown
    src: "{{ evidence.files.markdown }}"
    user: "{{ snow_user }}"
    password: "{{ snow_password }}"
    force_basic_auth: true
    status_code: 201
"""

RETURN = r"""
files:
  description: The path of each document written, by format.
  returned: always
  type: dict
  sample: {"markdown": "/srv/evidence/prod-linux-patching_518d5565.md", "html": "/srv/evidence/prod-linux-patching_518d5565.html"}
paths:
  description: The same paths as a list.
  returned: always
  type: list
  elements: str
executions:
  description: The executions in the report, oldest first, with C(id), C(window_id), C(window_name), C(status),
    C(start_time), C(change_reference) and C(counts) (C(invocations), C(succeeded), C(failed), C(timed_out),
    C(cancelled), C(not_started), C(errors_counted)).
  returned: always
  type: list
  elements: dict
summary:
  description: Per window, C(executions), C(execution_statuses), C(invocations), C(succeeded), C(success_rate) (0 to 1)
    and C(failures_by_reason).
  returned: always
  type: list
  elements: dict
"""
