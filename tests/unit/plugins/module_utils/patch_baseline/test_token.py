"""The ClientToken of CreatePatchBaseline (_baseline_plan): derived from the name, never random."""

from __future__ import annotations

import re

import botocore.loaders

from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields as B
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_plan as P
from ansible_collections.mwops.ssm.plugins.module_utils._plan import client_token
from ansible_collections.mwops.ssm.plugins.module_utils._plan import token_seed

MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")
RULES = {"patch_rules": [{"patch_filter_group": {"patch_filters": [{"key": "CLASSIFICATION", "values": ["Security"]}]},
                          "approve_after_days": 7}]}


def create_op(name="prod", **baseline):
    baseline = dict({"name": name, "operating_system": "AMAZON_LINUX_2", "approval_rules": RULES}, **baseline)
    plan = P.plan_baseline(P.Request(baseline=B.desired_baseline(baseline)), None, P.Surroundings(), MODEL)
    [op] = [op for op in plan.ops if op.operation == "CreatePatchBaseline"]
    return op


def test_the_create_is_seeded_by_the_name_and_no_baseline_observed():
    op = create_op()
    assert op.token_seed == token_seed("prod", []) == {"identity": "prod", "observed": []}
    # The token is the windows' one (_plan.client_token), account-wide: not a copy of it.
    assert P.create_token(op) == client_token("CreatePatchBaseline", "account", op.token_seed)
    # Derived when the call is sent (a stale one is replaced), so the planned request has none.
    assert "ClientToken" not in op.request


def test_runs_of_one_name_share_a_token_and_other_names_do_not():
    token = P.create_token(create_op())
    assert token == P.create_token(create_op())
    # Another definition of that name gets the same token: SSM refuses it (IdempotentParameterMismatch)
    # instead of making a second baseline of that name.
    assert token == P.create_token(create_op(description="other"))
    assert token != P.create_token(create_op(name="prod-2"))


def test_a_stale_baseline_gives_a_fresh_token_and_the_token_fits_the_api():
    op = create_op()
    fresh = P.create_token(op, ["pb-0123456789abcdef0"])
    assert fresh != P.create_token(op)
    assert fresh != P.create_token(op, ["pb-0fedcba9876543210"])
    shape = MODEL["shapes"][MODEL["shapes"]["CreatePatchBaselineRequest"]["members"]["ClientToken"]["shape"]]
    for token in (fresh, P.create_token(op)):
        assert shape["min"] <= len(token) <= shape["max"] and re.fullmatch(r"[a-z0-9-]+", token)


def test_only_the_create_carries_a_seed():
    plan = P.plan_baseline(P.Request(baseline=B.desired_baseline({"name": "prod", "approval_rules": RULES}),
                                     patch_groups=["web"], tags={"Env": "prod"}, default_for_os=True),
                           None, P.Surroundings(), MODEL)
    assert [(op.operation, op.token_seed is not None) for op in plan.ops] == [
        ("CreatePatchBaseline", True), ("RegisterPatchBaselineForPatchGroup", False),
        ("RegisterDefaultPatchBaseline", False)]


def test_the_parameters_marker_names_the_parameters_not_the_token():
    op = create_op()
    marker = P.parameters_marker(op.request)
    assert marker == P.parameters_marker(dict(op.request, ClientToken=P.create_token(op)))
    assert marker != P.parameters_marker(create_op(description="other").request)
    # A changed definition re-created after a delete gets a token of its own.
    assert P.create_token(op, [marker]) not in (P.create_token(op), P.create_token(op, ["parameters:other"]))
