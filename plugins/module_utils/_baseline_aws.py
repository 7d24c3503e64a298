# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The one place that talks to SSM about patch baselines, patch groups and the OS defaults.

Built like ``_ssm``: each wrapper sits under the collection's error handler (botocore errors become
``AnsibleSSMError``, "does not exist" a default) and the shared jittered-backoff retry.
"""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from . import _baseline_fields as B
from . import _baseline_plan as P
from ._converge import ControllerGone
from ._converge import PartialApply
from ._ssm import RETRY
from ._ssm import SSMErrorHandler
from ._ssm import _paginate
from ._ssm import create_once as create_token_once

Doc = dict[str, t.Any]


# ----------------------------------------------------------------------------- reads

@SSMErrorHandler.list_error_handler("describe patch baselines", [])
def describe_baselines(client, filters: list[Doc] | None = None) -> list[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_patch_baselines", "BaselineIdentities", **params)


@SSMErrorHandler.list_error_handler("get patch baseline")
@RETRY
def get_baseline(client, baseline_id: str) -> Doc | None:
    answer = client.get_patch_baseline(BaselineId=baseline_id)
    answer.pop("ResponseMetadata", None)
    return answer


@SSMErrorHandler.list_error_handler("list tags of patch baseline", {})
@RETRY
def list_tags(client, baseline_id: str) -> dict[str, str]:
    tags = client.list_tags_for_resource(ResourceType=P.RESOURCE_TYPE, ResourceId=baseline_id)
    return boto3_tag_list_to_ansible_dict(tags.get("TagList", []))


@SSMErrorHandler.list_error_handler("get default patch baseline")
@RETRY
def get_default_baseline(client, operating_system: str) -> str | None:
    return client.get_default_patch_baseline(OperatingSystem=operating_system).get("BaselineId")


@SSMErrorHandler.list_error_handler("describe patch groups", [])
def describe_patch_groups(client, filters: list[Doc] | None = None) -> list[Doc]:
    params = {"Filters": filters} if filters else {}
    return _paginate(client, "describe_patch_groups", "Mappings", **params)


def find_by_name(client, name: str) -> list[Doc]:
    """Custom baselines whose name is exactly ``name`` (NAME_PREFIX is a prefix match)."""
    found = describe_baselines(client, [{"Key": "NAME_PREFIX", "Values": [name]}, {"Key": "OWNER", "Values": ["Self"]}])
    return [b for b in found if b.get("BaselineName") == name]


def aws_default_baseline(client, operating_system: str) -> str | None:
    """The AWS-provided default baseline of an OS (``AWS-...DefaultPatchBaseline``)."""
    found = describe_baselines(client, [{"Key": "OWNER", "Values": ["AWS"]},
                                        {"Key": "OPERATING_SYSTEM", "Values": [operating_system]}])
    named = [b for b in found if str(b.get("BaselineName", "")).endswith("DefaultPatchBaseline")]
    return (named or found or [{}])[0].get("BaselineId")


def group_owner(client, group: str, operating_system: str) -> tuple[str, str] | None:
    """The baseline a patch group is registered with for an OS, if any: (ID, name)."""
    mappings = describe_patch_groups(client, [{"Key": "NAME_PREFIX", "Values": [group]},
                                              {"Key": "OPERATING_SYSTEM", "Values": [operating_system]}])
    for mapping in mappings:
        identity = mapping.get("BaselineIdentity") or {}
        if mapping.get("PatchGroup") == group and identity.get("OperatingSystem") == operating_system:
            return identity.get("BaselineId", ""), identity.get("BaselineName", "")
    return None


def read_state(client, baseline_id: str, with_default: bool) -> P.BaselineState | None:
    api = get_baseline(client, baseline_id)
    if api is None:
        return None
    # AWS's own baselines carry no tags of ours (and cannot be managed: the plan refuses them).
    tags = {} if P.is_aws_provided(api["BaselineId"]) else list_tags(client, api["BaselineId"])
    state = P.BaselineState(api=api, tags=tags)
    if with_default:
        state.default_id = get_default_baseline(client, api.get("OperatingSystem") or "WINDOWS")
    return state


def find_state(client, name: str | None, baseline_id: str | None, with_default: bool) -> P.BaselineState | None:
    """The baseline by ID, else by name; two custom baselines of one name are an error."""
    if baseline_id:
        state = read_state(client, baseline_id, with_default)
        if state is None:
            raise P.BaselineError([P.R.Problem("baseline_id", f"no patch baseline with ID {baseline_id}")])
        return state
    found = find_by_name(client, name or "")
    if len(found) > 1:
        ids = ", ".join(sorted(b["BaselineId"] for b in found))
        raise P.BaselineError([P.R.Problem("name", f"{len(found)} patch baselines are named {name!r} ({ids}); "
                                           "give baseline_id to choose one")])
    return read_state(client, found[0]["BaselineId"], with_default) if found else None


def surroundings(client, req: P.Request, state: P.BaselineState | None) -> P.Surroundings:
    """Only the reads the plan will use: owners of groups to add, AWS's default to give back."""
    around = P.Surroundings()
    os_name = (state.api.get("OperatingSystem") if state else None) or req.baseline.get("operating_system") or "WINDOWS"
    if req.present and req.patch_groups:
        have = set(state.patch_groups) if state else set()
        for group in sorted(set(req.patch_groups) - have - {""}):  # an empty name is the plan's error
            owner = group_owner(client, group, os_name)
            if owner and (state is None or owner[0] != state.baseline_id):
                around.group_owners[group] = owner
    is_default = bool(state and state.default_id == state.baseline_id)
    if is_default and (not req.present or req.default_for_os is False):
        around.aws_default_id = aws_default_baseline(client, os_name)
    return around


