# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """What this collection's AWS modules support, declared once: CONVERGE for the modules that write
    (check and diff mode), INFO for the read-only ones (no diff). Listed after
    ansible.builtin.action_common_attributes, which gives the attributes' descriptions."""

    CONVERGE = r"""
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
  platform: {platforms: aws}
"""

    INFO = r"""
attributes:
  check_mode: {support: full}
  diff_mode: {support: N/A}
  platform: {platforms: aws}
"""
