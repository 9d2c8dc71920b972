"""EventUpload's fast path against EventBatch, the rule: they must agree on every batch."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from dotline.errors import InvalidRequest, PayloadTooLarge
from dotline.models.behaviour_events import EventBatch
from dotline.models.event_upload import EventUpload


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


def body_with(**fields: Any) -> str:
    """A batch of one plain event and one carrying `fields`, as a client sends it."""
    plain = {"action_type": "view", "item_id": str(uuid.uuid4()), "occurred_at": ago(hours=1)}
    events = [plain, {"action_type": "view", **fields}]
    return json.dumps({"batch_id": str(uuid.uuid4()), "events": events})


def model_accepts(body: str) -> bool:
    try:
        EventBatch.model_validate_json(body)
    except ValidationError:
        return False
    return True


BORDERLINE: list[dict[str, Any]] = [
    {},
    {"action_type": "a" * 64},
    {"action_type": "a" * 65},
    {"action_type": "view_2"},
    {"action_type": "2view"},
    {"item_id": None, "item_type": None, "session_id": None, "occurred_at": None},
    {"item_id": str(uuid.uuid4()).upper()},
    {"item_id": uuid.uuid4().hex},
    {"item_id": "not-a-uuid"},
    {"item_type": "Memory"},
    {"duration_seconds": 0},
    {"duration_seconds": 86_400},
    {"duration_seconds": 86_401},
    {"duration_seconds": -1},
    {"duration_seconds": 1.0},
    {"duration_seconds": True},
    {"duration_seconds": "90"},
    {"context": {"q": "x" * 4086}},  # 4,096 bytes as compact JSON
    {"context": {"q": "x" * 4087}},
    {"metadata": {"q": "é" * 2043}},  # 4,096 bytes in UTF-8
    {"metadata": {"q": "é" * 2044}},
    {"context": None},
    {"context": []},
    {"context": {"nested": {"deep": [1, 2.5, None, True]}}},
    {"occurred_at": ago(days=29)},
    {"occurred_at": ago(days=31)},
    {"occurred_at": ago(minutes=-4)},
    {"occurred_at": ago(minutes=-6)},
    {"occurred_at": "2026-02-30T10:00:00Z"},
    {"occurred_at": "2026-12-02T10:00:00"},
    {"occurred_at": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%S}+24:00"},
    {"occurred_at": f"{datetime.now(UTC) - timedelta(hours=1):%Y-%m-%d %H:%M:%S}Z"},
    {"occurred_at": 1_790_000_000},
    {"user_id": str(uuid.uuid4())},
    {"created_at": ago(hours=1)},
]


@pytest.mark.parametrize("fields", BORDERLINE, ids=lambda f: json.dumps(f)[:60])
def test_upload_accepts_exactly_what_the_batch_model_accepts(fields: dict[str, Any]) -> None:
    # given
    body = body_with(**fields)
    # when
    try:
        EventUpload.from_json(body)
        accepted = True
    except InvalidRequest:
        accepted = False
    # then
    assert accepted == model_accepts(body)


def test_a_canonical_batch_is_handed_over_as_the_client_sent_it() -> None:
    body = body_with(session_id=str(uuid.uuid4()), context={"screen": "timeline"})

    upload = EventUpload.from_json(body)

    assert upload.document is body
    assert upload.event_count == 2
    assert str(upload.batch_id) == json.loads(body)["batch_id"]


def test_other_spellings_are_handed_over_in_the_models_canonical_form() -> None:
    item = uuid.uuid4()
    body = body_with(item_id=item.hex)

    upload = EventUpload.from_json(body)

    assert upload.document != body
    assert json.loads(upload.document)["events"][1]["item_id"] == str(item)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_lacks_take_the_precise_path_and_become_null(number: str) -> None:
    # a marker no uuid or timestamp of the batch can contain, unlike a bare "0.5"
    body = body_with(context={"score": "NUMBER"}).replace('"NUMBER"', number)

    upload = EventUpload.from_json(body)

    assert upload.document != body
    assert json.loads(upload.document)["events"][1]["context"] == {"score": None}


def test_a_bad_event_is_named_by_index_and_field_with_the_models_message() -> None:
    body = body_with(duration_seconds=86_401)

    with pytest.raises(InvalidRequest) as refused:
        EventUpload.from_json(body)

    error = refused.value.extensions["errors"][0]
    assert error["field"] == "events.1.duration_seconds"
    assert error["message"] == "Input should be less than or equal to 86400"
    assert refused.value.detail.startswith("events.1.duration_seconds: ")


def test_too_many_events_is_too_large_even_when_one_is_bad() -> None:
    events = [{"action_type": "view"}] * 1001
    events[3] = {"action_type": "BAD"}

    with pytest.raises(PayloadTooLarge):
        EventUpload.from_json(json.dumps({"batch_id": str(uuid.uuid4()), "events": events}))
