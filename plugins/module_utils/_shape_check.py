# -*- coding: utf-8 -*-
# Copyright: Contributors to the mwops.ssm project
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.

"""Check a value against a botocore shape, the way an AWS service does; nothing SSM-specific.

Pure Python: no Ansible, boto3 or botocore imports. The caller passes botocore's raw service
model ``shapes`` dict and every limit is read from it, never copied by hand.

Public API:

``ShapeChecker(shapes).check(shape_name, value, path) -> list[Violation]``
    Required members, string/list/map length, integer range (a member without bounds is still a
    Java int or long), full-match pattern (the model's Java regular expressions, translated),
    enum, union, unknown members.

``aws_error_message(violations) -> str``
    The ``ValidationException`` text AWS would send, e.g. ``1 validation error detected: Value
    '25' at 'duration' failed to satisfy constraint: Member must have value less than or equal
    to 24``. Violations that are not shape constraints carry AWS's plain message in
    ``constraint``; the service reports one of those at a time.

``aws_path(path) -> str``
    A violation's ``path`` uses API member names and 0-based list indexes (``Targets[1].Values``,
    ``TaskInvocationParameters.Automation.Parameters['Operation']``); AWS prints camelCase,
    1-based (``targets.2.member.values``).
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Violation:
    """One broken rule in a request."""

    path: str  # API member path: "Cutoff", "Targets[1].Values"
    value: Any  # offending value (None when missing)
    constraint: str  # AWS-style constraint text
    message: str  # plain words for a user naming the rule


# Shape-constraint texts start with this; cross-field texts are AWS's plain messages.
SHAPE_PREFIX = "Member must"


def aws_error_message(violations: Sequence[Violation]) -> str:
    """The text of the ValidationException AWS would answer for these violations."""
    shape = [v for v in violations if v.constraint.startswith(SHAPE_PREFIX)]
    if not shape:
        # The service reports one semantic error at a time, in its own words.
        return violations[0].constraint if violations else ""
    noun = "error" if len(shape) == 1 else "errors"
    parts = [
        f"Value {java_repr(v.value, top=True)} at '{aws_path(v.path)}' failed to satisfy constraint: {v.constraint}"
        for v in shape
    ]
    return f"{len(shape)} validation {noun} detected: {'; '.join(parts)}"


def aws_path(path: str) -> str:
    """``Targets[1].Values`` -> ``targets.2.member.values`` (AWS prints camelCase, 1-based)."""
    out: list[str] = []
    for token in re.findall(r"\[\d+\]|\['(?:[^']|'')*'\]|[^.\[]+", path):
        if token.startswith("['"):
            out.append(token[2:-2].replace("''", "'"))
        elif token.startswith("["):
            out.append(f"{int(token[1:-1]) + 1}.member")
        else:
            out.append(token[:1].lower() + token[1:])
    return ".".join(out)


def required_violation(path: str, message: str = "is required") -> Violation:
    return Violation(path, None, "Member must not be null", message)


# --------------------------------------------------------------------------- shape constraints


class ShapeChecker:
    """Walks a value against a botocore shape and collects constraint violations."""

    def __init__(self, shapes: Mapping[str, Any]) -> None:
        self._shapes = shapes

    def check(self, shape_name: str, value: Any, path: str) -> list[Violation]:
        shape = self._shapes[shape_name]
        checker = _TYPE_CHECKERS.get(shape["type"])
        if checker is None:
            return []
        return checker(self, shape, value, path)

    def _structure(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if not isinstance(value, Mapping):
            return [_type_violation(path, value, "structure")]
        out: list[Violation] = []
        members = shape.get("members", {})
        for name in shape.get("required", []):
            if value.get(name) is None:
                out.append(required_violation(join(path, name)))
        for name, member_value in value.items():
            member_path = join(path, name)
            if name not in members:
                out.append(Violation(member_path, member_value, "Member must be a known parameter",
                                     "is not a parameter of this request"))
            elif member_value is not None:
                out += self.check(members[name]["shape"], member_value, member_path)
        if shape.get("union"):
            out += _union_violation(path, value)
        return out

    def _list(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if not isinstance(value, (list, tuple)):
            return [_type_violation(path, value, "list")]
        out = _length_violations(shape, value, path, "items")
        member = shape["member"]["shape"]
        for index, item in enumerate(value):
            out += self.check(member, item, f"{path}[{index}]")
        return out

    def _map(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if not isinstance(value, Mapping):
            return [_type_violation(path, value, "map")]
        out = _length_violations(shape, value, path, "entries")
        for key, item in value.items():
            quoted = str(key).replace("'", "''")
            item_path = f"{path}['{quoted}']"
            out += self.check(shape["key"]["shape"], key, item_path)
            out += self.check(shape["value"]["shape"], item, item_path)
        return out

    def _string(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if not isinstance(value, str):
            return [_type_violation(path, value, "string")]
        out = _length_violations(shape, value, path, "characters")
        if "enum" in shape and value not in shape["enum"]:
            allowed = ", ".join(shape["enum"])
            out.append(Violation(path, value, f"Member must satisfy enum value set: [{allowed}]",
                                 f"must be one of {allowed} (got {value!r})"))
        pattern = shape.get("pattern")
        if pattern and not pattern_matches(pattern, value):
            out.append(Violation(path, value, f"Member must satisfy regular expression pattern: {pattern}",
                                 f"must match the pattern {pattern} (got {value!r})"))
        return out

    def _integer(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if isinstance(value, bool) or not isinstance(value, int):
            return [_type_violation(path, value, "integer")]
        out: list[Violation] = []
        # Without a bound of its own a member is still a Java int (or long): AWS refuses beyond it.
        low, high = _JAVA_RANGE[shape["type"]]
        minimum, maximum = shape.get("min", low), shape.get("max", high)
        if value < minimum:
            out.append(Violation(path, value, f"Member must have value greater than or equal to {minimum}",
                                 f"must be at least {minimum} (got {value})"))
        if value > maximum:
            out.append(Violation(path, value, f"Member must have value less than or equal to {maximum}",
                                 f"must be at most {maximum} (got {value})"))
        return out

    def _boolean(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if not isinstance(value, bool):
            return [_type_violation(path, value, "boolean")]
        return []

    def _blob(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, (bytes, bytearray)):
            return [_type_violation(path, value, "blob")]
        return _length_violations(shape, bytes(value), path, "bytes")

    def _timestamp(self, shape: Mapping[str, Any], value: Any, path: str) -> list[Violation]:
        if isinstance(value, bool) or not isinstance(value, (datetime.datetime, datetime.date, str, int, float)):
            return [_type_violation(path, value, "timestamp")]
        return []


_JAVA_RANGE = {"integer": (-(2 ** 31), 2 ** 31 - 1), "long": (-(2 ** 63), 2 ** 63 - 1)}

_TYPE_CHECKERS: dict[str, Callable[[ShapeChecker, Mapping[str, Any], Any, str], list[Violation]]] = {
    "structure": ShapeChecker._structure,
    "list": ShapeChecker._list,
    "map": ShapeChecker._map,
    "string": ShapeChecker._string,
    "integer": ShapeChecker._integer,
    "long": ShapeChecker._integer,
    "boolean": ShapeChecker._boolean,
    "blob": ShapeChecker._blob,
    "timestamp": ShapeChecker._timestamp,
}


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_violation(path: str, value: Any, expected: str) -> Violation:
    return Violation(path, value, f"Member must be of type {expected}",
                     f"must be a {expected} (got {type(value).__name__})")


def _union_violation(path: str, value: Mapping[str, Any]) -> list[Violation]:
    present = [k for k, v in value.items() if v is not None]
    if len(present) <= 1:
        return []
    return [Violation(path, value, "Member must have exactly one member set", f"set only one of {', '.join(present)}")]


def _length_violations(shape: Mapping[str, Any], value: Any, path: str, unit: str) -> list[Violation]:
    out: list[Violation] = []
    size = len(value)
    if "min" in shape and size < shape["min"]:
        out.append(Violation(path, value, f"Member must have length greater than or equal to {shape['min']}",
                             f"must have at least {shape['min']} {unit} (got {size})"))
    if "max" in shape and size > shape["max"]:
        out.append(Violation(path, value, f"Member must have length less than or equal to {shape['max']}",
                             f"must have at most {shape['max']} {unit} (got {size})"))
    return out


# --------------------------------------------------------------------------- Java regular expressions
# The service model's patterns are Java regular expressions; these helpers read them with Python's re.

# Unicode property classes become private-use stand-ins; see pattern_matches.
_PROPERTY_STANDIN = {"L": "\ue000", "Z": "\ue001", "N": "\ue002", "P": "\ue003", "M": "\ue004", "S": "\ue005"}
_COMPILED: dict[str, re.Pattern[str] | None] = {}


@functools.lru_cache(maxsize=None)
def _ascii_members(category: str) -> str:
    chars = [chr(c) for c in range(128) if unicodedata.category(chr(c)).startswith(category)]
    return "".join(re.escape(c) for c in chars)


def translate_java_pattern(pattern: str) -> str:
    """Rewrite the Java-only parts of a model pattern for Python's re."""
    def property_class(match: re.Match[str]) -> str:
        inner = _ascii_members(match.group(1)) + _PROPERTY_STANDIN[match.group(1)]
        return inner if _inside_class(pattern, match.start()) else f"[{inner}]"

    translated = re.sub(r"\\p\{([LZNPMS])\}", property_class, pattern)
    # Java reads "-" after a class escape inside [...] as a literal hyphen.
    return re.sub(r"(\\[wdsWDS])-", r"\1\\-", translated)


