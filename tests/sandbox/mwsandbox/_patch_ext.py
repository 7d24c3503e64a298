"""Patch baselines, patch-group registrations and the default baseline per OS, for moto's SSM backend.

moto 5.2.5 has Create/Describe/Delete and the patch-group calls without validation, no Update, no
GetPatchBaseline with its fields, no default baseline, no AWS-provided baselines and no tags on
``PatchBaseline`` (its tag check refuses that resource type). This module replaces all of them:

- Create/Get/Update (``Replace``)/Delete/Describe (filters NAME_PREFIX, OWNER, OPERATING_SYSTEM,
  pages of MaxResults) with AWS's cross-field rules (``_baseline_rules``, the collection's own);
- the AWS-provided default baseline of every OS, present from the start (IDs as ARNs, per region);
- Register/Deregister/GetPatchBaselineForPatchGroup and DescribePatchGroups: one registration per
  patch group and OS, the single source of truth (``registrations``) that preflight and the patch
  states extension read;
- RegisterDefaultPatchBaseline / GetDefaultPatchBaseline;
- tags on PatchBaseline through moto's tagging code.

Deleting a baseline that is a default or still has patch groups is refused with
``ResourceInUseException``, as AWS does. State lives on moto's backend (``__dict__``), so
``/moto-api/reset`` wipes it. Shape validation happens in ``_app`` (and ``_ssm_ext._params``).
"""

from __future__ import annotations

import copy
import gzip
import json
import uuid
from importlib import resources
from typing import Any, Dict, List, Optional, Tuple

from moto.core.responses import ActionResult
from moto.ssm.exceptions import SSMException, ValidationException
from moto.ssm.models import SimpleSystemManagerBackend
from moto.ssm.responses import SimpleSystemManagerResponse

from . import _paths
from ._ssm_ext import _now, _page, _params, _result, _token_lookup, _token_remember, does_not_exist

_paths.ensure_collection_importable()

# pylint: disable=wrong-import-position
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_fields  # noqa: E402
from ansible_collections.mwops.ssm.plugins.module_utils import _baseline_rules  # noqa: E402

FIELDS = ("Name", "OperatingSystem", "GlobalFilters", "ApprovalRules", "ApprovedPatches",
          "ApprovedPatchesComplianceLevel", "ApprovedPatchesEnableNonSecurity", "RejectedPatches",
          "RejectedPatchesAction", "Description", "Sources", "AvailableSecurityUpdatesComplianceStatus")
# What GetPatchBaseline answers for members a request left out.
AWS_DEFAULTS: Dict[str, Any] = {
    "OperatingSystem": "WINDOWS", "GlobalFilters": {"PatchFilters": []}, "ApprovalRules": {"PatchRules": []},
    "ApprovedPatches": [], "ApprovedPatchesComplianceLevel": "UNSPECIFIED", "ApprovedPatchesEnableNonSecurity": False,
    "RejectedPatches": [], "RejectedPatchesAction": "ALLOW_AS_DEPENDENCY", "Sources": [],
}
BASELINE_FILTER_KEYS = ("NAME_PREFIX", "OWNER", "OPERATING_SYSTEM")
GROUP_FILTER_KEYS = ("NAME_PREFIX", "OPERATING_SYSTEM")
AWS_ACCOUNT = "075727635805"  # the account AWS's predefined baselines belong to
# The predefined default baseline of each OS, by the name AWS gives it.
AWS_DEFAULT_NAMES = {
    "WINDOWS": "AWS-DefaultPatchBaseline", "AMAZON_LINUX": "AWS-AmazonLinuxDefaultPatchBaseline",
    "AMAZON_LINUX_2": "AWS-AmazonLinux2DefaultPatchBaseline",
    "AMAZON_LINUX_2022": "AWS-AmazonLinux2022DefaultPatchBaseline",
    "AMAZON_LINUX_2023": "AWS-AmazonLinux2023DefaultPatchBaseline", "UBUNTU": "AWS-UbuntuDefaultPatchBaseline",
    "DEBIAN": "AWS-DebianDefaultPatchBaseline", "RASPBIAN": "AWS-RaspbianDefaultPatchBaseline",
    "REDHAT_ENTERPRISE_LINUX": "AWS-RedHatDefaultPatchBaseline", "SUSE": "AWS-SuseDefaultPatchBaseline",
    "CENTOS": "AWS-CentOSDefaultPatchBaseline", "ORACLE_LINUX": "AWS-OracleLinuxDefaultPatchBaseline",
    "ROCKY_LINUX": "AWS-RockyLinuxDefaultPatchBaseline", "ALMA_LINUX": "AWS-AlmaLinuxDefaultPatchBaseline",
    "MACOS": "AWS-MacOSDefaultPatchBaseline",
}


