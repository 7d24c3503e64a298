# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""AnsibleAWSModule stamped with this collection's name and version (boto User-Agent)."""

from __future__ import annotations

import typing as t

from ansible_collections.amazon.aws.plugins.module_utils.common import set_collection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ._plan import DefinitionError
from ._ssm import AnsibleSSMError

COLLECTION_NAME = "mwops.ssm"
COLLECTION_VERSION = "0.1.0"


class AnsibleSSMModule(AnsibleAWSModule):
    """Every mwops.ssm AWS module is built on this class."""

    def __init__(self, **kwargs) -> None:
        set_collection_info(collection_name=COLLECTION_NAME, collection_version=COLLECTION_VERSION)
        super().__init__(**kwargs)


def run_guarded(module: AnsibleSSMModule, converge: t.Callable[[], t.Any]) -> t.Any:
    """Run a converge function; definition errors and AWS errors end the module cleanly."""
    try:
        return converge()
    except DefinitionError as e:
        module.fail_json(msg=str(e), problems=[{"path": p.path, "message": p.message} for p in e.problems])
    except AnsibleSSMError as e:
        module.fail_json_aws_error(e)
