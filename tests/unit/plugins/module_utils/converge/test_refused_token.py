"""A refused ClientToken (IdempotentParameterMismatch) on Create/Register (``_ssm.create_once``,
used by ``_converge.execute``): asked again under a token naming the parameters when nothing of
that name exists (deleted, then defined again with a changed definition), else the error stands."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _converge
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm
from ansible_collections.mwops.ssm.plugins.module_utils._plan import NEW_WINDOW_ID
from ansible_collections.mwops.ssm.plugins.module_utils._plan import Op
from ansible_collections.mwops.ssm.plugins.module_utils._plan import client_token
from ansible_collections.mwops.ssm.plugins.module_utils._plan import new_target_id
from ansible_collections.mwops.ssm.plugins.module_utils._plan import new_task_id
from ansible_collections.mwops.ssm.plugins.module_utils._plan import parameters_marker
from ansible_collections.mwops.ssm.plugins.module_utils._plan import token_seed

from ..ssm.stub_client import StubClient, client_error

WID = "mw-0123456789abcdef0"
REFUSED = client_error("IdempotentParameterMismatch")
TARGET_REQUEST = {"WindowId": WID, "Name": "web", "ResourceType": "INSTANCE",
                  "Targets": [{"Key": "tag:Role", "Values": ["db"]}]}


def register_target(window_id: str = WID) -> Op:
    return Op("RegisterTargetWithMaintenanceWindow", dict(TARGET_REQUEST, WindowId=window_id),
              result_id=new_target_id(1), token_seed=token_seed("web", []))


def tokens(client: StubClient, prefix: str) -> list[str]:
    return [params["ClientToken"] for method, params in client.calls if method.startswith(prefix)]


def test_a_refused_target_token_with_no_target_of_that_name_is_asked_again_naming_the_parameters():
    client = StubClient(register_target_with_maintenance_window=[REFUSED, {"WindowTargetId": "t-new"}],
                        describe_maintenance_window_targets=[{"Targets": [{"WindowTargetId": "t-x", "Name": "other"}]},
                                                             {"Targets": [{"WindowTargetId": "t-new"}]}])
    assert _converge.execute(client, [register_target()]) == {new_target_id(1): "t-new"}
    seed = token_seed("web", [])
    marker = parameters_marker(TARGET_REQUEST)
    assert tokens(client, "register") == [client_token("RegisterTargetWithMaintenanceWindow", WID, seed),
                                          client_token("RegisterTargetWithMaintenanceWindow", WID, seed, [marker])]
    # Read between: is there a target of that name? (no); after: does the answered one exist? (yes)
    assert client.methods() == ["register_target_with_maintenance_window", "describe_maintenance_window_targets",
                                "register_target_with_maintenance_window", "describe_maintenance_window_targets"]


def test_a_refused_target_token_stands_while_a_target_of_that_name_exists():
    """A race lost to another definition of that name: never a second target of one name."""
    client = StubClient(register_target_with_maintenance_window=[REFUSED],
                        describe_maintenance_window_targets=[{"Targets": [{"WindowTargetId": "t-1", "Name": "web"}]}])
    with pytest.raises(_ssm.AnsibleSSMError) as err:
        _converge.execute(client, [register_target()])
    assert _ssm.refused_token(err.value)
    assert client.methods() == ["register_target_with_maintenance_window", "describe_maintenance_window_targets"]


def test_a_refusal_after_asking_again_stands():
    """The parameters' own token refused too (cannot happen unless parameters collide): no loop."""
    client = StubClient(register_target_with_maintenance_window=[REFUSED],
                        describe_maintenance_window_targets=[{"Targets": []}])
    with pytest.raises(_ssm.AnsibleSSMError):
        _converge.execute(client, [register_target()])
    assert client.methods().count("register_target_with_maintenance_window") == 2


def test_other_errors_are_not_asked_again():
    client = StubClient(register_target_with_maintenance_window=[client_error("ValidationException")])
    with pytest.raises(_ssm.AnsibleSSMError) as err:
        _converge.execute(client, [register_target()])
    assert not _ssm.refused_token(err.value)
    assert client.methods() == ["register_target_with_maintenance_window"]


def test_a_refused_window_token_with_no_window_of_that_name_is_asked_again():
    request = {"Name": "w", "Schedule": "cron(0 4 ? * SAT *)", "Duration": 3, "Cutoff": 1}
    op = Op("CreateMaintenanceWindow", dict(request), result_id=NEW_WINDOW_ID, token_seed=token_seed("w", []))
    client = StubClient(create_maintenance_window=[REFUSED, {"WindowId": WID}],
                        describe_maintenance_windows=[{"WindowIdentities": [{"WindowId": "mw-x", "Name": "w2"}]}],
                        get_maintenance_window=[{"WindowId": WID}])
    assert _converge.execute(client, [op]) == {NEW_WINDOW_ID: WID}
    assert tokens(client, "create") == [
        client_token("CreateMaintenanceWindow", "account", op.token_seed),
        client_token("CreateMaintenanceWindow", "account", op.token_seed, [parameters_marker(request)])]


def test_a_refused_task_token_stands_while_a_task_of_that_name_exists():
    op = Op("RegisterTaskWithMaintenanceWindow", {"WindowId": WID, "Name": "patch", "Priority": 7},
            result_id=new_task_id(1), token_seed=token_seed("patch", []))
    client = StubClient(register_task_with_maintenance_window=[REFUSED],
                        describe_maintenance_window_tasks=[{"Tasks": [{"WindowTaskId": "k-1", "Name": "patch"}]}])
    with pytest.raises(_ssm.AnsibleSSMError):
        _converge.execute(client, [op])
    assert client.methods() == ["register_task_with_maintenance_window", "describe_maintenance_window_tasks"]


def test_in_a_window_this_run_created_a_refusal_is_not_second_guessed():
    """No earlier token can name a fresh window, so nothing is read: the error is the error."""
    client = StubClient(create_maintenance_window=[{"WindowId": WID}], get_maintenance_window=[{"WindowId": WID}],
                        register_target_with_maintenance_window=[REFUSED])
    window = Op("CreateMaintenanceWindow", {"Name": "w"}, result_id=NEW_WINDOW_ID, token_seed=token_seed("w", []))
    with pytest.raises(_converge.PartialApply):
        _converge.execute(client, [window, register_target(NEW_WINDOW_ID)])
    assert client.methods() == ["create_maintenance_window", "get_maintenance_window",
                                "register_target_with_maintenance_window"]