class PatchBaseline:
    """A baseline: the API members as sent, plus what moto's other code reads (id, name, ...)."""

    def __init__(self, baseline_id: str, fields: Dict[str, Any], aws_provided: bool = False) -> None:
        self.id = baseline_id
        self.fields = fields
        self.aws_provided = aws_provided

    @property
    def name(self) -> str:
        return self.fields["Name"]

    @property
    def operating_system(self) -> str:
        return self.fields.get("OperatingSystem") or "WINDOWS"

    @property
    def description(self) -> Optional[str]:
        return self.fields.get("Description")


class _PatchStore:
    def __init__(self, region: str) -> None:
        self.aws: Dict[str, PatchBaseline] = _aws_baselines(region)
        self.defaults: Dict[str, str] = {b.operating_system: b.id for b in self.aws.values()
                                         if b.name == AWS_DEFAULT_NAMES[b.operating_system]}
        self.groups: Dict[Tuple[str, str], str] = {}  # (patch group, OS) -> baseline ID


def _store(backend: SimpleSystemManagerBackend) -> _PatchStore:
    store = backend.__dict__.get("_mwsandbox_patch")
    if store is None:
        store = backend.__dict__["_mwsandbox_patch"] = _PatchStore(backend.region_name)
    return store


def _aws_baseline_ids(region: str) -> Dict[str, str]:
    """moto's list of AWS's default baseline ARNs per region (the real IDs)."""
    try:
        raw = resources.files("moto.ssm").joinpath("resources/default_baselines.json.gz").read_bytes()
        return json.loads(gzip.decompress(raw))[region]
    except (FileNotFoundError, KeyError, OSError, ValueError):
        return {}


def _aws_rules(os_name: str) -> Dict[str, Any]:
    """An approval rule in the spirit of AWS's predefined baseline for the OS."""
    if os_name in ("UBUNTU", "DEBIAN", "RASPBIAN"):
        return {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": [
            {"Key": "PRIORITY", "Values": ["Required", "Important", "Standard", "Optional", "Extra"]}]},
            "ComplianceLevel": "UNSPECIFIED", "EnableNonSecurity": False}]}
    if os_name == "WINDOWS":
        filters = [{"Key": "CLASSIFICATION", "Values": ["CriticalUpdates", "SecurityUpdates"]},
                   {"Key": "MSRC_SEVERITY", "Values": ["Critical", "Important"]}]
    elif os_name == "MACOS":
        filters = [{"Key": "CLASSIFICATION", "Values": ["*"]}]
    else:
        filters = [{"Key": "CLASSIFICATION", "Values": ["Security"]},
                   {"Key": "SEVERITY", "Values": ["Critical", "Important"]}]
    return {"PatchRules": [{"PatchFilterGroup": {"PatchFilters": filters}, "ComplianceLevel": "UNSPECIFIED",
                            "ApproveAfterDays": 7, "EnableNonSecurity": False}]}