def list_baselines(client, name: str | None = None, operating_system: str | None = None, owner: str = "All",
                   baseline_ids: t.Sequence[str] = ()) -> tuple[list[Doc], dict[str, str]]:
    """Baselines in the vocabulary (with ``aws_provided``) and the default baseline per OS."""
    filters = []
    if name:
        filters.append({"Key": "NAME_PREFIX", "Values": [name]})
    if operating_system:
        filters.append({"Key": "OPERATING_SYSTEM", "Values": [operating_system]})
    if owner in ("Self", "AWS"):
        filters.append({"Key": "OWNER", "Values": [owner]})
    identities = describe_baselines(client, filters)
    if name:
        identities = [i for i in identities if i.get("BaselineName") == name]
    if baseline_ids:
        identities = [i for i in identities if i.get("BaselineId") in set(baseline_ids)]
    defaults: dict[str, str] = {}
    for os_name in sorted({i.get("OperatingSystem") or "WINDOWS" for i in identities}):
        default = get_default_baseline(client, os_name)
        if default:
            defaults[os_name] = default
    out = []
    for identity in identities:
        api = get_baseline(client, identity["BaselineId"])
        if api is None:
            continue  # deleted between the two calls
        aws_provided = P.is_aws_provided(api["BaselineId"])
        tags = {} if aws_provided else list_tags(client, api["BaselineId"])
        doc = P.document(B.from_api(api), api["BaselineId"], tags, api.get("PatchGroups") or [],
                         defaults.get(api.get("OperatingSystem") or "WINDOWS") == api["BaselineId"])
        doc["aws_provided"] = aws_provided
        out.append(doc)
    return out, defaults


# ----------------------------------------------------------------------------- writes

@SSMErrorHandler.common_error_handler("create patch baseline")
@RETRY
def create_baseline(client, request: Doc) -> str:
    return client.create_patch_baseline(**request)["BaselineId"]


@SSMErrorHandler.common_error_handler("update patch baseline")
@RETRY
def update_baseline(client, request: Doc) -> None:
    client.update_patch_baseline(**request)


@SSMErrorHandler.deletion_error_handler("delete patch baseline")
@RETRY
def delete_baseline(client, request: Doc) -> bool:
    client.delete_patch_baseline(**request)
    return True


@SSMErrorHandler.common_error_handler("tag patch baseline")
@RETRY
def add_tags(client, request: Doc) -> None:
    tags = ansible_dict_to_boto3_tag_list({x["Key"]: x["Value"] for x in request["Tags"]})
    client.add_tags_to_resource(ResourceType=request["ResourceType"], ResourceId=request["ResourceId"], Tags=tags)


@SSMErrorHandler.common_error_handler("untag patch baseline")
@RETRY
def remove_tags(client, request: Doc) -> None:
    client.remove_tags_from_resource(**request)


@SSMErrorHandler.common_error_handler("register patch baseline for patch group")
@RETRY
def register_group(client, request: Doc) -> None:
    client.register_patch_baseline_for_patch_group(**request)


@SSMErrorHandler.deletion_error_handler("deregister patch baseline for patch group")
@RETRY
def deregister_group(client, request: Doc) -> bool:
    client.deregister_patch_baseline_for_patch_group(**request)
    return True


@SSMErrorHandler.common_error_handler("register default patch baseline")
@RETRY
def register_default(client, request: Doc) -> None:
    client.register_default_patch_baseline(**request)


def create_once(client, op: P.Op, request: Doc) -> str:
    """CreatePatchBaseline under its derived ClientToken (simultaneous runs get one baseline),
    through the windows' ``_ssm.create_once``: a stale token's baseline is asked for again, a
    refused token stands while a baseline of that name exists, else the call is made again under
    a token that names the parameters."""
    return create_token_once(lambda req: create_baseline(client, req), request, lambda stale: P.create_token(op, stale),
                             created_exists=lambda new_id: get_baseline(client, new_id) is not None,
                             identity_exists=lambda: bool(find_by_name(client, request.get("Name") or "")))


_WRITERS: dict[str, t.Callable[[t.Any, Doc], t.Any]] = {
    "UpdatePatchBaseline": update_baseline,
    "DeletePatchBaseline": delete_baseline,
    "AddTagsToResource": add_tags,
    "RemoveTagsFromResource": remove_tags,
    "RegisterPatchBaselineForPatchGroup": register_group,
    "DeregisterPatchBaselineForPatchGroup": deregister_group,
    "RegisterDefaultPatchBaseline": register_default,
}


def execute(client, ops: t.Sequence[P.Op], keep_going: t.Callable[[], bool] | None = None) -> tuple[str | None, list[Doc]]:
    """Send the writes in order; returns (the created baseline's ID, the writes made).

    A failure after some writes raises ``PartialApply`` listing them.
    """
    done: list[Doc] = []
    new_id: str | None = None
    for op in ops:
        request = dict(op.request)
        if new_id and request.get("BaselineId") == P.NEW_BASELINE_ID:
            request["BaselineId"] = new_id
        try:
            if keep_going is not None and not keep_going():
                raise ControllerGone("the ansible-playbook process that started this module is gone; "
                                     "stopped before the next write")
            if op.operation == "CreatePatchBaseline":
                answer = create_once(client, op, request)
            else:
                answer = _WRITERS[op.operation](client, request)
        except Exception as e:  # pylint: disable=broad-except
            if not done:
                raise
            raise PartialApply(done, e) from e
        if op.operation == "CreatePatchBaseline":
            new_id = answer
        written = {"operation": op.operation, "baseline_id": request.get("BaselineId") or request.get("ResourceId")
                   or new_id}
        if request.get("PatchGroup"):
            written["patch_group"] = request["PatchGroup"]
        done.append(written)
    return new_id, done
