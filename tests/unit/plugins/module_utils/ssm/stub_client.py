"""A stand-in boto3 SSM client for the AWS layer's error handling: no network, no canned SSM
behaviour beyond what each test scripts (answers and botocore errors, in order)."""

from __future__ import annotations

import botocore.exceptions


def client_error(code: str, operation: str = "Operation") -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": f"{code} (stub)"}}, operation)


class StubClient:
    """``script[method]``: answers in order, each a dict or an exception to raise (the last one
    repeats). Every call is recorded in ``calls`` as (method, parameters)."""

    def __init__(self, **script):
        self.script = {name: list(answers) for name, answers in script.items()}
        self.calls: list[tuple[str, dict]] = []

    def _answer(self, method: str, params: dict):
        self.calls.append((method, params))
        answers = self.script[method]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(params) if callable(answer) else answer

    def __getattr__(self, method: str):
        if method.startswith("_") or method not in self.script:
            raise AttributeError(method)
        return lambda **params: self._answer(method, params)

    def get_paginator(self, operation: str):
        return _Paginator(self, operation)

    def methods(self) -> list[str]:
        return [method for method, _params in self.calls]


class _Paginator:
    def __init__(self, client: StubClient, operation: str) -> None:
        self._client, self._operation = client, operation

    def paginate(self, **params):
        client, operation = self._client, self._operation

        class _Pages:
            @staticmethod
            def build_full_result():
                return client._answer(operation, params)  # pylint: disable=protected-access

        return _Pages()