def _aws_baselines(region: str) -> Dict[str, PatchBaseline]:
    ids = _aws_baseline_ids(region)
    out = {}
    for os_name, name in AWS_DEFAULT_NAMES.items():
        baseline_id = ids.get(os_name) or "arn:aws:ssm:%s:%s:patchbaseline/pb-%s" % (
            region, AWS_ACCOUNT, uuid.uuid5(uuid.NAMESPACE_DNS, os_name).hex[:17])
        fields = dict(copy.deepcopy(AWS_DEFAULTS), Name=name, OperatingSystem=os_name,
                      Description="Default Patch Baseline for %s Provided by AWS." % os_name.replace("_", " ").title(),
                      ApprovalRules=_aws_rules(os_name), CreatedDate=0, ModifiedDate=0)
        out[baseline_id] = PatchBaseline(baseline_id, fields, aws_provided=True)
    # Windows has a second predefined baseline (OS updates only).
    extra = "arn:aws:ssm:%s:%s:patchbaseline/pb-%s" % (region, AWS_ACCOUNT, uuid.uuid5(uuid.NAMESPACE_DNS, "w-os").hex[:17])
    out[extra] = PatchBaseline(extra, dict(copy.deepcopy(AWS_DEFAULTS), Name="AWS-WindowsPredefinedPatchBaseline-OS",
                                           Description="Windows operating system updates, provided by AWS.",
                                           ApprovalRules=_aws_rules("WINDOWS"), CreatedDate=0, ModifiedDate=0),
                               aws_provided=True)
    return out


# --------------------------------------------------------------------------- lookups (also for other extensions)


def baseline(backend: SimpleSystemManagerBackend, baseline_id: str) -> PatchBaseline:
    """A custom or AWS-provided baseline by ID (an AWS one also by its ``pb-`` tail)."""
    found = backend.baselines.get(baseline_id)
    if isinstance(found, PatchBaseline):
        return found
    store = _store(backend)
    for aws_id, aws in store.aws.items():
        if baseline_id in (aws_id, aws_id.rsplit("/", 1)[-1]):
            return aws
    raise does_not_exist("Patch Baseline %s does not exist." % baseline_id)


def all_baselines(backend: SimpleSystemManagerBackend) -> List[PatchBaseline]:
    custom = [b for b in backend.baselines.values() if isinstance(b, PatchBaseline)]
    return list(_store(backend).aws.values()) + custom


def registrations(backend: SimpleSystemManagerBackend) -> Dict[str, Dict[str, str]]:
    """Patch group -> {OS: baseline ID}: the registrations, the one source for every reader."""
    out: Dict[str, Dict[str, str]] = {}
    for (group, os_name), baseline_id in sorted(_store(backend).groups.items()):
        out.setdefault(group, {})[os_name] = baseline_id
    return out


def default_baseline_id(backend: SimpleSystemManagerBackend, os_name: str) -> str:
    return _store(backend).defaults.get(os_name, "")


def _groups_of(backend: SimpleSystemManagerBackend, baseline_id: str) -> List[str]:
    return sorted(group for (group, _os), bid in _store(backend).groups.items() if bid == baseline_id)


def _identity(backend: SimpleSystemManagerBackend, item: PatchBaseline) -> Dict[str, Any]:
    return {"BaselineId": item.id, "BaselineName": item.name, "OperatingSystem": item.operating_system,
            "BaselineDescription": item.description,
            "DefaultBaseline": _store(backend).defaults.get(item.operating_system) == item.id}


# --------------------------------------------------------------------------- validation


def _check_rules(fields: Dict[str, Any]) -> None:
    """The documented cross-field rules (the collection's own core), as AWS's ValidationException."""
    vocabulary = _baseline_fields.from_api(fields)
    problems = _baseline_rules.check(vocabulary)
    if problems:
        raise ValidationException("%d validation error%s detected: %s" % (
            len(problems), "" if len(problems) == 1 else "s", "; ".join(str(p) for p in problems)))


def _stored(params: Dict[str, Any], base: Dict[str, Any], replace: bool) -> Dict[str, Any]:
    merged = dict(base)
    for name in FIELDS:
        if name in ("Name", "OperatingSystem") and replace and name not in params:
            continue  # the name is kept; the OS never changes
        if name in params and params[name] is not None:
            merged[name] = copy.deepcopy(params[name])
        elif replace:
            merged[name] = copy.deepcopy(AWS_DEFAULTS.get(name))
    return merged


