"""Keyset cursors: what a list hands out comes back as the same (key, id); a forged, altered or
foreign cursor is refused with the field it came in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from dotline.errors import BadRequest, InvalidRequest
from dotline.pagination import decode_cursor, decode_time_cursor, encode_cursor


def test_a_cursor_gives_back_the_key_and_id_it_was_made_from() -> None:
    at, row_id = datetime(2026, 12, 7, 15, 0, tzinfo=UTC), uuid.uuid4()

    cursor = encode_cursor("memories", at.isoformat(), str(row_id))

    assert decode_time_cursor(cursor, "memories") == (at, str(row_id))
    assert decode_cursor(encode_cursor("ranked", 0.5, 7), "ranked") == (0.5, "7")


def test_an_altered_cursor_is_a_bad_request_naming_its_field() -> None:
    payload, _, mac = encode_cursor("memories", "2026-12-07T15:00:00+00:00", "x").partition(".")
    altered = f"{payload[:-2]}AA.{mac}"

    with pytest.raises(BadRequest) as refused:
        decode_cursor(altered, "memories", field="query.after")

    assert refused.value.extensions["errors"] == [
        {"field": "query.after", "message": "is not a cursor this API handed out"}
    ]


@pytest.mark.parametrize("cursor", ["", ".", "not-a-cursor", "a.b.c", "%%%.%%%"])
def test_text_the_api_never_handed_out_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, "memories")


def test_a_cursor_of_another_list_is_invalid_there() -> None:
    cursor = encode_cursor("concepts", "2026-12-07T15:00:00+00:00", str(uuid.uuid4()))

    with pytest.raises(InvalidRequest):
        decode_cursor(cursor, "memories")


def test_a_time_cursor_whose_key_is_no_time_is_invalid() -> None:
    with pytest.raises(InvalidRequest):
        decode_time_cursor(encode_cursor("memories", "yesterday", str(uuid.uuid4())), "memories")
