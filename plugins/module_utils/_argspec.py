# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Argument specs of the window-definition vocabulary, shared by the modules.

Enumerations and required fields are deliberately not declared here: the definition is checked
as a whole (``_converge.validate``) so every error names its field with list indexes, such as
``tasks[1].max_concurrency``, and nothing is written when any part is wrong.
"""

from __future__ import annotations

import copy
import typing as t

KEY_VALUES_SPEC: t.Dict[str, t.Any] = dict(
    key=dict(type="str", no_log=False),
    values=dict(type="list", elements="str"),
)

TARGET_SPEC: t.Dict[str, t.Any] = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    resource_type=dict(type="str"),
    targets=dict(type="list", elements="dict", options=KEY_VALUES_SPEC),
    owner_information=dict(type="str"),
)

TASK_TARGET_SPEC: t.Dict[str, t.Any] = dict(
    window_target=dict(type="str"),
    key=dict(type="str", no_log=False),
    values=dict(type="list", elements="str"),
)

ALARM_SPEC: t.Dict[str, t.Any] = dict(
    alarms=dict(type="list", elements="dict", options=dict(name=dict(type="str"))),
    ignore_poll_alarm_failure=dict(type="bool"),
)

RUN_COMMAND_SPEC: t.Dict[str, t.Any] = dict(
    comment=dict(type="str"),
    cloudwatch_output_config=dict(type="dict", options=dict(
        cloudwatch_log_group_name=dict(type="str"),
        cloudwatch_output_enabled=dict(type="bool"),
    )),
    document_hash=dict(type="str"),
    document_hash_type=dict(type="str"),
    document_version=dict(type="str"),
    notification_config=dict(type="dict", options=dict(
        notification_arn=dict(type="str"),
        notification_events=dict(type="list", elements="str"),
        notification_type=dict(type="str"),
    )),
    output_s3_bucket_name=dict(type="str"),
    output_s3_key_prefix=dict(type="str", no_log=False),
    parameters=dict(type="dict"),
    service_role_arn=dict(type="str", aliases=["notification_role_arn"]),
    timeout_seconds=dict(type="int"),
)

INVOCATION_SPEC: t.Dict[str, t.Any] = dict(
    run_command=dict(type="dict", options=RUN_COMMAND_SPEC),
    automation=dict(type="dict", options=dict(
        document_version=dict(type="str"),
        parameters=dict(type="dict"),
    )),
    # "lambda" is a Python keyword but fine as an option name.
    lambda_=dict(type="dict", options=dict(
        client_context=dict(type="str"),
        qualifier=dict(type="str"),
        payload=dict(type="str"),
    )),
    step_functions=dict(type="dict", options=dict(
        input=dict(type="str"),
        name=dict(type="str"),
    )),
)
INVOCATION_SPEC["lambda"] = INVOCATION_SPEC.pop("lambda_")

TASK_SPEC: t.Dict[str, t.Any] = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    task_type=dict(type="str"),
    task_arn=dict(type="str"),
    priority=dict(type="int"),
    service_role_arn=dict(type="str"),
    max_concurrency=dict(type="str"),
    max_errors=dict(type="str"),
    cutoff_behavior=dict(type="str"),
    alarm_configuration=dict(type="dict", options=ALARM_SPEC),
    targets=dict(type="list", elements="dict", options=TASK_TARGET_SPEC),
    task_invocation_parameters=dict(type="dict", options=INVOCATION_SPEC),
)

WINDOW_SPEC: t.Dict[str, t.Any] = dict(
    name=dict(type="str"),
    description=dict(type="str"),
    schedule=dict(type="str"),
    schedule_timezone=dict(type="str"),
    schedule_offset=dict(type="int"),
    start_date=dict(type="str"),
    end_date=dict(type="str"),
    duration=dict(type="int"),
    cutoff=dict(type="int"),
    allow_unassociated_targets=dict(type="bool"),
    enabled=dict(type="bool"),
)

WINDOW_IDENTITY_SPEC: t.Dict[str, t.Any] = dict(
    window=dict(type="str", aliases=["window_name"]),
    window_id=dict(type="str"),
)


def nested_target_spec() -> t.Dict[str, t.Any]:
    spec = copy.deepcopy(TARGET_SPEC)
    spec["window_target_id"] = dict(type="str")
    return spec


def nested_task_spec() -> t.Dict[str, t.Any]:
    spec = copy.deepcopy(TASK_SPEC)
    spec["window_task_id"] = dict(type="str")
    return spec


def maintenance_window_argument_spec() -> t.Dict[str, t.Any]:
    spec = copy.deepcopy(WINDOW_SPEC)
    spec.update(
        window_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        targets=dict(type="list", elements="dict", options=nested_target_spec()),
        tasks=dict(type="list", elements="dict", options=nested_task_spec()),
        purge_targets=dict(type="bool", default=True),
        purge_tasks=dict(type="bool", default=True),
        force=dict(type="bool", default=False),
    )
    return spec


def mw_target_argument_spec() -> t.Dict[str, t.Any]:
    spec = copy.deepcopy(TARGET_SPEC)
    spec.update(copy.deepcopy(WINDOW_IDENTITY_SPEC))
    spec.update(
        window_target_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force=dict(type="bool", default=False),
    )
    return spec


def mw_task_argument_spec() -> t.Dict[str, t.Any]:
    spec = copy.deepcopy(TASK_SPEC)
    spec.update(copy.deepcopy(WINDOW_IDENTITY_SPEC))
    spec.update(
        window_task_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
    )
    return spec


def strip_none(value: t.Any) -> t.Any:
    """Module params carry every suboption (None when unset); the vocabulary omits them."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_none(v) for v in value]
    return value
