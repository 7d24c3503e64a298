"""Lookup mwops.ssm.mw_schedule: run through Ansible's plugin loader (options, docs, fragments),
against the loopback SSM sandbox for deployed windows, and once from a real ansible-playbook."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ansible.errors import AnsibleLookupError

COLLECTION = Path(__file__).resolve().parents[4]
AFTER = "2026-01-01T00:00:00Z"


def _collection_paths():
    """Where ansible_collections/ lives for this run, plus the pinned amazon.aws if it is not there."""
    paths = []
    if COLLECTION.parent.parent.name == "ansible_collections":
        paths.append(str(COLLECTION.parent.parent.parent))
    else:
        paths.append(str(COLLECTION / ".cache" / "pyroot"))
    if not any((Path(p) / "ansible_collections" / "amazon" / "aws").is_dir() for p in paths):
        pinned = Path.home() / ".cache" / "mwops-ssm" / "collections"
        if (pinned / "ansible_collections" / "amazon" / "aws").is_dir():
            paths.append(str(pinned))
    return paths


NAME = "mwops.ssm.mw_schedule"


@pytest.fixture(scope="module")
def lookup():
    """Register the lookup's option definitions (its DOCUMENTATION plus the amazon.aws fragments)
    the way the plugin loader does.

    The loader itself is not used here: installing Ansible's collection finder in a pytest session
    that already imported ``ansible_collections`` as plain packages breaks later imports. The real
    loader, docs and fragments are exercised by test_real_playbook_run.
    """
    import yaml  # pylint: disable=import-outside-toplevel
    from ansible import constants as C  # pylint: disable=import-outside-toplevel

    fragments = pytest.importorskip("ansible_collections.amazon.aws.plugins.doc_fragments.common")
    region = pytest.importorskip("ansible_collections.amazon.aws.plugins.doc_fragments.region")
    from ansible_collections.mwops.ssm.plugins.lookup import mw_schedule  # pylint: disable=import-outside-toplevel

    doc = yaml.safe_load(mw_schedule.DOCUMENTATION)
    assert doc["extends_documentation_fragment"] == ["amazon.aws.common.plugins", "amazon.aws.region.plugins"]
    options = dict(doc["options"])
    for fragment in (fragments, region):
        options.update(yaml.safe_load(fragment.ModuleDocFragment.PLUGINS)["options"])
    C.config.initialize_plugin_configuration_definitions("lookup", NAME, options)
    return mw_schedule.LookupModule


def run(lookup, terms, **kwargs):
    plugin = lookup()
    plugin._load_name = NAME  # set by the plugin loader in real runs
    plugin.ansible_name = NAME
    return plugin.run(terms, {}, **kwargs)


def test_patch_tuesday_plus_two_with_intervals(lookup):
    got = run(lookup, ["cron(0 2 ? * TUE#2 *)"], timezone="America/New_York", offset=2, duration=4, cutoff=1,
              after=AFTER, count=3)
    assert got == [[
        {"start": "2026-01-15T02:00:00-05:00", "end": "2026-01-15T06:00:00-05:00", "last_task_start": "2026-01-15T05:00:00-05:00"},
        {"start": "2026-02-12T02:00:00-05:00", "end": "2026-02-12T06:00:00-05:00", "last_task_start": "2026-02-12T05:00:00-05:00"},
        {"start": "2026-03-12T02:00:00-04:00", "end": "2026-03-12T06:00:00-04:00", "last_task_start": "2026-03-12T05:00:00-04:00"},
    ]]


def test_defaults_count_one_utc_and_starts_only(lookup):
    assert run(lookup, ["cron(0 3 ? * SUN *)"], after=AFTER) == [[{"start": "2026-01-04T03:00:00Z"}]]


def test_after_defaults_to_now(lookup):
    (only,) = run(lookup, ["rate(5 minutes)"])[0]
    start = datetime.fromisoformat(only["start"].replace("Z", "+00:00"))
    assert 0 < (start - datetime.now(timezone.utc)).total_seconds() <= 300 + 5


def test_several_terms_give_one_list_each(lookup):
    got = run(lookup, ["cron(0 3 ? * SUN *)", "rate(7 days)", "at(2026-07-07T15:55:00)"], after=AFTER, count=2,
              start_date="2026-01-02T00:00:00Z")
    assert got == [
        [{"start": "2026-01-04T03:00:00Z"}, {"start": "2026-01-11T03:00:00Z"}],
        [{"start": "2026-01-02T00:00:00Z"}, {"start": "2026-01-09T00:00:00Z"}],
        [{"start": "2026-07-07T15:55:00Z"}],
    ]


def test_terms_given_as_a_list(lookup):
    got = run(lookup, [["cron(0 3 ? * SUN *)", "rate(7 days)"]], after=AFTER, start_date="2026-01-02T00:00:00Z")
    assert got == [[{"start": "2026-01-04T03:00:00Z"}], [{"start": "2026-01-02T00:00:00Z"}]]


def test_aliases_and_bounds(lookup):
    got = run(lookup, ["cron(0 16 ? * TUE *)"], schedule_timezone="America/Los_Angeles",
              start_date="2021-01-01T00:00:00-08:00", end_date="2021-01-13T00:00:00-08:00", after="2020-12-01T00:00:00Z",
              count=5)
    assert got == [[{"start": "2021-01-05T16:00:00-08:00"}, {"start": "2021-01-12T16:00:00-08:00"}]]


def test_window_definition(lookup):
    window = {
        "name": "prod-linux-patching", "schedule": "cron(0 2 ? * TUE#2 *)", "schedule_timezone": "America/New_York",
        "schedule_offset": 2, "duration": 4, "cutoff": 1, "tasks": [{"name": "patch"}],
    }
    got = run(lookup, [], window=window, after=AFTER, count=1)
    assert got == [[{"start": "2026-01-15T02:00:00-05:00", "end": "2026-01-15T06:00:00-05:00",
                     "last_task_start": "2026-01-15T05:00:00-05:00"}]]
    assert run(lookup, [], window=dict(window, enabled=False), after=AFTER, count=3) == [[]]
    # explicit options override the definition
    assert run(lookup, [], window=window, offset=1, after=AFTER)[0][0]["start"] == "2026-01-14T02:00:00-05:00"


@pytest.mark.parametrize(
    "terms,kwargs,message",
    [
        (["cron(0 10 ? * 0 *)"], {}, "day-of-week: 0 is not valid; AWS numbers days 1-7 starting with SUN"),
        (["rate(5 hour)"], {}, "rate unit: must be plural"),
        (["rate(7 days)"], {"offset": 2}, "schedule_offset: is supported for cron expressions only"),
        (["cron(0 2 ? * TUE *)"], {"timezone": "Mars/Olympus"}, "schedule_timezone: 'Mars/Olympus' is not an IANA time zone"),
        (["cron(0 2 ? * TUE *)"], {"duration": 5, "cutoff": 5}, "cutoff: 5 must be at most duration - 1 = 4"),
        (["cron(0 2 ? * TUE *)"], {"after": "next week"}, "after:"),
        (["cron(0 2 ? * TUE *)"], {"count": -1}, "count:"),
        ([], {}, "exactly one of"),
        (["cron(0 2 ? * TUE *)"], {"window": {"schedule": "rate(1 day)"}}, "exactly one of"),
        ([], {"window": {"name": "x"}}, "schedule: is required"),
        ([], {"window_id": "mw-0123456789abcdef0", "name": "x"}, "exactly one of"),
    ],
)
def test_invalid_input_fails_with_the_core_message(lookup, terms, kwargs, message):
    with pytest.raises(AnsibleLookupError) as info:
        run(lookup, terms, after=kwargs.pop("after", AFTER), **kwargs)
    assert message in str(info.value)


# ---------------------------------------------------------------------------------------------
# Deployed windows, read from the loopback SSM sandbox


@pytest.fixture()
def aws_options(sandbox):
    return {"endpoint_url": sandbox.endpoint, "region": "us-east-1", "access_key": "testing", "secret_key": "testing"}


def _create_window(ssm_client, name, **fields):
    request = {"Name": name, "Schedule": "cron(0 2 ? * TUE#2 *)", "Duration": 4, "Cutoff": 1,
               "AllowUnassociatedTargets": False}
    request.update(fields)
    return ssm_client.create_maintenance_window(**request)["WindowId"]


def test_deployed_window_by_id_and_name(lookup, sandbox, ssm_client, aws_options):
    sandbox.reset()
    window_id = _create_window(ssm_client, "lookup-by-id", ScheduleTimezone="America/New_York", ScheduleOffset=2,
                               StartDate="2026-01-01T00:00:00-05:00")
    sandbox.reset_requests()
    expected = [[{"start": "2026-01-15T02:00:00-05:00", "end": "2026-01-15T06:00:00-05:00",
                  "last_task_start": "2026-01-15T05:00:00-05:00"}]]
    # Created "now" (after 2026-01-13), so the January base match counts only through the period
    # rule when creation is before it: ask about a created_at in the past explicitly.
    got = run(lookup, [], window_id=window_id, after=AFTER, created_at="2025-12-01T00:00:00Z", **aws_options)
    assert got == expected
    assert run(lookup, [], name="lookup-by-id", after=AFTER, created_at="2025-12-01T00:00:00Z", **aws_options) == expected
    operations = [r["operation"] for r in sandbox.requests()]
    assert "GetMaintenanceWindow" in operations and "DescribeMaintenanceWindows" in operations
    assert not any(r["write"] for r in sandbox.requests())


def test_deployed_window_uses_creation_time_by_default(lookup, sandbox, ssm_client, aws_options):
    sandbox.reset()
    window_id = _create_window(ssm_client, "lookup-created", Schedule="rate(1 day)")
    created = ssm_client.get_maintenance_window(WindowId=window_id)["CreatedDate"]
    (first,) = run(lookup, [], window_id=window_id, after=created.isoformat(), **aws_options)[0]
    start = datetime.fromisoformat(first["start"].replace("Z", "+00:00"))
    assert (start - created).total_seconds() == 86400


def test_disabled_window_has_no_openings(lookup, sandbox, ssm_client, aws_options):
    sandbox.reset()
    window_id = _create_window(ssm_client, "lookup-disabled")
    ssm_client.update_maintenance_window(WindowId=window_id, Enabled=False)
    assert run(lookup, [], window_id=window_id, after=AFTER, count=3, **aws_options) == [[]]


def test_deployed_window_errors(lookup, sandbox, ssm_client, aws_options):
    sandbox.reset()
    _create_window(ssm_client, "twin-window")
    _create_window(ssm_client, "twin-window")
    with pytest.raises(AnsibleLookupError, match="2 maintenance windows are named 'twin-window'"):
        run(lookup, [], name="twin-window", after=AFTER, **aws_options)
    with pytest.raises(AnsibleLookupError, match="no maintenance window is named 'absent-window'"):
        run(lookup, [], name="absent-window", after=AFTER, **aws_options)
    with pytest.raises(AnsibleLookupError, match="does not exist"):
        run(lookup, [], window_id="mw-0123456789abcdef0", after=AFTER, **aws_options)


def test_a_throttled_describe_is_retried(lookup, sandbox, ssm_client, aws_options, monkeypatch):
    """The lookup reads through the AWS layer: a throttled DescribeMaintenanceWindows is retried
    with backoff. botocore's own retries are switched off (AWS_MAX_ATTEMPTS=1), so only the
    collection's retry can turn the throttle into a result."""
    sandbox.reset()
    _create_window(ssm_client, "lookup-throttled", StartDate="2026-01-01T00:00:00Z")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    sandbox.reset_requests()
    # Seed 1 at rate 0.5 throttles the first DescribeMaintenanceWindows call, not the second.
    sandbox.set_faults(throttle_rate=0.5, seed=1, operations=["DescribeMaintenanceWindows"])
    try:
        got = run(lookup, [], name="lookup-throttled", after=AFTER, created_at="2025-12-01T00:00:00Z", **aws_options)
    finally:
        sandbox.set_faults(throttle_rate=0.0)
    assert got == [[{"start": "2026-01-13T02:00:00Z", "end": "2026-01-13T06:00:00Z",
                     "last_task_start": "2026-01-13T05:00:00Z"}]]
    describes = [r["throttled"] for r in sandbox.requests() if r["operation"] == "DescribeMaintenanceWindows"]
    assert describes == [True, False]


