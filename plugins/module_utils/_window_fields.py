# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The field registry of maintenance windows, window targets and tasks: every field declared once.

Each ``Field`` names the vocabulary key, the API member, the type, our default, what AWS fills in
when it is absent, the normaliser, the comparison and the documentation text. The argument specs
(``_argspec``), the API conversion and path mapping (``_definition_vocabulary``), normalisation and
comparison (``_definition_compare``) and request building (``_definition_requests``) derive from
these tuples; a unit test holds every module's DOCUMENTATION against them.

API members: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_RegisterTaskWithMaintenanceWindow.html
(and the sibling CreateMaintenanceWindow / RegisterTargetWithMaintenanceWindow pages).

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

from ._definition_values import DEFAULT_CUTOFF_BEHAVIOR
from ._definition_values import DEFAULT_DOCUMENT_VERSION
from ._definition_values import DEFAULT_PRIORITY
from ._definition_values import blank_to_none
from ._definition_values import document_version
from ._definition_values import int_or_none
from ._definition_values import non_empty
from ._definition_values import normalize_alarms
from ._definition_values import normalize_cloudwatch_output
from ._definition_values import normalize_key_values
from ._definition_values import normalize_parameters
from ._definition_values import normalize_task_targets
from ._definition_values import sorted_or_none
from ._definition_values import str_or_default
from ._definition_values import str_or_none
from ._definition_values import task_role
from ._fields import IGNORED
from ._fields import Field
from ._fields import Fields


def _text(key: str, api: str, *doc: str, **kw) -> Field:
    """A string field of a window, target or task: blank means unset."""
    kw.setdefault("normalise", str_or_none)
    return Field(key, api, "str", doc=doc, **kw)


def _int(key: str, api: str, *doc: str, **kw) -> Field:
    kw.setdefault("normalise", int_or_none)
    return Field(key, api, "int", doc=doc, **kw)


def _leaf(key: str, api: str, *doc: str, **kw) -> Field:
    """A member of the invocation parameters: kept as given, blank means unset."""
    kw.setdefault("normalise", blank_to_none)
    return Field(key, api, kw.pop("type", "str"), doc=doc, **kw)


def _struct(key: str, api: str, options: Fields, *doc: str, normalise=non_empty) -> Field:
    """A structure; when all its members are unset it is unset."""
    return Field(key, api, "dict", doc=doc, options=options, normalise=normalise)


def _identity(key: str) -> Field:
    """The ID of a target or task given by the user: ours only, never sent as a field, never compared
    (each module documents its own way of using it)."""
    return Field(key, "", compare=IGNORED, normalise=blank_to_none)


# ---------------------------------------------------------------------------------------------
# Windows (CreateMaintenanceWindow / UpdateMaintenanceWindow)

WINDOW_FIELDS: Fields = (
    _text("name", "Name",
          "Name of the window, its identity (3 to 128 letters, digits, V(_), V(-) or V(.)).",
          "When several windows have this name the module fails and lists their IDs; give O(window_id) then.",
          "Required unless O(window_id) is given. With O(window_id) it must be that window's name, for every O(state); "
          "a name and an ID that disagree are refused."),
    _text("description", "Description", "Description of the window (1 to 128 characters)."),
    _text("schedule", "Schedule",
          "When the window opens, C(cron(...)), C(rate(...)) or C(at(...)) in AWS syntax. Required for O(state=present)."),
    _text("schedule_timezone", "ScheduleTimezone",
          "IANA time zone the schedule is read in, for example V(America/New_York). UTC when not set.",
          "Names of files in a host's tzdata that are not zones (V(localtime), V(posix/...), V(right/...)) are refused."),
    # 0 is kept (not dropped as "unset") so that the range rule refuses it, as AWS does.
    _int("schedule_offset", "ScheduleOffset",
         "Days (1 to 6) to wait after the cron schedule's date. Only with C(cron(...)); V(0) is refused, as AWS does."),
    _text("start_date", "StartDate",
          "ISO-8601 instant before which the window does not run. Compared as an instant, not as text."),
    _text("end_date", "EndDate", "ISO-8601 instant after which the window no longer runs."),
    _int("duration", "Duration", "Hours (1 to 24) the window stays open. Required for O(state=present)."),
    _int("cutoff", "Cutoff",
         "Hours (0 to 23, at most O(duration) - 1) before the end when no new task starts. Required for O(state=present)."),
    Field("allow_unassociated_targets", "AllowUnassociatedTargets", "bool", default=False, aws_default=False, normalise=bool,
          doc=("Let tasks run on instances that are not registered targets. V(false) when not set.",)),
    Field("enabled", "Enabled", "bool", default=True, aws_default=True, normalise=bool,
          doc=("Whether the window runs. V(true) when not set.",)),
)
# Compared as instants, however AWS formats them (see ``_definition_compare.same_date``).
INSTANT_FIELDS = ("start_date", "end_date")

