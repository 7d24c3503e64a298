# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Identity of window targets and tasks: which desired item is which current one.

An item is identified by its ID when given, else by its name, else (no name) by its content, the
registry's compared fields. Duplicates left by a crash or a race are repaired when one of them
is provably the one to keep.

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import typing as t

from ._definition_compare import TARGET_COMPARED
from ._definition_compare import TASK_COMPARED
from ._definition_compare import normalize_target
from ._definition_compare import normalize_task
from ._definition_vocabulary import Problem

Doc = dict[str, t.Any]


def target_content(target: Doc) -> t.Any:
    """What identifies a target that has no name: its compared fields."""
    canonical = normalize_target(target)
    return tuple(repr(canonical.get(k)) for k in TARGET_COMPARED)


def task_content(task: Doc) -> t.Any:
    """What identifies a task that has no name: its compared fields (targets as given)."""
    canonical = normalize_task(task)
    return tuple(repr(canonical.get(k)) for k in TASK_COMPARED)


class Matched(t.NamedTuple):
    """Desired items paired with current ones.

    ``pairs``: (desired, current or None) in the desired order; ``unmatched``: current items no
    desired item names; ``extras``: current duplicates of a matched item, which a converge
    removes (the repair of a crash or a race); ``problems``: paths relative to the list
    (``[1].name``).
    """

    pairs: list[tuple[Doc, Doc | None]]
    unmatched: list[Doc]
    extras: list[Doc]
    problems: list[Problem]


def match_by_identity(desired: t.Sequence[Doc], current: t.Sequence[Doc], id_key: str, kind: str = "item",
                      same: t.Callable[[Doc, Doc], bool] | None = None,
                      referenced: t.Collection[str] = ()) -> Matched:
    """Pair desired items with current ones: by ID when given, else by name, else (no name) by
    content.

    An ID that does not exist and a name that contradicts the ID's item are problems, never a
    reason to create a second item.  Several current items with one name are repaired when one
    of them is provably the one to keep: the only one equal to the definition (``same``), else
    the only one in use (``referenced`` IDs); otherwise a problem names the IDs and ``id_key``.
    """
    same = same or (lambda want, have: False)
    problems: list[Problem] = []
    by_id = {c[id_key]: c for c in current}
    by_name: dict[str, list[Doc]] = {}
    for item in current:
        if item.get("name"):
            by_name.setdefault(item["name"], []).append(item)
    pairs: list[tuple[Doc, Doc | None]] = []
    used: set[str] = set()
    extras: list[Doc] = []
    for index, want in enumerate(desired):
        found = None
        if want.get(id_key):
            found = by_id.get(want[id_key])
            if found is None:
                problems.append(Problem(f"[{index}].{id_key}", f"no {kind} with ID {want[id_key]} exists "
                                                               f"in this window"))
            elif want.get("name") and found.get("name") and found["name"] != want["name"]:
                problems.append(Problem(f"[{index}].name", f"'{want['name']}' is not the name of {kind} "
                                                           f"{want[id_key]} ('{found['name']}'); name and "
                                                           f"{id_key} must agree"))
        elif want.get("name"):
            candidates = [c for c in by_name.get(want["name"], []) if c[id_key] not in used]
            found, problem = _keeper(candidates, want, same, referenced, id_key, kind)
            if problem:
                problems.append(Problem(f"[{index}].name", problem))
            elif found is not None:
                extras += [c for c in candidates if c is not found]
                used.update(c[id_key] for c in candidates)
        else:
            found = next((c for c in current if not c.get("name") and c[id_key] not in used and same(want, c)), None)
        if found is not None:
            used.add(found[id_key])
        pairs.append((want, found))
    unmatched = [c for c in current if c[id_key] not in used]
    return Matched(pairs, unmatched, extras, problems)


def _keeper(candidates: list[Doc], want: Doc, same: t.Callable[[Doc, Doc], bool], referenced: t.Collection[str],
            id_key: str, kind: str) -> tuple[Doc | None, str | None]:
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), None
    for rule in (lambda c: same(want, c), lambda c: c[id_key] in referenced):
        chosen = [c for c in candidates if rule(c)]
        if len(chosen) == 1:
            return chosen[0], None
    ids = ", ".join(sorted(c[id_key] for c in candidates))
    return None, (f"{len(candidates)} {kind}s are named '{want['name']}' ({ids}) and none of them is provably the "
                  f"one to keep; give {id_key} to choose it (the others are then removed by purge) or remove "
                  f"the extra ones")


def task_label(task: Doc) -> str:
    return f"{task.get('name') or '(unnamed)'} ({task.get('window_task_id', 'new')})"