def test_invalid_input_calls_nothing(lookup, sandbox, aws_options):
    sandbox.reset_requests()
    with pytest.raises(AnsibleLookupError):
        run(lookup, [], window_id="mw-0123456789abcdef0", after="not a date", **aws_options)
    assert sandbox.requests() == []


# ---------------------------------------------------------------------------------------------
# A real playbook run


PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - ansible.builtin.set_fact:
        one: "{{ lookup('mwops.ssm.mw_schedule', 'cron(0 2 ? * TUE#2 *)', timezone='America/New_York',
                        offset=2, duration=4, cutoff=1, after='2026-01-01T00:00:00Z', count=2) }}"
        many: "{{ query('mwops.ssm.mw_schedule', 'cron(0 3 ? * SUN *)', 'rate(7 days)', after='2026-01-01T00:00:00Z',
                        start_date='2026-01-02T00:00:00Z') }}"
        overlaps: "{{ windows | mwops.ssm.mw_overlaps(start='2026-01-01T00:00:00Z', days=7) }}"
      vars:
        windows:
          - {name: a, schedule: cron(0 22 ? * SAT *), schedule_timezone: Europe/Berlin, duration: 4, cutoff: 1}
          - {name: b, schedule: cron(0 14 ? * SAT *), schedule_timezone: America/New_York, duration: 7, cutoff: 1}
    - ansible.builtin.set_fact:
        deployed: "{{ lookup('mwops.ssm.mw_schedule', name='playbook-window', endpoint_url=endpoint, region='us-east-1',
                             access_key='testing', secret_key='testing', after='2026-01-01T00:00:00Z',
                             created_at='2025-12-01T00:00:00Z', count=1) }}"
    - ansible.builtin.copy:
        content: "{{ {'one': one, 'many': many, 'overlaps': overlaps, 'deployed': deployed} | to_json }}"
        dest: "{{ out }}"