# ---------------------------------------------------------------------------------------------
# Window targets (RegisterTargetWithMaintenanceWindow / UpdateMaintenanceWindowTarget)

KEY_VALUES_FIELDS: Fields = (
    Field("key", "Key", no_log=False, doc=("The target key.",)),
    Field("values", "Values", "list", elements="str", doc=("The values for C(targets[].key).",)),
)

TARGET_FIELDS: Fields = (
    _text("name", "Name",
          "Name of the window target, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.))."),
    _text("description", "Description", "Description of the window target (1 to 128 characters). Unset means none."),
    # Unset: derived from the target keys (``_definition_values.default_resource_type``).
    _text("resource_type", "ResourceType",
          "V(INSTANCE) or V(RESOURCE_GROUP).",
          "When not set, V(RESOURCE_GROUP) if a key starts with C(resource-groups:), else V(INSTANCE).",
          "SSM cannot change it in place; a change registers a new target (new ID) and deregisters the old one."),
    Field("targets", "Targets", "list", elements="dict", options=KEY_VALUES_FIELDS, normalise=normalize_key_values, doc=(
        "What the target selects, as key/values entries (up to 5; entries and values are ANDed/ORed as in SSM).",
        "By tag: C(targets[].key=tag:PatchGroup) with the tag values.",
        "By tag key (any value): C(targets[].key=tag-key) with the tag keys.",
        "By instance: C(targets[].key=InstanceIds) with up to 50 instance IDs.",
        "By resource group (C(resource_type=RESOURCE_GROUP)): C(targets[].key=resource-groups:Name) with one group name, "
        "optionally C(targets[].key=resource-groups:ResourceTypeFilters) with resource types such as C(AWS::EC2::Instance).",
        "Order of entries and of values does not matter.")),
    _text("owner_information", "OwnerInformation",
          "Free text (1 to 128 characters) that SSM passes to every task run on this target."),
)
TARGET_ID = _identity("window_target_id")

# ---------------------------------------------------------------------------------------------
# Tasks (RegisterTaskWithMaintenanceWindow / UpdateMaintenanceWindowTask)

TASK_TARGET_FIELDS: Fields = (
    Field("window_target", "", doc=("Name of a window target of this window.",)),  # resolved to its ID
    Field("key", "Key", no_log=False, doc=("V(WindowTargetIds) or V(InstanceIds).",)),
    Field("values", "Values", "list", elements="str", doc=("Window target IDs or instance IDs.",)),
)

ALARM_FIELDS: Fields = (
    Field("alarms", "Alarms", "list", elements="dict", doc=("Exactly one alarm.",),
          options=(Field("name", "Name", doc=("The alarm name.",)),)),
    Field("ignore_poll_alarm_failure", "IgnorePollAlarmFailure", "bool", aws_default=False,
          doc=("Run the task even when the alarm state cannot be read. V(false) when not set.",)),
)

_DOCUMENT_VERSION_DOC = "V($DEFAULT) (same as not set), V($LATEST) or a version number."

