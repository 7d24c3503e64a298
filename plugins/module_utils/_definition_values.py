# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Value normalisers of the window-definition vocabulary, and the constants they rest on.

The field registry (``_window_fields``) names one of these per field; each turns a value as a user
or AWS writes it into our canonical form, so that a comparison only sees real differences.

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import typing as t

Doc = dict[str, t.Any]

DEFAULT_PRIORITY = 1
DEFAULT_CUTOFF_BEHAVIOR = "CONTINUE_TASK"
DEFAULT_DOCUMENT_VERSION = "$DEFAULT"
WINDOW_TARGET_IDS = "WindowTargetIds"
INSTANCE_IDS = "InstanceIds"
# AWS fills this role in when a task has none; it must not show as a difference.
SERVICE_LINKED_ROLE_MARK = ":role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
# Only these pseudo parameters are refused in Run Command tasks.
RUN_COMMAND_FORBIDDEN_PSEUDO = ("{{TARGET_ID}}", "{{RESOURCE_ID}}")
RESOURCE_GROUP_KEY_PREFIX = "resource-groups:"


def blank_to_none(value: t.Any) -> t.Any:
    """Absent and empty are the same thing for optional fields (AWS rejects '' anyway)."""
    if value is None:
        return None
    if isinstance(value, (str, list, dict)) and len(value) == 0:
        return None
    return value


def drop_none(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if v is not None}


def str_or_none(value: t.Any) -> str | None:
    value = blank_to_none(value)
    return None if value is None else str(value)


def int_or_none(value: t.Any) -> int | None:
    if value is None or value == "":
        return None
    return int(value)


def str_or_default(default: str) -> t.Callable[[t.Any], str]:
    """A blank value means the default, as an unset one does."""
    def normalise(value: t.Any) -> str:
        return str_or_none(value) or default
    return normalise


def non_empty(value: t.Any) -> t.Any:
    """A structure whose members are all unset is itself unset."""
    return value or None


def parameter_value_to_str(value: t.Any) -> str:
    """SSM document parameters are strings; booleans as SSM spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_parameters(params: t.Any) -> dict[str, list[str]] | None:
    """Coerce document parameters to ``{name: [str, ...]}``.

    Scalars become one-item lists.  Key order does not matter (it is a mapping); the order of
    values does, because values such as ``commands`` run in sequence.
    """
    if not params:
        return None
    out = {}
    for key in sorted(params):
        value = params[key]
        if value is None:
            values: list[str] = []
        elif isinstance(value, (list, tuple)):
            values = [parameter_value_to_str(v) for v in value]
        else:
            values = [parameter_value_to_str(value)]
        out[str(key)] = values
    return out


def document_version(value: t.Any) -> t.Any:
    """``$DEFAULT`` is what an unset document version means."""
    value = blank_to_none(value)
    return None if value == DEFAULT_DOCUMENT_VERSION else value


def sorted_or_none(values: t.Any) -> list[t.Any] | None:
    return sorted(values) if values else None


def normalize_key_values(entries: t.Any) -> list[Doc] | None:
    """Targets of a window target: order of entries and of values does not matter."""
    if not entries:
        return None
    merged: dict[str, list[str]] = {}
    for entry in entries:
        key = str(entry.get("key"))
        merged.setdefault(key, [])
        for value in entry.get("values") or []:
            if str(value) not in merged[key]:
                merged[key].append(str(value))
    return [{"key": key, "values": sorted(merged[key])} for key in sorted(merged)]


def normalize_task_targets(entries: t.Any) -> list[Doc] | None:
    """Window-target references sorted by name, then key/values entries merged and sorted."""
    if not entries:
        return None
    names = sorted({str(e["window_target"]) for e in entries if e.get("window_target")})
    raw = normalize_key_values([e for e in entries if not e.get("window_target")])
    out: list[Doc] = [{"window_target": n} for n in names]
    return (out + (raw or [])) or None


def default_resource_type(targets: t.Any) -> str:
    """RESOURCE_GROUP when the target keys say so, INSTANCE otherwise."""
    for entry in targets or []:
        if str(entry.get("key", "")).startswith(RESOURCE_GROUP_KEY_PREFIX):
            return "RESOURCE_GROUP"
    return "INSTANCE"


def normalize_alarms(config: t.Any) -> Doc | None:
    if not config or not config.get("alarms"):
        return None
    return {
        "alarms": sorted(({"name": str(a["name"])} for a in config["alarms"]), key=lambda a: a["name"]),
        "ignore_poll_alarm_failure": bool(config.get("ignore_poll_alarm_failure")),
    }


def normalize_cloudwatch_output(config: t.Any) -> Doc | None:
    """Output switched off and no log group named is the same as no configuration."""
    if config is None:
        return None
    out = dict(config, cloudwatch_output_enabled=bool(config.get("cloudwatch_output_enabled")))
    if not out["cloudwatch_output_enabled"] and not out.get("cloudwatch_log_group_name"):
        return None
    return out


def is_service_linked_role(arn: t.Any) -> bool:
    return SERVICE_LINKED_ROLE_MARK in str(arn or "")


def task_role(arn: t.Any) -> str | None:
    """SSM's service-linked role is what an unset role means: the same value on both sides."""
    return None if is_service_linked_role(arn) else str_or_none(arn)
