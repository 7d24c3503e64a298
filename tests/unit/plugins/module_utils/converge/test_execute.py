"""The converge steps with a stub client: IDs substituted as calls return them, partial apply,
the check that a created resource exists, a fresh ClientToken for a stale one, stopping."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _converge
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm
from ansible_collections.mwops.ssm.plugins.module_utils._plan import NEW_WINDOW_ID
from ansible_collections.mwops.ssm.plugins.module_utils._plan import Op
from ansible_collections.mwops.ssm.plugins.module_utils._plan import client_token
from ansible_collections.mwops.ssm.plugins.module_utils._plan import new_target_id
from ansible_collections.mwops.ssm.plugins.module_utils._plan import token_seed

from ..ssm.stub_client import StubClient, client_error

WID = "mw-0123456789abcdef0"
TARGET = new_target_id(1)
SEED = token_seed("web", [])


def create_window() -> Op:
    return Op("CreateMaintenanceWindow", {"Name": "w"}, result_id=NEW_WINDOW_ID, token_seed=token_seed("w", []))


def register_target(window_id: str = NEW_WINDOW_ID) -> Op:
    return Op("RegisterTargetWithMaintenanceWindow", {"WindowId": window_id, "Name": "web"}, result_id=TARGET,
              token_seed=SEED)


def test_ids_are_substituted_and_a_fresh_window_needs_no_existence_check():
    client = StubClient(create_maintenance_window=[{"WindowId": WID}], get_maintenance_window=[{"WindowId": WID}],
                        register_target_with_maintenance_window=[{"WindowTargetId": "t-real"}],
                        update_maintenance_window_target=[{}])
    update = Op("UpdateMaintenanceWindowTarget", {"WindowId": NEW_WINDOW_ID, "WindowTargetId": TARGET})
    done: list = []
    ids = _converge.execute(client, [create_window(), register_target(), update], done=done)
    assert ids == {NEW_WINDOW_ID: WID, TARGET: "t-real"}
    # The window's token is checked (an older run may have made it); its new target's is not.
    assert client.methods() == ["create_maintenance_window", "get_maintenance_window",
                                "register_target_with_maintenance_window", "update_maintenance_window_target"]
    register = client.calls[2][1]
    assert register["WindowId"] == WID
    assert register["ClientToken"] == client_token("RegisterTargetWithMaintenanceWindow", WID, SEED)
    assert client.calls[3][1] == {"WindowId": WID, "WindowTargetId": "t-real"}
    assert done == [{"operation": "CreateMaintenanceWindow", "name": "w", "window_id": WID},
                    {"operation": "RegisterTargetWithMaintenanceWindow", "window_id": WID, "name": "web",
                     "window_target_id": "t-real"},
                    {"operation": "UpdateMaintenanceWindowTarget", "window_id": WID, "window_target_id": "t-real"}]


def test_a_created_resource_is_checked_and_a_stale_token_replaced():
    """An existing window: the token's target may have been deleted since; then a new token."""
    listed = {"old-id": {"Targets": []}, "new-id": {"Targets": [{"WindowTargetId": "new-id"}]}}
    client = StubClient(register_target_with_maintenance_window=[{"WindowTargetId": "old-id"},
                                                                 {"WindowTargetId": "new-id"}],
                        describe_maintenance_window_targets=[lambda p: listed[p["Filters"][0]["Values"][0]]])
    ids = _converge.execute(client, [register_target(WID)])
    assert ids == {TARGET: "new-id"}
    tokens = [params["ClientToken"] for method, params in client.calls if method.startswith("register")]
    assert tokens == [client_token("RegisterTargetWithMaintenanceWindow", WID, SEED),
                      client_token("RegisterTargetWithMaintenanceWindow", WID, SEED, ["old-id"])]


def test_a_created_resource_that_exists_is_kept():
    client = StubClient(register_target_with_maintenance_window=[{"WindowTargetId": "t-1"}],
                        describe_maintenance_window_targets=[{"Targets": [{"WindowTargetId": "t-1"}]}])
    assert _converge.execute(client, [register_target(WID)]) == {TARGET: "t-1"}
    assert client.methods() == ["register_target_with_maintenance_window", "describe_maintenance_window_targets"]


def test_a_failure_after_writes_is_a_partial_apply():
    client = StubClient(create_maintenance_window=[{"WindowId": WID}], get_maintenance_window=[{"WindowId": WID}],
                        register_target_with_maintenance_window=[client_error("AccessDeniedException")])
    with pytest.raises(_converge.PartialApply) as err:
        _converge.execute(client, [create_window(), register_target()])
    assert err.value.done == [{"operation": "CreateMaintenanceWindow", "name": "w", "window_id": WID}]
    assert isinstance(err.value.cause, _ssm.AnsibleSSMError)


def test_a_failure_of_the_first_write_is_the_error_itself():
    client = StubClient(create_maintenance_window=[client_error("ValidationException")])
    with pytest.raises(_ssm.AnsibleSSMError):
        _converge.execute(client, [create_window()])


def test_a_run_whose_controller_is_gone_stops_before_the_next_write():
    client = StubClient(create_maintenance_window=[{"WindowId": WID}], get_maintenance_window=[{"WindowId": WID}])
    answers = iter([True, False])
    with pytest.raises(_converge.PartialApply) as err:
        _converge.execute(client, [create_window(), register_target()], keep_going=lambda: next(answers))
    assert isinstance(err.value.cause, _converge.ControllerGone)
    assert client.methods() == ["create_maintenance_window", "get_maintenance_window"]
    with pytest.raises(_converge.ControllerGone):
        _converge.execute(StubClient(), [create_window()], keep_going=lambda: False)


def test_apply_writes_nothing_in_check_mode():
    plan = _converge.Plan(ops=[create_window()])
    client = StubClient()
    assert _converge.apply(client, plan, check_mode=True) == {} and client.calls == []