RUN_COMMAND_FIELDS: Fields = (
    _leaf("comment", "Comment", "Comment for the command (up to 100 characters)."),
    _struct("cloudwatch_output_config", "CloudWatchOutputConfig", (
        # AWS names a log group when output is on and none is given.
        _leaf("cloudwatch_log_group_name", "CloudWatchLogGroupName",
              "Log group. When not set, SSM picks one and that is not reported as a difference.", computed=True),
        Field("cloudwatch_output_enabled", "CloudWatchOutputEnabled", "bool", aws_default=False,
              doc=("Whether output goes to CloudWatch Logs.",)),
    ), "Send command output to CloudWatch Logs.", normalise=normalize_cloudwatch_output),
    _leaf("document_hash", "DocumentHash", "Hash of the document, to make sure it did not change."),
    _leaf("document_hash_type", "DocumentHashType", "V(Sha256) or V(Sha1)."),
    _leaf("document_version", "DocumentVersion", _DOCUMENT_VERSION_DOC, normalise=document_version,
          aws_default=DEFAULT_DOCUMENT_VERSION),
    _struct("notification_config", "NotificationConfig", (
        _leaf("notification_arn", "NotificationArn", "SNS topic ARN."),
        _leaf("notification_events", "NotificationEvents",
              "Any of V(All), V(InProgress), V(Success), V(TimedOut), V(Cancelled), V(Failed).",
              type="list", elements="str", normalise=sorted_or_none),
        _leaf("notification_type", "NotificationType", "V(Command) or V(Invocation)."),
    ), "SNS notifications about the command."),
    _leaf("output_s3_bucket_name", "OutputS3BucketName", "S3 bucket for command output."),
    _leaf("output_s3_key_prefix", "OutputS3KeyPrefix", "S3 key prefix for command output.", no_log=False),
    _leaf("parameters", "Parameters",
          "Document parameters, name to list of strings. A scalar becomes a one-item list, booleans are written "
          "V(true)/V(false). The order of names does not matter; the order of values does.",
          type="dict", normalise=normalize_parameters),
    _leaf("service_role_arn", "ServiceRoleArn",
          "Role SSM uses to publish SNS notifications for this command (not the task's C(service_role_arn)).",
          aliases=("notification_role_arn",)),
    _leaf("timeout_seconds", "TimeoutSeconds", "Seconds (30 to 2592000) the command may wait to start before it is not run.",
          type="int", normalise=int_or_none),
)

# One block per task type; the task type is the block's key in upper case (``lambda`` -> LAMBDA).
INVOCATION_FIELDS: Fields = (
    _struct("run_command", "RunCommand", RUN_COMMAND_FIELDS, "For V(RUN_COMMAND) tasks."),
    _struct("automation", "Automation", (
        _leaf("document_version", "DocumentVersion", _DOCUMENT_VERSION_DOC, normalise=document_version,
              aws_default=DEFAULT_DOCUMENT_VERSION),
        _leaf("parameters", "Parameters", "Automation parameters, name to list of strings (scalars are coerced).",
              type="dict", normalise=normalize_parameters),
    ), "For V(AUTOMATION) tasks."),
    _struct("lambda", "Lambda", (
        _leaf("client_context", "ClientContext", "Base64 client context."),
        _leaf("qualifier", "Qualifier", "Function version or alias."),
        _leaf("payload", "Payload", "JSON text passed to the function (up to 4096 bytes)."),
    ), "For V(LAMBDA) tasks."),
    _struct("step_functions", "StepFunctions", (
        _leaf("input", "Input", "JSON input for the execution (up to 4096 characters)."),
        _leaf("name", "Name", "Name of the execution."),
    ), "For V(STEP_FUNCTIONS) tasks."),
)

