"""The service model the rules read: the client's own parse reused, read only when needed."""

from __future__ import annotations

import boto3
import botocore.loaders

from ansible_collections.mwops.ssm.plugins.module_utils import _definition as d
from ansible_collections.mwops.ssm.plugins.module_utils import _plan as p
from ansible_collections.mwops.ssm.plugins.module_utils import _ssm

FILE_MODEL = botocore.loaders.create_loader().load_service_model("ssm", "service-2")


def ssm_client():
    return boto3.client("ssm", region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", endpoint_url="http://127.0.0.1:9")


def test_a_client_s_model_is_the_file_model_without_a_second_read(monkeypatch):
    client = ssm_client()

    def no_file_read():
        raise AssertionError("the model file was read again")

    monkeypatch.setattr(_ssm, "_file_model", no_file_read)
    model = _ssm.service_model(client)
    assert dict(model) == FILE_MODEL
    assert model["shapes"] is client.meta.service_model._service_description["shapes"]


def test_without_a_client_the_file_model_is_read_once():
    _ssm._file_model.cache_clear()
    assert dict(_ssm.service_model()) == FILE_MODEL
    assert _ssm.service_model()["operations"] is _ssm.service_model()["operations"]


def test_the_model_is_read_only_when_a_request_is_checked():
    reads = []

    def load():
        reads.append(1)
        return FILE_MODEL

    model = _ssm._LazyModel(load)
    assert p.validate_ops([], model) == [] and reads == []
    bad = p.Op("UpdateMaintenanceWindow", {"WindowId": "mw-0123456789abcdef0", "Duration": 25},
               schema=d.WINDOW_SCHEMA)
    problems = p.validate_ops([bad], model)
    assert reads == [1]
    assert [problem.path for problem in problems] == ["duration"], problems
