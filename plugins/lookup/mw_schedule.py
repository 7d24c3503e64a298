# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: mw_schedule
author:
  - mwops maintainers (@mwops)
version_added: 0.1.0
short_description: Preview when an SSM maintenance window opens
description:
  - Computes the next openings of an AWS Systems Manager maintenance window from its schedule,
    the way SSM does, without calling AWS. Use it to review a schedule before you deploy it.
  - >-
    Understands the three AWS forms. V(cron(...\)) has 6 fields, or 7 with a leading seconds
    field; day-of-week numbers days 1-7 starting with SUN; the special characters are
    C(, - * / ? L W #). V(rate(N unit\)) repeats every N minutes, hours or days.
    V(at(YYYY-MM-DDThh:mm:ss\)) runs once.
  - Applies the IANA time zone, the schedule offset (cron only, calendar days, same local
    wall-clock time), StartDate/EndDate, and Duration/Cutoff. Where AWS does not document the
    behaviour the collection's conventions apply; see C(docs/schedules.md) in the collection.
  - Each term is a schedule expression and gives one list of openings. Alternatively pass a whole
    window definition with O(window), or read a deployed window from SSM with O(window_id) or
    O(name) (this needs boto3 and AWS credentials; only then is AWS called).
  - With one term (or O(window), O(window_id), O(name)) C(lookup) returns the list of openings.
    With several terms use C(query) or C(wantlist=true) to get one list per term.
  - Invalid input fails with a message naming the field and the rule, before anything is called.
options:
  _terms:
    description:
      - Schedule expressions, for example V(cron(0 2 ? * TUE#2 *\)) or V(rate(7 days\)).
      - Leave out when using O(window), O(window_id) or O(name).
    type: list
    elements: str
    required: false
  timezone:
    description:
      - IANA time zone the schedule runs in (SSM C(ScheduleTimezone)). Default C(UTC).
    type: str
    aliases: [schedule_timezone]
  offset:
    description:
      - Days to wait after each cron match before the window runs (SSM C(ScheduleOffset), 1-6,
        cron only). The run keeps the local wall-clock time of the cron match.
    type: int
    aliases: [schedule_offset]
  start_date:
    description:
      - ISO-8601 instant before which the window does not run (inclusive bound on the actual run).
      - Without a UTC offset it is read in O(timezone).
    type: str
  end_date:
    description:
      - ISO-8601 instant after which the window does not run (inclusive bound on the actual run).
      - Without a UTC offset it is read in O(timezone).
    type: str
  duration:
    description:
      - Window length in hours (1-24). When given, each opening also has C(end) and
        C(last_task_start).
    type: int
  cutoff:
    description:
      - Hours before the end of the window when no new task starts (0 to O(duration) - 1).
    type: int
  created_at:
    description:
      - When the window was created (ISO-8601). It anchors rate schedules that have no
        future O(start_date), and decides whether a cron match that already passed still gives
        an offset run (a match before creation does not).
      - Defaults to O(after). Read from SSM when O(window_id) or O(name) is used.
    type: str
  after:
    description:
      - List openings strictly after this ISO-8601 instant. Without a UTC offset it is UTC.
      - Defaults to now.
    type: str
  count:
    description:
      - How many openings to list per term. Fewer are returned when the schedule ends.
    type: int
    default: 1
  window:
    description:
      - A window definition in the collection's vocabulary; the keys used are C(schedule),
        C(schedule_timezone), C(schedule_offset), C(start_date), C(end_date), C(duration) and
        C(cutoff). A definition with C(enabled=false) gives an empty list, as a disabled window
        does not run. Other keys (tasks, targets, ...) are ignored.
      - Options given explicitly override the matching keys of the definition.
    type: dict
  window_id:
    description:
      - ID of a deployed window (C(mw-...)) to read from SSM with GetMaintenanceWindow.
      - A disabled window gives an empty list.
    type: str
  name:
    description:
      - Name of a deployed window to find with DescribeMaintenanceWindows. Fails when no window
        or more than one window has this name.
      - A disabled window gives an empty list.
    type: str
notes:
  - O(_terms), O(window), O(window_id) and O(name) are mutually exclusive.
  - The AWS connection options only matter with O(window_id) or O(name).
  - With O(window_id) or O(name) the window is read with the same calls as the collection's modules
    (C(DescribeMaintenanceWindows), C(GetMaintenanceWindow)), retried with jittered backoff when SSM
    throttles; see U(https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html).
seealso:
  - plugin: mwops.ssm.mw_overlaps
    plugin_type: filter
extends_documentation_fragment:
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
"""

EXAMPLES = r"""
- name: Next five Patch-Tuesday-plus-two windows in New York
  ansible.builtin.debug:
    msg: >-
      {{ lookup('mwops.ssm.mw_schedule', 'cron(0 2 ? * TUE#2 *)',
                timezone='America/New_York', offset=2, duration=4, cutoff=1,
                after='2026-01-01T00:00:00Z', count=5) }}

- name: One list per expression
  ansible.builtin.debug:
    msg: "{{ query('mwops.ssm.mw_schedule', 'cron(0 3 ? * SUN *)', 'rate(7 days)', count=3) }}"

- name: Preview a window definition kept in YAML
  ansible.builtin.debug:
    msg: "{{ lookup('mwops.ssm.mw_schedule', window=lookup('file', 'windows/prod-linux.yml') | from_yaml, count=10) }}"

- name: When does a deployed window open next?
  ansible.builtin.debug:
    msg: "{{ lookup('mwops.ssm.mw_schedule', name='prod-linux-patching', region='eu-west-1') }}"

- name: Fail early on an invalid schedule
  ansible.builtin.assert:
    that: lookup('mwops.ssm.mw_schedule', my_schedule, count=1) is defined
"""

RETURN = r"""
_raw:
  description:
    - One list per term (or one list for O(window), O(window_id), O(name)) of window openings,
      earliest first.
  type: list
  elements: list
  contains:
    start:
      description: When the window opens, ISO-8601 with the UTC offset of the window's zone (C(Z) for UTC).
      type: str
      sample: "2026-01-15T02:00:00-05:00"
    end:
      description: When the window closes (start + duration in elapsed hours). Only with a duration.
      type: str
      sample: "2026-01-15T06:00:00-05:00"
    last_task_start:
      description: The last instant a task may start (end - cutoff). Only with a duration.
      type: str
      sample: "2026-01-15T05:00:00-05:00"
"""

from datetime import datetime, timezone
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.amazon.aws.plugins.plugin_utils.lookup import AWSLookupBase
from ansible_collections.mwops.ssm.plugins.module_utils._converge import find_window
from ansible_collections.mwops.ssm.plugins.module_utils._plan import DefinitionError
from ansible_collections.mwops.ssm.plugins.module_utils._schedule import (
    Occurrence,
    WindowSchedule,
    api_schedule_fields,
    definition_fields,
    format_instant,
    occurrences,
    parse_instant,
    validate_window_schedule,
)
from ansible_collections.mwops.ssm.plugins.module_utils._ssm import AnsibleSSMError

# Lookup option -> WindowSchedule field.
OPTION_FIELDS = {
    "timezone": "timezone",
    "offset": "offset",
    "start_date": "start_date",
    "end_date": "end_date",
    "duration": "duration",
    "cutoff": "cutoff",
}


class LookupModule(AWSLookupBase):
    def run(self, terms, variables=None, **kwargs):
        # Not AWSLookupBase.run(): that demands boto3 even for a pure preview.
        self.set_options(var_options=variables, direct=kwargs)
        terms = [term for term in _flatten(terms or []) if term is not None]
        window, window_id, name = (self.get_option(key) for key in ("window", "window_id", "name"))
        sources = [label for label, given in (("terms", terms), ("window", window), ("window_id", window_id),
                                              ("name", name)) if given]
        if len(sources) != 1:
            raise AnsibleLookupError(
                "mw_schedule needs exactly one of: schedule expressions as terms, window=, window_id= or name= "
                f"(got {', '.join(sources) or 'none'})"
            )
        after = self._instant_option("after", default=datetime.now(timezone.utc))
        count = self.get_option("count")
        if count is None or count < 0:
            raise AnsibleLookupError(f"count: must be a whole number 0 or more, got {count!r}")
        created_at = self._instant_option("created_at", default=None)

        if terms:
            specs = [self._spec({"schedule": _text(term, "term")}, created_at) for term in terms]
        elif window:
            if not isinstance(window, dict):
                raise AnsibleLookupError("window: must be a window definition (a dictionary)")
            specs = [self._spec(_from_vocabulary(window), created_at)]
            if window.get("enabled") is False:
                return [[]]  # validated above, but a disabled window does not open
        else:
            deployed = self._deployed_window(window_id, name)
            if deployed is None:
                return [[]]  # disabled: it does not open
            specs = [self._spec(deployed, created_at)]
        return [[_as_dict(occ) for occ in occurrences(spec, after, count)] for spec in specs]

    # -- options

    def _instant_option(self, option: str, default: datetime | None) -> datetime | None:
        value = self.get_option(option)
        if value in (None, ""):
            return default
        try:
            return parse_instant(to_native(value))
        except ValueError as exc:
            raise AnsibleLookupError(f"{option}: {exc}") from None

    def _spec(self, fields: dict[str, Any], created_at: datetime | None) -> WindowSchedule:
        for option, field in OPTION_FIELDS.items():
            value = self.get_option(option)
            if value is not None:
                fields[field] = value
        if fields.get("timezone") in (None, ""):
            fields["timezone"] = "UTC"
        if created_at is not None or "created_at" not in fields:
            fields["created_at"] = created_at
        if not fields.get("schedule"):
            raise AnsibleLookupError("schedule: is required (a cron(...), rate(...) or at(...) expression)")
        spec = WindowSchedule(**fields)
        errors = validate_window_schedule(spec)
        if errors:
            raise AnsibleLookupError("; ".join(str(error) for error in errors))
        return spec

    # -- SSM

    def _deployed_window(self, window_id: str | None, name: str | None) -> dict[str, Any] | None:
        """The schedule fields of a deployed window, or None when it is disabled.

        Read through the collection's AWS layer (the same calls as the modules, retried with
        jittered backoff when SSM throttles)."""
        self.require_aws_sdk()
        client = self.client("ssm")
        try:
            window = find_window(client, name, window_id)
        except DefinitionError as exc:
            raise AnsibleLookupError("; ".join(f"{problem.path}: {problem.message}" for problem in exc.problems)) from None
        except AnsibleSSMError as exc:
            raise AnsibleLookupError(f"Failed to read maintenance window {window_id or name}: {to_native(exc)}") from None
        if window is None:
            if window_id:
                raise AnsibleLookupError(f"window_id: maintenance window {window_id} does not exist")
            raise AnsibleLookupError(f"name: no maintenance window is named {name!r} in this account and region")
        if not window.get("Enabled", True):
            return None
        return api_schedule_fields(window)


def _flatten(terms: Any) -> list[Any]:
    """Terms may arrive as a list inside the list (``lookup(..., my_list)``)."""
    flat: list[Any] = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(_flatten(term))
        else:
            flat.append(term)
    return flat


def _text(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise AnsibleLookupError(f"{label}: a schedule expression must be a string, got {type(value).__name__}")
    return value


def _from_vocabulary(window: dict[str, Any]) -> dict[str, Any]:
    fields = definition_fields(window)
    if "schedule" in fields:
        fields["schedule"] = _text(fields["schedule"], "window.schedule")
    return fields


def _as_dict(occurrence: Occurrence) -> dict[str, str]:
    result = {"start": format_instant(occurrence.start)}
    if occurrence.end is not None:
        result["end"] = format_instant(occurrence.end)
    if occurrence.last_task_start is not None:
        result["last_task_start"] = format_instant(occurrence.last_task_start)
    return result
