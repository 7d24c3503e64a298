# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The window-definition vocabulary's public names, in one import (``from . import _definition as d``).

No logic lives here. Each job has its own file, built on the field registry (``_window_fields``):
values (``_definition_values``), conversion (``_definition_vocabulary``), normalise/compare
(``_definition_compare``), requests (``_definition_requests``), identity (``_definition_identity``)
and the vocabulary rules of a whole definition (``_definition_rules``).

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import typing as t

from ._definition_compare import TARGET_COMPARED  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import TASK_COMPARED  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import absorb_computed  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import normalize_invocation_parameters  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import nested_differences  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import normalize_target  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import normalize_task  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import normalize_window  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import same_date  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import start_date_moved_by_aws  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import target_differences  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import target_from_api  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import task_differences  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import task_from_api  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import window_differences  # noqa: F401  pylint: disable=unused-import
from ._definition_compare import window_from_api  # noqa: F401  pylint: disable=unused-import
from ._definition_identity import Matched  # noqa: F401  pylint: disable=unused-import
from ._definition_identity import match_by_identity  # noqa: F401  pylint: disable=unused-import
from ._definition_identity import target_content  # noqa: F401  pylint: disable=unused-import
from ._definition_identity import task_content  # noqa: F401  pylint: disable=unused-import
from ._definition_identity import task_label  # noqa: F401  pylint: disable=unused-import
from ._definition_requests import target_request  # noqa: F401  pylint: disable=unused-import
from ._definition_requests import task_request  # noqa: F401  pylint: disable=unused-import
from ._definition_requests import window_needs_disable_after_create  # noqa: F401  pylint: disable=unused-import
from ._definition_requests import window_request  # noqa: F401  pylint: disable=unused-import
from ._definition_values import DEFAULT_CUTOFF_BEHAVIOR  # noqa: F401  pylint: disable=unused-import
from ._definition_values import DEFAULT_PRIORITY  # noqa: F401  pylint: disable=unused-import
from ._definition_values import INSTANCE_IDS  # noqa: F401  pylint: disable=unused-import
from ._definition_values import RUN_COMMAND_FORBIDDEN_PSEUDO  # noqa: F401  pylint: disable=unused-import
from ._definition_values import SERVICE_LINKED_ROLE_MARK  # noqa: F401  pylint: disable=unused-import
from ._definition_values import WINDOW_TARGET_IDS  # noqa: F401  pylint: disable=unused-import
from ._definition_values import default_resource_type  # noqa: F401  pylint: disable=unused-import
from ._definition_values import is_service_linked_role  # noqa: F401  pylint: disable=unused-import
from ._definition_values import normalize_key_values  # noqa: F401  pylint: disable=unused-import
from ._definition_values import normalize_parameters  # noqa: F401  pylint: disable=unused-import
from ._definition_values import normalize_task_targets  # noqa: F401  pylint: disable=unused-import
from ._definition_values import parameter_value_to_str  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import INVOCATION_KEY_FOR_TYPE  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import INVOCATION_SCHEMA  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import TARGET_SCHEMA  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import TASK_SCHEMA  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import WINDOW_SCHEMA  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import Problem  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import api_path_to_vocabulary  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import resolve_task_targets  # noqa: F401  pylint: disable=unused-import
from ._definition_vocabulary import task_targets_from_api  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import INTEGER_FIELDS  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import RESERVED_TAG_PREFIX  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import check_target  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import check_task  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import check_window_definition  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import join_path  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import parameter_problems  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import tag_problems  # noqa: F401  pylint: disable=unused-import
from ._definition_rules import value_problems  # noqa: F401  pylint: disable=unused-import

Doc = dict[str, t.Any]
