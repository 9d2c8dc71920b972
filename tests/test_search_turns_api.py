"""GET /v1/search over the turns of a conversation, each a memory with its speaker in `people`
and its time in `occurred_at`: the reply after an asking turn is found with it and ranks above
it, and a question naming one speaker ranks that speaker's turn above the other's on the same
topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from psycopg.types.json import Jsonb

from test_search_api import hits, ids, remember  # noqa: F401  (fixtures)

SESSION = datetime(2024, 5, 9, 18, 0, tzinfo=UTC)


def turn(store: Any, user: Any, speaker: str, words: str, minute: int, session: int = 1) -> str:
    """A turn stored as an import writes it: the session in the title, the speaker in people."""
    return str(
        store(
            user,
            f"{speaker}: {words}",
            title=f"Session {session}, 9 May 2024",
            people=Jsonb([{"name": speaker, "role": "speaker"}]),
            occurred_at=SESSION + timedelta(days=7 * session, minutes=minute),
        )
    )


def test_the_reply_after_an_asking_turn_is_found_with_it(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given a question and, right after it, a reply that shares no word with what will be asked
    user, store = make_user(), request.getfixturevalue("remember")
    turn(store, user, "Ayo", "Evening Mei! Got a minute?", 0)
    turn(store, user, "Ayo", "Did the animal shelter ever ring you back about adopting?", 1)
    reply = turn(store, user, "Mei", "Yes! Her name is Zinnia and she sleeps on my feet.", 2)
    turn(store, user, "Ayo", "The quarterly budget meeting ran late again", 0, session=2)
    turn(store, user, "Mei", "Our flight to Lisbon was delayed by the storm", 1, session=2)

    # When the question is searched in other words
    found = ids(hits(api, user, q="What did Mei hear back from the animal shelter?"))

    # Then the reply is among the first hits
    assert reply in found[:2]


def test_a_question_naming_one_speaker_ranks_their_turn_above_the_others(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given both speakers' news on one topic, the other speaker's naming the person asked about
    user, store = make_user(), request.getfixturevalue("remember")
    theirs = turn(store, user, "Ayo", "Mei, guess what: we adopted a pet greyhound!", 0)
    mine = turn(store, user, "Mei", "We adopted a tabby kitten from the rescue.", 1, session=2)
    turn(store, user, "Ayo", "The quarterly budget meeting ran late again", 2, session=3)

    # When a question names Mei
    found = ids(hits(api, user, q="Which pet did Mei adopt?"))

    # Then Mei's own turn comes first, the other's after it
    assert found.index(mine) < found.index(theirs)


def test_an_asking_turn_ranks_below_the_reply_that_answers_it(
    api: httpx.Client, make_user: Any, request: pytest.FixtureRequest
) -> None:
    # Given a question that shares the words of what will be asked, and the reply after it
    # sharing none
    user, store = make_user(), request.getfixturevalue("remember")
    asked = turn(
        store, user, "Ayo", "How did the pottery course at the community centre go, the wheel?", 0
    )
    reply = turn(store, user, "Mei", "Loved every minute of it! I made a lopsided blue bowl.", 1)
    turn(store, user, "Ayo", "The quarterly budget meeting ran late again", 0, session=2)

    # When it is searched
    found = ids(hits(api, user, q="How did the pottery course at the community centre go?"))

    # Then the reply, which holds the answer, comes before the question
    assert found.index(reply) < found.index(asked)
