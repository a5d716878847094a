"""Response bodies and log lines are compact UTF-8 JSON; what orjson refuses is still written."""

from __future__ import annotations

import json
import logging
from uuid import UUID

import pytest

from tokenledger.web.compact_json import compact_json
from tokenledger.web.json_logging import JsonFormatter


@pytest.mark.parametrize("value", [
    {"data": {"meta": {"team": "équipe"}, "ttl": 3600, "policies": ["default"]}, "auth": None},
    {"lone surrogate": "\ud800"},
    {"beyond 64 bits": 2 ** 70},
    {1: "a key that is not a string"},
])
def test_any_value_json_writes_is_written_and_reads_back_the_same(value: dict[object, object]) -> None:
    written = compact_json(value)
    assert json.loads(written) == json.loads(json.dumps(value))
    assert b", " not in written and b": " not in written


def test_non_ascii_is_written_as_utf8() -> None:
    assert compact_json({"name": "équipe"}) == '{"name":"équipe"}'.encode()


def test_a_log_line_holds_the_extras_and_writes_other_objects_as_text() -> None:
    token_id = UUID(int=7)
    record = logging.makeLogRecord({"name": "tokenledger.request", "levelname": "INFO", "msg": "request",
                                    "status": 200, "token_id": token_id})
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["status"], line["token_id"]) == ("request", 200, str(token_id))
