"""Every module's DOCUMENTATION holds the field registry: each field documented, same type,
elements, choices and aliases, the registry's text first; maintenance_window's nested
``targets``/``tasks`` suboptions included. Fragments of this collection are merged in."""

from __future__ import annotations

import ast
import typing as t
from pathlib import Path

import pytest
import yaml

from ansible_collections.mwops.ssm.plugins.module_utils import _argspec as A
from ansible_collections.mwops.ssm.plugins.module_utils import _fields as F
from ansible_collections.mwops.ssm.plugins.module_utils import _window_fields as W

PLUGINS = Path(F.__file__).resolve().parents[1]
OWN_FRAGMENT = "mwops.ssm."


def _static(path: Path, owner: str, name: str) -> str:
    """A string assigned at module level (or in a class) of a plugin file, read without importing it."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef) and owner and node.name != owner:
            continue
        for stmt in getattr(node, "body", []):
            if isinstance(stmt, ast.Assign) and any(getattr(x, "id", None) == name for x in stmt.targets):
                return stmt.value.value
    raise AssertionError(f"{path.name}: no {name}")


def documentation(module: str) -> dict[str, t.Any]:
    """The module's DOCUMENTATION with this collection's doc fragments merged in (as ansible-doc does:
    the module's own options win)."""
    doc = yaml.safe_load(_static(PLUGINS / "modules" / f"{module}.py", "", "DOCUMENTATION"))
    for fragment in doc.get("extends_documentation_fragment", []):
        if fragment.startswith(OWN_FRAGMENT):
            # mwops.ssm.<file> reads DOCUMENTATION, mwops.ssm.<file>.<part> reads the class attribute PART
            slug = fragment[len(OWN_FRAGMENT):]
            name, part = slug.split(".", 1) if "." in slug else (slug, "documentation")
            text = _static(PLUGINS / "doc_fragments" / f"{name}.py", "ModuleDocFragment", part.upper())
            doc["options"] = dict(yaml.safe_load(text).get("options", {}), **doc["options"])
    return doc


def unknown_suboptions(expected: dict[str, t.Any], documented: dict[str, t.Any], path: str = "") -> list[str]:
    """Suboptions documented inside a registry structure that the registry does not know."""
    problems = []
    for key, want in expected.items():
        if "suboptions" not in want:
            continue
        have = (documented.get(key) or {}).get("suboptions") or {}
        problems += [f"{path}{key}.{extra}: documented, not in the registry" for extra in have if extra not in want["suboptions"]]
        problems += unknown_suboptions(want["suboptions"], have, f"{path}{key}.")
    return problems


# module -> (registry fields of its options, its argument spec)
MODULES = {
    "maintenance_window": (W.DEFINITION_FIELDS, A.maintenance_window_argument_spec()),
    "mw_target": (W.TARGET_FIELDS + (W.TARGET_ID,), A.mw_target_argument_spec()),
    "mw_task": (W.TASK_FIELDS + (W.TASK_ID,), A.mw_task_argument_spec()),
}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_documentation_holds_the_registry(module):
    fields, _spec = MODULES[module]
    expected = F.doc_options(fields)
    documented = documentation(module)["options"]
    assert F.doc_mismatches(expected, documented) + unknown_suboptions(expected, documented) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_option_of_the_argument_spec_is_documented(module):
    _fields, spec = MODULES[module]
    documented = documentation(module)["options"]
    # tags/purge_tags come from amazon.aws.tags, which is not ours to parse here
    own = {k for k in spec if k not in ("tags", "purge_tags")}
    assert sorted(own - set(documented)) == []
    assert sorted(set(documented) - set(spec)) == []


def test_nested_suboptions_are_checked_too():
    """maintenance_window's nested task options are part of the comparison, down to the leaves."""
    expected = F.doc_options(W.DEFINITION_FIELDS)
    leaf = expected["tasks"]["suboptions"]["task_invocation_parameters"]["suboptions"]["run_command"]["suboptions"]
    assert leaf["timeout_seconds"]["type"] == "int"
    documented = documentation("maintenance_window")["options"]
    run = documented["tasks"]["suboptions"]["task_invocation_parameters"]["suboptions"]["run_command"]["suboptions"]
    run["timeout_seconds"]["type"] = "str"
    del run["comment"]
    run["undeclared"] = {"description": ["x"], "type": "str"}
    problems = F.doc_mismatches(expected, documented) + unknown_suboptions(expected, documented)
    assert problems == [
        "tasks.task_invocation_parameters.run_command.comment: not documented",
        "tasks.task_invocation_parameters.run_command.timeout_seconds: type is 'str', the registry says 'int'",
        "tasks.task_invocation_parameters.run_command.undeclared: documented, not in the registry",
    ]


def test_a_registry_field_without_documentation_fails():
    """A field added to the registry (as cutoff_behavior once was) and not to the DOCUMENTATION is caught."""
    fields = W.TASK_FIELDS + (W.TASK_ID, F.Field("new_field", "NewField", doc=("Something new.",)))
    problems = F.doc_mismatches(F.doc_options(fields), documentation("mw_task")["options"])
    assert problems == ["new_field: not documented"]


def test_changed_type_or_choices_in_the_registry_fail():
    changed = tuple(F.Field(f.key, f.api, "str", doc=f.doc) if f.key == "priority" else
                    F.Field(f.key, f.api, doc=f.doc, choices=("CONTINUE_TASK", "CANCEL_TASK")) if f.key == "cutoff_behavior" else f
                    for f in W.TASK_FIELDS)
    problems = F.doc_mismatches(F.doc_options(changed), documentation("mw_task")["options"])
    assert problems == [
        "priority: type is 'int', the registry says 'str'",
        "cutoff_behavior: choices is None, the registry says ['CONTINUE_TASK', 'CANCEL_TASK']",
    ]