def _view(backend: SimpleSystemManagerBackend, item: PatchBaseline, with_groups: bool) -> Dict[str, Any]:
    view = {"BaselineId": item.id}
    for name in FIELDS:
        value = item.fields.get(name, AWS_DEFAULTS.get(name))
        if value is not None:
            view[name] = copy.deepcopy(value)
    view["CreatedDate"], view["ModifiedDate"] = item.fields.get("CreatedDate"), item.fields.get("ModifiedDate")
    if with_groups:
        view["PatchGroups"] = _groups_of(backend, item.id)
    return view


# --------------------------------------------------------------------------- handlers


def create_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    existing = _token_lookup(backend, "CreatePatchBaseline", params)
    if existing:
        return _result({"BaselineId": existing})
    fields = _stored(params, copy.deepcopy(AWS_DEFAULTS), replace=False)
    _check_rules(fields)
    fields["CreatedDate"] = fields["ModifiedDate"] = _now()
    item = PatchBaseline("pb-" + uuid.uuid4().hex[:17], fields)
    backend.baselines[item.id] = item
    if params.get("Tags"):
        backend.add_tags_to_resource("PatchBaseline", item.id, {t["Key"]: t["Value"] for t in params["Tags"]})
    _token_remember(backend, "CreatePatchBaseline", params, item.id)
    return _result({"BaselineId": item.id})


def get_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    return _result(_view(self.ssm_backend, baseline(self.ssm_backend, params["BaselineId"]), with_groups=True))


def _custom(backend: SimpleSystemManagerBackend, baseline_id: str) -> PatchBaseline:
    item = baseline(backend, baseline_id)
    if item.aws_provided:
        raise SSMException("AccessDeniedException", "Baseline %s is provided by AWS and cannot be modified" % baseline_id)
    return item


def update_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    item = _custom(backend, params["BaselineId"])
    fields = _stored(params, item.fields, replace=params.get("Replace") is True)
    _check_rules(fields)
    fields["ModifiedDate"] = _now()
    item.fields = fields
    return _result(_view(backend, item, with_groups=False))


def delete_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    baseline_id = params["BaselineId"]
    if not isinstance(backend.baselines.get(baseline_id), PatchBaseline) and not any(
            baseline_id in (i, i.rsplit("/", 1)[-1]) for i in _store(backend).aws):
        return _result({"BaselineId": baseline_id})  # AWS answers a missing baseline with success
    item = _custom(backend, baseline_id)
    store = _store(backend)
    if store.defaults.get(item.operating_system) == item.id:
        raise SSMException("ResourceInUseException", "Baseline %s is the default baseline for %s; register another "
                           "default first" % (item.id, item.operating_system))
    groups = _groups_of(backend, item.id)
    if groups:
        raise SSMException("ResourceInUseException", "Baseline %s is registered with patch groups %s; deregister "
                           "them first" % (item.id, ", ".join(groups)))
    del backend.baselines[item.id]
    backend._resource_tags.get("PatchBaseline", {}).pop(item.id, None)  # pylint: disable=protected-access
    return _result({"BaselineId": item.id})