def _inside_class(pattern: str, index: int) -> bool:
    depth, escaped = 0, False
    for char in pattern[:index]:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return depth > 0


def _compiled(pattern: str) -> re.Pattern[str] | None:
    if pattern not in _COMPILED:
        try:
            _COMPILED[pattern] = re.compile(translate_java_pattern(pattern))
        except re.error:
            _COMPILED[pattern] = None  # a dialect we cannot read: do not guess, accept
    return _COMPILED[pattern]


def _stand_in(char: str) -> str:
    if ord(char) < 128:
        return char
    return _PROPERTY_STANDIN.get(unicodedata.category(char)[0], char)


def pattern_matches(pattern: str, value: str) -> bool:
    """Whether ``value`` fully matches the model's Java ``pattern`` (an unreadable one accepts)."""
    compiled = _compiled(pattern)
    if compiled is None:
        return True
    if "\\p{" in pattern:
        value = "".join(_stand_in(c) for c in value)
    return compiled.fullmatch(value) is not None


# --------------------------------------------------------------------------- values as AWS prints them


def java_repr(value: Any, top: bool = False) -> str:
    """A value as Java's toString prints it (quoted at the top level, as AWS messages do)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (list, tuple)):
        text = f"[{', '.join(java_repr(v) for v in value)}]"
    elif isinstance(value, Mapping):
        text = "{" + ", ".join(f"{k}={java_repr(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, (bytes, bytearray)):
        text = f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    else:
        text = str(value)
    return f"'{text}'" if top else text