TASK_FIELDS: Fields = (
    _text("name", "Name", "Name of the task, its identity within the window (3 to 128 letters, digits, V(_), V(-) or V(.))."),
    _text("description", "Description", "Description of the task (1 to 128 characters)."),
    _text("task_type", "TaskType",
          "V(RUN_COMMAND), V(AUTOMATION), V(LAMBDA) or V(STEP_FUNCTIONS). Required.",
          "SSM cannot change it in place; a different type registers a new task (new ID)."),
    _text("task_arn", "TaskArn",
          "The document name (Run Command, Automation), the Lambda function or the state machine ARN. Required."),
    Field("priority", "Priority", "int", default=DEFAULT_PRIORITY, normalise=int,
          doc=("Lower runs first; tasks of equal priority run in parallel. V(1) when not set.",)),
    # AWS fills in its service-linked role when none is given: the normaliser makes both the same.
    _text("service_role_arn", "ServiceRoleArn",
          "Role SSM assumes to run the task. When not set SSM uses its service-linked role. That role given explicitly "
          "(C(.../aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM)) means the same; neither is reported "
          "as a difference.", normalise=task_role),
    # Targetless tasks: AWS stores a placeholder "1" for both rate controls (dropped when read back).
    _text("max_concurrency", "MaxConcurrency",
          "How many targets run the task at once, a number (V(10)) or a percentage (V(10%)).",
          "Required for a task with targets; not allowed for a targetless task (SSM's placeholder V(1) is ignored)."),
    _text("max_errors", "MaxErrors",
          "Errors allowed before the task stops being scheduled, a number (V(0)) or a percentage (V(10%)).",
          "Required for a task with targets; not allowed for a targetless task."),
    _text("cutoff_behavior", "CutoffBehavior",
          "What happens to a running task when the window reaches its cutoff, V(CONTINUE_TASK) (default in SSM) or "
          "V(CANCEL_TASK).",
          default=DEFAULT_CUTOFF_BEHAVIOR, aws_default=DEFAULT_CUTOFF_BEHAVIOR,
          normalise=str_or_default(DEFAULT_CUTOFF_BEHAVIOR)),
    Field("alarm_configuration", "AlarmConfiguration", "dict", options=ALARM_FIELDS, normalise=normalize_alarms,
          doc=("A CloudWatch alarm that stops the task when it fires.",)),
    # Window targets by name here; by ID in the API (``_definition_vocabulary.resolve_task_targets``).
    Field("targets", "Targets", "list", elements="dict", options=TASK_TARGET_FIELDS, normalise=normalize_task_targets, doc=(
        "Where the task runs. Leave out for a targetless task (not allowed for V(RUN_COMMAND)).",
        "Each entry is either C(targets[].window_target), a window target of the same window by name (resolved to its ID; "
        "at most 10), or C(targets[].key)/C(targets[].values) with V(WindowTargetIds) or V(InstanceIds) (up to 50; the "
        "window needs C(allow_unassociated_targets=true) for instance IDs).")),
    _struct("task_invocation_parameters", "TaskInvocationParameters", INVOCATION_FIELDS,
            "Parameters for the task, under the key that matches C(task_type). The whole set is always sent, so anything "
            "left out here is removed from the task.",
            "SSM pseudo parameters such as C({{WINDOW_ID}}) or C({{INVOCATION_ID}}) are passed to SSM byte for byte. Write "
            "them so that Ansible does not template them: C(!unsafe '{{WINDOW_ID}}') or inside C({% raw %}...{% endraw %})."),
)
TASK_ID = _identity("window_task_id")

# ---------------------------------------------------------------------------------------------
# A whole window definition, as the maintenance_window module takes it

NESTED_TARGET_FIELDS: Fields = TARGET_FIELDS + (TARGET_ID,)
NESTED_TASK_FIELDS: Fields = TASK_FIELDS + (TASK_ID,)

DEFINITION_FIELDS: Fields = WINDOW_FIELDS + (
    Field("targets", "", "list", elements="dict", options=NESTED_TARGET_FIELDS, compare=IGNORED, doc=(
        "The window targets, each identified by its C(name) within the window (same options as M(mwops.ssm.mw_target)).",)),
    Field("tasks", "", "list", elements="dict", options=NESTED_TASK_FIELDS, compare=IGNORED, doc=(
        "The tasks, each identified by its C(name) within the window (same options as M(mwops.ssm.mw_task)).",)),
)
