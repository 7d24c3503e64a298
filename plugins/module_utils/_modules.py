# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""AnsibleAWSModule stamped with this collection's name and version (boto User-Agent)."""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ._argspec import strip_none
from ._converge import ControllerGone
from ._converge import PartialApply
from ._lifeline import Lifeline
from ._plan import DefinitionError
from ._ssm import AnsibleSSMError

COLLECTION_NAME = "mwops.ssm"
COLLECTION_VERSION = "0.1.0"


class AnsibleSSMModule(AnsibleAWSModule):
    """Every mwops.ssm AWS module is built on this class."""

    def __init__(self, **kwargs) -> None:
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        super().__init__(**kwargs)
        # Recorded at start: before each write the module checks that its controller still runs.
        self.lifeline = Lifeline()


def _fail(module: AnsibleSSMModule, e: Exception, **result: t.Any) -> None:
    if isinstance(e, DefinitionError):
        module.fail_json(msg=str(e), problems=[{"path": p.path, "message": p.message} for p in e.problems], **result)
    if isinstance(e, AnsibleSSMError) and e.exception:
        module.fail_json_aws(e.exception, msg=e.message, **result)
    module.fail_json(msg=getattr(e, "message", None) or str(e), **result)


def run_guarded(module: AnsibleSSMModule, converge: t.Callable[[], t.Any]) -> t.Any:
    """Run a converge function; definition errors and AWS errors end the module cleanly.

    A failure after some writes reports ``changed: true`` and lists them in ``completed_writes``.
    """
    try:
        return converge()
    except PartialApply as e:
        _fail(module, e.cause, changed=True, completed_writes=e.done)
    except (DefinitionError, AnsibleSSMError, ControllerGone) as e:
        _fail(module, e, changed=False, completed_writes=[])


def run_window_member(argument_spec: dict[str, t.Any], keys: t.Iterable[str], kind: str, ensure: t.Callable[..., t.Any],
                      passed: tuple[str, ...] = ()) -> None:
    """main() of mw_target and mw_task: converge one ``kind`` ("target" or "task") of a window and exit with
    ``window_<kind>_id``, ``<kind>``, ``changed_fields``, ``completed_writes`` (and the diff in diff mode).
    ``passed`` names module options handed to ``ensure`` as they are (mw_target's ``force``)."""
    id_key = f"window_{kind}_id"
    module = AnsibleSSMModule(argument_spec=argument_spec, supports_check_mode=True,
                              required_one_of=[["window", "window_id"]])
    params = module.params
    desired = strip_none({k: params.get(k) for k in keys})
    if params.get(id_key):
        desired[id_key] = params[id_key]
    client = module.client("ssm")

    def converge():
        return ensure(client, params["window"], params["window_id"], desired, params["state"] == "present",
                      module.check_mode, keep_going=module.lifeline.keep_going, **{k: params[k] for k in passed})

    plan, final, window_id = run_guarded(module, converge)
    result = {"changed": plan.changed, "window_id": window_id, id_key: (final or plan.before or {}).get(id_key),
              kind: final or {}, "changed_fields": plan.changed_fields, "completed_writes": plan.completed_writes}
    if module._diff:
        result["diff"] = {"before": plan.before or {}, "after": final or {}}
    module.exit_json(**result)