def describe_patch_baselines(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    wanted: Dict[str, List[str]] = {}
    for flt in params.get("Filters") or []:
        if flt.get("Key") not in BASELINE_FILTER_KEYS:
            raise ValidationException("Invalid filter key %s; supported keys are %s" % (
                flt.get("Key"), ", ".join(BASELINE_FILTER_KEYS)))
        wanted.setdefault(flt["Key"], []).extend(flt.get("Values") or [])
    found = []
    for item in all_baselines(backend):
        if "NAME_PREFIX" in wanted and not any(item.name.startswith(v) for v in wanted["NAME_PREFIX"]):
            continue
        if "OPERATING_SYSTEM" in wanted and item.operating_system not in wanted["OPERATING_SYSTEM"]:
            continue
        owner = "AWS" if item.aws_provided else "Self"
        if "OWNER" in wanted and owner not in wanted["OWNER"] and "All" not in wanted["OWNER"]:
            continue
        found.append(_identity(backend, item))
    page, token = _page(found, params)
    return _result({"BaselineIdentities": page, "NextToken": token})


def register_patch_baseline_for_patch_group(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    item = _custom(backend, params["BaselineId"])
    key = (params["PatchGroup"], item.operating_system)
    store = _store(backend)
    if key in store.groups:
        raise SSMException("AlreadyExistsException", "Patch Group %s already has a baseline registered for "
                           "OperatingSystem %s" % key)
    store.groups[key] = item.id
    return _result({"BaselineId": item.id, "PatchGroup": params["PatchGroup"]})


def deregister_patch_baseline_for_patch_group(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    item = baseline(backend, params["BaselineId"])
    key = (params["PatchGroup"], item.operating_system)
    store = _store(backend)
    if store.groups.get(key) != item.id:
        raise does_not_exist("Patch Group %s is not registered with baseline %s" % (params["PatchGroup"], item.id))
    del store.groups[key]
    return _result({"BaselineId": item.id, "PatchGroup": params["PatchGroup"]})


def get_patch_baseline_for_patch_group(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    os_name = params.get("OperatingSystem") or "WINDOWS"
    baseline_id = _store(backend).groups.get((params["PatchGroup"], os_name)) or default_baseline_id(backend, os_name)
    return _result({"BaselineId": baseline_id, "PatchGroup": params["PatchGroup"], "OperatingSystem": os_name})


def describe_patch_groups(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    wanted: Dict[str, List[str]] = {}
    for flt in params.get("Filters") or []:
        if flt.get("Key") not in GROUP_FILTER_KEYS:
            raise ValidationException("Invalid filter key %s; supported keys are %s" % (
                flt.get("Key"), ", ".join(GROUP_FILTER_KEYS)))
        wanted.setdefault(flt["Key"], []).extend(flt.get("Values") or [])
    mappings = []
    for group, by_os in registrations(backend).items():
        if "NAME_PREFIX" in wanted and not any(group.startswith(v) for v in wanted["NAME_PREFIX"]):
            continue
        for os_name, baseline_id in sorted(by_os.items()):
            if "OPERATING_SYSTEM" in wanted and os_name not in wanted["OPERATING_SYSTEM"]:
                continue
            mappings.append({"PatchGroup": group, "BaselineIdentity": _identity(backend, baseline(backend, baseline_id))})
    page, token = _page(mappings, params)
    return _result({"Mappings": page, "NextToken": token})


def register_default_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    backend = self.ssm_backend
    item = baseline(backend, params["BaselineId"])
    _store(backend).defaults[item.operating_system] = item.id
    return _result({"BaselineId": item.id})


def get_default_patch_baseline(self: SimpleSystemManagerResponse) -> ActionResult:
    params = _params(self)
    os_name = params.get("OperatingSystem") or "WINDOWS"
    return _result({"BaselineId": default_baseline_id(self.ssm_backend, os_name), "OperatingSystem": os_name})


HANDLERS = {f.__name__: f for f in (
    create_patch_baseline, get_patch_baseline, update_patch_baseline, delete_patch_baseline, describe_patch_baselines,
    register_patch_baseline_for_patch_group, deregister_patch_baseline_for_patch_group,
    get_patch_baseline_for_patch_group, describe_patch_groups, register_default_patch_baseline,
    get_default_patch_baseline)}

_ORIGINAL_TAG_CHECK = SimpleSystemManagerBackend._validate_resource_type_and_id  # pylint: disable=protected-access


def _validate_resource_type_and_id(self: SimpleSystemManagerBackend, resource_type: str, resource_id: str) -> str:
    """moto refuses every PatchBaseline; AWS tags custom baselines (InvalidResourceId otherwise)."""
    if resource_type == "PatchBaseline":
        if isinstance(self.baselines.get(resource_id), PatchBaseline):
            return resource_id
        raise SSMException("InvalidResourceId", "The resource ID is not valid. Verify that you entered the correct "
                           "ID and try again.")
    return _ORIGINAL_TAG_CHECK(self, resource_type, resource_id)


def install() -> None:
    """Patch moto's SSM response class and tag check (idempotent)."""
    for name, handler in HANDLERS.items():
        setattr(SimpleSystemManagerResponse, name, handler)
    setattr(SimpleSystemManagerBackend, "_validate_resource_type_and_id", _validate_resource_type_and_id)


__all__ = ["install", "HANDLERS", "PatchBaseline", "baseline", "all_baselines", "registrations",
           "default_baseline_id"]
