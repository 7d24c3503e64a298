"""The field registry's derivations: one declaration gives spec, docs, conversion and comparison."""

from __future__ import annotations

import pytest

from ansible_collections.mwops.ssm.plugins.module_utils import _fields as F

KEY_VALUES = (
    F.Field("key", "Key", doc=("The key.",), no_log=False),
    F.Field("values", "Values", "list", elements="str", doc=("The values.",), compare=F.UNORDERED),
)
THING = (
    F.Field("name", "Name", doc=("Name of the thing.",)),
    F.Field("priority", "Priority", "int", doc=("Priority.",), default=1),
    F.Field("mode", "Mode", doc=("Mode.",), choices=("A", "B"), aws_default="A"),
    F.Field("log_group", "LogGroup", doc=("Log group.",), computed=True),
    F.Field("targets", "Targets", "list", elements="dict", options=KEY_VALUES, doc=("Targets.",)),
    F.Field("config", "Config", "dict", options=(F.Field("enabled", "Enabled", "bool", doc=("On.",)),),
            doc=("Config.",)),
    F.Field("tags", "Tags", "dict", doc=("Tags.",), aliases=("resource_tags",)),
    F.Field("thing_id", "ThingId", doc=("ID.",), compare=F.IGNORED),
    F.Field("created", "CreatedDate", api_only=True),
)


def test_argument_spec_derives_types_suboptions_and_aliases():
    spec = F.argument_spec(THING)
    assert spec["priority"] == {"type": "int"}
    assert spec["targets"] == {"type": "list", "elements": "dict", "options": {
        "key": {"type": "str", "no_log": False}, "values": {"type": "list", "elements": "str"}}}
    assert spec["tags"]["aliases"] == ["resource_tags"]
    assert "created" not in spec
    # Choices are documented, not enforced by the argspec (the rules cores name the list index).
    assert "choices" not in spec["mode"]


def test_doc_options_and_mismatches_name_the_path():
    expected = F.doc_options(THING)
    assert expected["mode"]["choices"] == ["A", "B"]
    documented = {k: dict(v) for k, v in expected.items()}
    documented["name"] = {"description": ["Name of the thing.", "A module's own extra paragraph."], "type": "str"}
    assert F.doc_mismatches(expected, documented) == []
    documented["priority"] = {"description": ["Priority."], "type": "str"}
    documented["targets"] = {"description": ["Targets."], "type": "list", "elements": "dict",
                             "suboptions": {"key": {"description": ["The key."]}}}
    assert F.doc_mismatches(expected, documented) == [
        "priority: type is 'str', the registry says 'int'",
        "targets.values: not documented",
    ]


def test_api_round_trip_drops_unset_and_unknown_members():
    vocab = {"name": "n", "priority": None, "targets": [{"key": "tag:A", "values": ["1"]}],
             "config": {"enabled": True}, "thing_id": "t-1"}
    api = F.to_api(THING, vocab)
    assert api == {"Name": "n", "Targets": [{"Key": "tag:A", "Values": ["1"]}], "Config": {"Enabled": True},
                   "ThingId": "t-1"}
    assert F.from_api(THING, dict(api, Unmodelled=1, CreatedDate="x")) == dict(
        {k: v for k, v in vocab.items() if v is not None}, created="x")


def test_schema_node_maps_lists_and_dicts():
    node = F.schema_node(THING)
    assert node["targets"] == ("Targets", [{"key": ("Key", None), "values": ("Values", None)}])
    assert node["config"] == ("Config", {"enabled": ("Enabled", None)})


def test_normalise_fills_defaults_and_applies_normalisers():
    fields = THING + (F.Field("upper", "Upper", normalise=str.upper, doc=("U.",)),)
    assert F.normalise(fields, {"name": "n", "upper": "x"}) == {"name": "n", "priority": 1, "upper": "X"}
    assert F.normalise(fields, {"name": "n"}, apply_defaults=False) == {"name": "n"}


@pytest.mark.parametrize("desired, current, changed", [
    ({"name": "a"}, {"name": "a"}, []),
    ({"name": "a"}, {"name": "b"}, ["name"]),
    # AWS's default and computed values are no difference when we leave the field unset
    ({}, {"mode": "A", "log_group": "/aws/ssm/x"}, []),
    ({}, {"mode": "B"}, ["mode"]),
    ({"log_group": "mine"}, {"log_group": "/aws/ssm/x"}, ["log_group"]),
    # order-insensitive members inside an ordered list of structures
    ({"targets": [{"key": "k", "values": ["1", "2"]}]}, {"targets": [{"key": "k", "values": ["2", "1"]}]}, []),
    ({"targets": [{"key": "k", "values": ["1"]}]}, {"targets": [{"key": "j", "values": ["1"]}]}, ["targets"]),
    ({"thing_id": "a"}, {"thing_id": "b"}, []),
    ({"config": {"enabled": True}}, {"config": {"enabled": False}}, ["config.enabled"]),
])
def test_differences(desired, current, changed):
    assert F.differences(THING, desired, current) == changed


def test_unordered_compare_ignores_order_of_the_list_itself():
    field = F.Field("ids", "Ids", "list", elements="str", compare=F.UNORDERED)
    assert F.same(field, ["a", "b"], ["b", "a"])
    assert not F.same(field, ["a", "a"], ["a"])


def test_bad_declarations_are_refused():
    with pytest.raises(ValueError, match="compare must be one of"):
        F.Field("x", "X", compare="fuzzy")
    with pytest.raises(ValueError, match="options need type dict or list"):
        F.Field("x", "X", options=(F.Field("y", "Y"),))
