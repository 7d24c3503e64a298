# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Read patch compliance from SSM for ``patch_compliance_info``; never write.

One ``DescribePatchGroups`` listing, then per patch group one ``DescribePatchGroupState`` and the
pages of ``DescribeInstancePatchStatesForPatchGroup`` (filters applied by SSM), and
``DescribeInstancePatchStates`` for named nodes in batches of 50 (AWS's limit). Every call goes
through ``_ssm``'s error handler and retry (throttling is retried with jittered backoff);
paginated calls through its retried paginator helper.
"""

from __future__ import annotations

import typing as t
from collections.abc import Sequence

from . import _patch_compliance as C
from ._ssm import RETRY
from ._ssm import SSMErrorHandler
from ._ssm import _paginate

Doc = dict[str, t.Any]
STATE_BATCH = 50  # InstanceIds per DescribeInstancePatchStates


@SSMErrorHandler.list_error_handler("describe patch groups", [])
def patch_group_mappings(ssm) -> list[Doc]:
    return _paginate(ssm, "describe_patch_groups", "Mappings")


@SSMErrorHandler.list_error_handler("describe patch group state", {})
@RETRY
def patch_group_state(ssm, patch_group: str) -> Doc:
    return ssm.describe_patch_group_state(PatchGroup=patch_group)


@SSMErrorHandler.list_error_handler("describe instance patch states for patch group", [])
def group_patch_states(ssm, patch_group: str, filters: list[Doc]) -> list[Doc]:
    params: Doc = {"PatchGroup": patch_group}
    if filters:
        params["Filters"] = filters
    return _paginate(ssm, "describe_instance_patch_states_for_patch_group", "InstancePatchStates", **params)


@SSMErrorHandler.list_error_handler("describe instance patch states", [])
def instance_patch_states(ssm, instance_ids: Sequence[str]) -> list[Doc]:
    found: list[Doc] = []
    ids = sorted(set(instance_ids))
    for start in range(0, len(ids), STATE_BATCH):
        found += _paginate(ssm, "describe_instance_patch_states", "InstancePatchStates",
                           InstanceIds=ids[start:start + STATE_BATCH])
    return found


def read_compliance(ssm, patch_groups: Sequence[str] | None, instance_ids: Sequence[str],
                    filters: Sequence[Doc]) -> Doc:
    """The module's answer. ``patch_groups`` None: every registered group, unless nodes are named."""
    mappings = patch_group_mappings(ssm)
    if patch_groups is None:
        names = [] if instance_ids else sorted({m.get("PatchGroup", "") for m in mappings})
    else:
        names = list(dict.fromkeys(patch_groups))
    api_filters = C.api_filters(filters)
    states = {name: patch_group_state(ssm, name) for name in names}
    by_group = [group_patch_states(ssm, name, api_filters) for name in names]
    named = instance_patch_states(ssm, instance_ids) if instance_ids else []
    return C.report(names, states, mappings, [*by_group, named], filters)
