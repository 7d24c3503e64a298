# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""AnsibleAWSModule stamped with this collection's name and version (boto User-Agent)."""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

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
