"""The limits every request's input meets before a route sees it: depth, length, NULs and
surrogates, numbers JSON lacks, media type; each refusal names the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dotline.errors import InvalidRequest, UnsupportedMediaType
from dotline.input_limits import (
    MAX_JSON_DEPTH,
    MAX_PARAMETER_CHARS,
    MAX_STRING_CHARS,
    check_json_text,
    check_request,
)


def post(body: str, content_type: str = "application/json", query: str = "") -> dict[str, Any]:
    return {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {"content-type": content_type},
        "body": body,
        "rawQueryString": query,
    }


def refused_field(call: Any) -> str:
    with pytest.raises(InvalidRequest) as refused:
        call()
    [error] = refused.value.extensions["errors"]
    return str(error["field"])


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_deepest_document_allowed_passes_and_one_level_more_is_refused() -> None:
    check_json_text(nested(MAX_JSON_DEPTH))

    with pytest.raises(InvalidRequest):
        check_json_text(nested(MAX_JSON_DEPTH + 2))


def test_a_string_over_the_limit_is_refused_by_its_path() -> None:
    body = json.dumps({"events": [{"note": "x" * (MAX_STRING_CHARS + 1)}]})

    assert refused_field(lambda: check_json_text(body)) == "events.0.note"


@pytest.mark.parametrize("escaped", ["\\u0000", "\\ud800"])
def test_nul_and_unpaired_surrogates_are_refused_where_they_are(escaped: str) -> None:
    body = '{"title": "a' + escaped + 'b"}'

    assert refused_field(lambda: check_json_text(body)) == "title"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_numbers_json_lacks_are_refused(number: str) -> None:
    assert refused_field(lambda: check_json_text('{"score": ' + number + "}")) == "body"


def test_an_integer_past_64_bits_is_refused() -> None:
    assert refused_field(lambda: check_json_text('{"n": 9223372036854775808}')) == "n"


def test_text_that_is_no_json_is_left_to_the_validator() -> None:
    check_json_text("not json at all")


def test_a_body_in_another_media_type_or_charset_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType):
        check_request(post("{}", content_type="text/plain"))
    with pytest.raises(UnsupportedMediaType):
        check_request(post("{}", content_type="application/json; charset=latin-1"))
    check_request(post("{}", content_type="Application/JSON; charset=UTF-8"))


def test_a_query_parameter_over_the_limit_is_named() -> None:
    event = post("{}", query="q=" + "a" * (MAX_PARAMETER_CHARS + 1))

    assert refused_field(lambda: check_request(event)) == "query.q"
