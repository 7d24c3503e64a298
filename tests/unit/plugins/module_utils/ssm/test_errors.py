"""The AWS layer's error handling, with a stub client: throttling retried, AWS errors turned into
AnsibleSSMError, "does not exist" into a default, pagination through the retrying helper."""

from __future__ import annotations

import time

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _ssm

from .stub_client import StubClient, client_error

WID = "mw-0123456789abcdef0"


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """The retry's back-off sleeps, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


@pytest.mark.parametrize("code", _ssm.THROTTLE_CODES)
def test_throttling_is_retried_on_reads(code, sleeps):
    client = StubClient(get_maintenance_window=[client_error(code), client_error(code), {"WindowId": WID}])
    assert _ssm.get_window(client, WID) == {"WindowId": WID}
    assert client.methods() == ["get_maintenance_window"] * 3 and len(sleeps) == 2


def test_throttling_is_retried_on_writes(sleeps):
    client = StubClient(create_maintenance_window=[client_error("ThrottlingException"), {"WindowId": WID}])
    assert _ssm.write(client, "CreateMaintenanceWindow", {"Name": "w"}) == WID
    assert len(client.calls) == 2 and len(sleeps) == 1


@pytest.mark.parametrize("code", ["AccessDeniedException", "ValidationException"])
def test_refusals_become_our_error_without_retries(code, sleeps):
    client = StubClient(register_target_with_maintenance_window=[client_error(code)])
    with pytest.raises(_ssm.AnsibleSSMError) as err:
        _ssm.write(client, "RegisterTargetWithMaintenanceWindow", {"WindowId": WID})
    assert err.value.message == "Failed to register maintenance window target"
    assert err.value.exception.response["Error"]["Code"] == code
    assert len(client.calls) == 1 and sleeps == []


def test_a_read_refusal_names_the_read():
    client = StubClient(list_tags_for_resource=[client_error("AccessDeniedException")])
    with pytest.raises(_ssm.AnsibleSSMError, match="list tags of maintenance window"):
        _ssm.list_window_tags(client, WID)


def test_missing_resources_are_defaults_not_errors():
    client = StubClient(get_maintenance_window=[client_error("DoesNotExistException")],
                        deregister_task_from_maintenance_window=[client_error("DoesNotExistException")])
    assert _ssm.get_window(client, WID) is None
    # A deletion of something already gone is done, not failed.
    assert _ssm.write(client, "DeregisterTaskFromMaintenanceWindow", {"WindowId": WID, "WindowTaskId": "x"}) is None


def test_pagination_reads_every_page_and_retries(sleeps):
    windows = [{"WindowId": f"mw-{n:017x}", "Name": "w"} for n in range(3)]
    client = StubClient(describe_maintenance_windows=[client_error("ThrottlingException"),
                                                      {"WindowIdentities": windows}])
    assert _ssm.describe_windows(client, [{"Key": "Name", "Values": ["w"]}]) == windows
    method, params = client.calls[-1]
    assert method == "describe_maintenance_windows" and len(sleeps) == 1
    assert params == {"PaginationConfig": {"PageSize": _ssm.PAGE_SIZE}, "Filters": [{"Key": "Name", "Values": ["w"]}]}


def test_a_failed_listing_is_our_error():
    client = StubClient(describe_maintenance_window_tasks=[client_error("AccessDeniedException")])
    with pytest.raises(_ssm.AnsibleSSMError, match="describe tasks of maintenance window"):
        _ssm.describe_tasks(client, WID)


def test_every_write_takes_the_planned_request_as_is():
    client = StubClient(add_tags_to_resource=[{}], update_maintenance_window_task=[{}],
                        register_task_with_maintenance_window=[{"WindowTaskId": "t-1"}])
    tags = {"ResourceType": "MaintenanceWindow", "ResourceId": WID, "Tags": [{"Key": "a", "Value": "1"}]}
    assert _ssm.write(client, "AddTagsToResource", dict(tags)) is None
    task = {"WindowId": WID, "TaskInvocationParameters": {"Lambda": {"Payload": "{}"}}}
    assert _ssm.write(client, "RegisterTaskWithMaintenanceWindow", task) == "t-1"
    assert client.calls[0] == ("add_tags_to_resource", tags)
    # Lambda payloads travel as bytes.
    assert client.calls[1][1]["TaskInvocationParameters"]["Lambda"]["Payload"] == b"{}"


def test_the_write_table_covers_every_planned_operation():
    from ansible_collections.mwops.ssm.plugins.module_utils._plan import VALIDATED

    assert set(VALIDATED) <= set(_ssm.WRITE_OPERATIONS)
    created = {name for name, spec in _ssm.WRITE_OPERATIONS.items() if spec.new_id}
    assert created == {name for name, spec in _ssm.WRITE_OPERATIONS.items() if spec.client_token}
    assert created == {name for name, spec in _ssm.WRITE_OPERATIONS.items() if spec.created_exists}


@pytest.mark.parametrize("current, desired, purge, expected", [
    ({"a": "1", "aws:cloudformation:stack-name": "s"}, {}, True, ({}, ["a"])),
    ({"a": "1", "b": "2"}, {"a": "1"}, False, ({}, [])),
    ({"a": "1"}, {"a": 2, "c": None}, True, ({"a": "2", "c": ""}, [])),
    ({"a": "1"}, None, True, ({}, [])),
    ({"b": "1", "a": "1"}, {}, True, ({}, ["a", "b"])),
])
def test_tag_changes_use_compare_aws_tags(current, desired, purge, expected):
    assert _ssm.window_tag_changes(current, desired, purge) == expected