"""


@pytest.mark.slow
def test_real_playbook_run(tmp_path, sandbox, ssm_client):
    sandbox.reset()
    _create_window(ssm_client, "playbook-window", ScheduleTimezone="Europe/Berlin", Schedule="cron(0 22 ? * SAT *)")
    playbook_bin = Path(sys.executable).parent / "ansible-playbook"
    if not playbook_bin.exists() and shutil.which("ansible-playbook") is None:
        pytest.skip("ansible-playbook not installed next to this Python")
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    out = tmp_path / "out.json"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(_collection_paths()),
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [str(playbook_bin if playbook_bin.exists() else "ansible-playbook"), str(tmp_path / "play.yml"),
         "-e", f"out={out}", "-e", f"endpoint={sandbox.endpoint}", "-e", f"ansible_python_interpreter={sys.executable}", "-c", "local", "-i", "localhost,"],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(out.read_text())
    assert data["one"] == [
        {"start": "2026-01-15T02:00:00-05:00", "end": "2026-01-15T06:00:00-05:00", "last_task_start": "2026-01-15T05:00:00-05:00"},
        {"start": "2026-02-12T02:00:00-05:00", "end": "2026-02-12T06:00:00-05:00", "last_task_start": "2026-02-12T05:00:00-05:00"},
    ]
    assert data["many"] == [[{"start": "2026-01-04T03:00:00Z"}], [{"start": "2026-01-02T00:00:00Z"}]]
    assert data["deployed"] == [{"start": "2026-01-03T22:00:00+01:00", "end": "2026-01-04T02:00:00+01:00",
                                 "last_task_start": "2026-01-04T01:00:00+01:00"}]
    assert data["overlaps"] == [{"first": "a", "second": "b", "start": "2026-01-03T21:00:00Z", "end": "2026-01-04T01:00:00Z"}]
