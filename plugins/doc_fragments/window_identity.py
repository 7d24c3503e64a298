# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """The window a target or task belongs to (mw_target, mw_task)."""

    DOCUMENTATION = r"""
options:
  window:
    description:
      - Name of the maintenance window. One of O(window) and O(window_id) is required.
      - Fails when several windows have this name; use O(window_id) then. With O(window_id), it must be that window's name.
      - In check mode a window of this name that does not exist yet (a window an earlier task of the same check run
        would create) is predicted empty, so the module reports what it would register instead of failing.
    type: str
    aliases: [window_name]
  window_id:
    description:
      - ID of the maintenance window (V(mw-...)).
    type: str
"""
