# -*- coding: utf-8 -*-

# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""The field registry's building blocks: a field is declared once, everything else derives from it.

A resource (a window, a target, a task, a patch baseline) is a tuple of ``Field``. From that one
declaration come the Ansible argument spec, the expected DOCUMENTATION options (held against each
module's static YAML by a unit test), the conversion between our snake_case vocabulary and the API
shape, normalisation (our defaults, blank values) and comparison (ordered or order-insensitive,
values AWS computes when we leave them unset).

Pure: no Ansible or boto3 imports.
"""

from __future__ import annotations

import dataclasses
import typing as t

Doc = dict[str, t.Any]
Normaliser = t.Callable[[t.Any], t.Any]

# How a field's desired and current values are compared.
EXACT = "exact"          # equal after normalisation (lists keep their order)
UNORDERED = "unordered"  # lists are compared as multisets (order carries no meaning in AWS)
IGNORED = "ignored"      # never a difference (identity, write-only or informational fields)
COMPARISONS = (EXACT, UNORDERED, IGNORED)


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a resource, in our vocabulary and in the API."""

    key: str                                  # vocabulary key (snake_case option name)
    api: str                                  # API member name ("" when the field is ours only)
    type: str = "str"                         # Ansible type: str, int, bool, list, dict, raw
    doc: tuple[str, ...] = ()                 # documentation paragraphs (module docs may add more)
    elements: str | None = None               # element type of a list
    options: tuple[Field, ...] | None = None  # members of a dict, or of each dict of a list
    choices: tuple[t.Any, ...] | None = None  # documented values; the rules cores enforce them
    default: t.Any = None                     # our value when the user leaves the field unset
    aws_default: t.Any = None                 # what AWS fills in when the field is absent
    compare: str = EXACT
    computed: bool = False                    # AWS computes it when unset: no difference then
    normalise: Normaliser | None = None       # applied to a set value before comparison/sending
    aliases: tuple[str, ...] = ()
    no_log: bool | None = None                # for option names Ansible's no_log heuristics flag
    api_only: bool = False                    # read back from the API, never an option

    def __post_init__(self) -> None:
        if self.compare not in COMPARISONS:
            raise ValueError(f"{self.key}: compare must be one of {COMPARISONS}, got {self.compare!r}")
        if self.options is not None and self.type not in ("dict", "list"):
            raise ValueError(f"{self.key}: options need type dict or list, got {self.type!r}")


Fields = tuple[Field, ...]


def by_key(fields: Fields) -> dict[str, Field]:
    return {f.key: f for f in fields}


def option_fields(fields: Fields) -> Fields:
    return tuple(f for f in fields if not f.api_only)


# ---------------------------------------------------------------------------------------------
# Argument spec and documentation

def argument_spec(fields: Fields) -> Doc:
    """The Ansible argument spec. Choices and required-ness are checked by the rules cores, on the
    whole definition, so errors carry list indexes (``tasks[1].priority``) and nothing is written."""
    spec: Doc = {}
    for f in option_fields(fields):
        entry: Doc = {"type": f.type}
        if f.elements:
            entry["elements"] = f.elements
        if f.options is not None:
            entry["options"] = argument_spec(f.options)
        if f.aliases:
            entry["aliases"] = list(f.aliases)
        if f.no_log is not None:
            entry["no_log"] = f.no_log
        spec[f.key] = entry
    return spec


def doc_options(fields: Fields) -> Doc:
    """What a module's DOCUMENTATION ``options`` must say about these fields.

    ``description`` holds the registry's paragraphs; a module may append paragraphs of its own.
    """
    out: Doc = {}
    for f in option_fields(fields):
        entry: Doc = {"description": list(f.doc), "type": f.type}
        if f.elements:
            entry["elements"] = f.elements
        if f.choices is not None:
            entry["choices"] = list(f.choices)
        if f.aliases:
            entry["aliases"] = list(f.aliases)
        if f.options is not None:
            entry["suboptions"] = doc_options(f.options)
        out[f.key] = entry
    return out


def doc_mismatches(expected: Doc, documented: t.Mapping[str, t.Any], path: str = "") -> list[str]:
    """Differences between ``doc_options`` and a module's DOCUMENTATION options (for the doc test)."""
    problems = []
    for key, want in expected.items():
        where = f"{path}{key}"
        have = documented.get(key)
        if have is None:
            problems.append(f"{where}: not documented")
            continue
        text = have.get("description") or []
        text = [text] if isinstance(text, str) else list(text)
        if text[:len(want["description"])] != want["description"]:
            problems.append(f"{where}: description does not start with the registry's text")
        for attr in ("type", "elements", "choices", "aliases"):
            if want.get(attr) != have.get(attr) and not (attr == "type" and have.get(attr) is None and want[attr] == "str"):
                problems.append(f"{where}: {attr} is {have.get(attr)!r}, the registry says {want.get(attr)!r}")
        if "suboptions" in want:
            problems.extend(doc_mismatches(want["suboptions"], have.get("suboptions") or {}, f"{where}."))
    return problems


# ---------------------------------------------------------------------------------------------
# Conversion between the vocabulary and the API shape

def to_api(fields: Fields, value: t.Mapping[str, t.Any] | None) -> Doc | None:
    """Vocabulary -> API shape; unset (None) members are left out, never sent as empty."""
    return _convert(fields, value, lambda f: (f.key, f.api))


def from_api(fields: Fields, value: t.Mapping[str, t.Any] | None) -> Doc | None:
    """API shape -> vocabulary; members we do not model are dropped."""
    return _convert(fields, value, lambda f: (f.api, f.key))


def _convert(fields: Fields, value: t.Mapping[str, t.Any] | None,
             keys: t.Callable[[Field], tuple[str, str]]) -> Doc | None:
    """One walk for both directions: ``keys`` names a field's (source, target) member; fields
    without an API key and unset (None) members are left out."""
    if value is None:
        return None
    out: Doc = {}
    for f in fields:
        source, target = keys(f)
        if not f.api or value.get(source) is None:
            continue
        raw = value[source]
        if f.options is None:
            out[target] = raw
        elif f.type == "list":
            out[target] = [_convert(f.options, item, keys) for item in raw]
        else:
            out[target] = _convert(f.options, raw, keys)
    return out


def schema_node(fields: Fields) -> dict[str, tuple[str, t.Any]]:
    """The registry as a plain ``{key: (ApiKey, sub-node)}`` tree, for API-path -> option-path mapping."""
    node: dict[str, tuple[str, t.Any]] = {}
    for f in fields:
        if not f.api:
            continue
        sub: t.Any = None
        if f.options is not None:
            sub = schema_node(f.options)
            if f.type == "list":
                sub = [sub]
        node[f.key] = (f.api, sub)
    return node


# ---------------------------------------------------------------------------------------------
# Normalisation and comparison

def normalise(fields: Fields, value: t.Mapping[str, t.Any] | None, apply_defaults: bool = True) -> Doc:
    """Our canonical form: normalisers applied, defaults filled in, unset members left out."""
    out: Doc = {}
    for f in fields:
        member = (value or {}).get(f.key)
        if member is None and apply_defaults and f.default is not None:
            member = f.default
        if member is None:
            continue
        if f.options is not None:
            if f.type == "list":
                member = [normalise(f.options, item, apply_defaults) for item in member]
            else:
                member = normalise(f.options, member, apply_defaults)
        if f.normalise is not None:
            member = f.normalise(member)
        if member is not None:
            out[f.key] = member
    return out


def _canonical(value: t.Any) -> t.Any:
    """A hashable, order-free form for multiset comparison."""
    if isinstance(value, dict):
        return tuple(sorted((k, _canonical(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(sorted((_canonical(v) for v in value), key=repr))
    return value


def same(f: Field, desired: t.Any, current: t.Any) -> bool:
    if f.compare == IGNORED:
        return True
    if desired is None and (f.computed or current == f.aws_default):
        return True
    if isinstance(desired, list) and isinstance(current, list):
        if f.compare == UNORDERED:
            return _canonical(desired) == _canonical(current)
        if f.options is not None:  # element by element, so members' own comparisons apply
            return len(desired) == len(current) and all(
                not differences(f.options, a or {}, b or {}) for a, b in zip(desired, current))
    return desired == current


def differences(fields: Fields, desired: t.Mapping[str, t.Any], current: t.Mapping[str, t.Any],
                prefix: str = "") -> list[str]:
    """Option paths whose desired value differs from the current one (nested dicts by full path)."""
    changed = []
    for f in fields:
        if f.api_only:
            continue
        a, b = desired.get(f.key), current.get(f.key)
        where = f"{prefix}{f.key}"
        if f.options is not None and f.type == "dict" and f.compare != IGNORED and (a is not None or b is not None):
            if a is None and f.computed:
                continue
            changed.extend(differences(f.options, a or {}, b or {}, f"{where}."))
        elif not same(f, a, b):
            changed.append(where)
    return changed
