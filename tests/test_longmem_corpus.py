"""The long-conversation benchmark's corpus is a yardstick: the same every time, every question's
evidence in its own conversation, all four kinds, and tune and report splits kept apart."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from datetime import date

import pytest

from dotline_local.longmem_corpus import CONVERSATIONS, KINDS, SPLITS, Corpus, build_corpus
from dotline_local.longmem_talk import resolve

QUICK = 2
FINGERPRINT = (
    "import hashlib; from dotline_local.longmem_corpus import build_corpus; "
    "print(hashlib.sha256(repr([build_corpus(s) for s in ('report', 'tune')]).encode()).hexdigest())"
)


@pytest.fixture(scope="module", params=sorted(SPLITS))
def corpus(request: pytest.FixtureRequest) -> Corpus:
    return build_corpus(request.param)


def test_the_same_split_and_size_build_the_same_corpus() -> None:
    # Given two builds of each split
    for split in SPLITS:
        # When they are compared
        first, again = build_corpus(split), build_corpus(split)

        # Then they are equal, and a quick run's corpus is the full one's first conversations
        assert first == again
        assert build_corpus(split, QUICK).conversations == first.conversations[:QUICK]


def test_another_process_with_other_string_hashes_builds_the_same_corpora() -> None:
    # Given the corpora's fingerprint here
    here = repr([build_corpus(s) for s in ("report", "tune")])
    expected = hashlib.sha256(here.encode()).hexdigest()

    # When two processes with different hash seeds build them
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", FINGERPRINT], env=env, capture_output=True, text=True, check=True
        )

        # Then each gets the same
        assert out.stdout.strip() == expected


def test_every_questions_evidence_is_turns_of_its_own_conversation(corpus: Corpus) -> None:
    turns = {c.conversation_id: {t.turn_id for t in c.turns} for c in corpus.conversations}
    all_ids = [t.turn_id for c in corpus.conversations for t in c.turns]
    assert len(all_ids) == len(set(all_ids))
    for question in corpus.questions:
        assert question.evidence, question
        assert set(question.evidence) <= turns[question.conversation_id], question


def test_every_kind_is_asked_in_the_full_and_the_quick_corpus(corpus: Corpus) -> None:
    quick = build_corpus(corpus.split, QUICK)
    assert len(corpus.conversations) == CONVERSATIONS
    assert set(Counter(q.kind for q in corpus.questions)) == set(KINDS)
    assert set(Counter(q.kind for q in quick.questions)) == set(KINDS)


def test_questions_across_sessions_and_about_the_person_have_evidence_in_several_sessions(
    corpus: Corpus,
) -> None:
    session = {t.turn_id: t.session for c in corpus.conversations for t in c.turns}
    for question in corpus.questions:
        sessions = {session[turn_id] for turn_id in question.evidence}
        if question.kind in ("multi_hop", "open"):
            assert len(sessions) >= 2, question


def test_every_when_question_has_evidence_saying_a_relative_time(corpus: Corpus) -> None:
    dated = {t.turn_id for c in corpus.conversations for t in c.turns if t.event_date}
    for question in corpus.questions:
        if question.kind == "temporal":
            assert dated & set(question.evidence), question


def test_conversations_run_over_months_with_hundreds_of_turns(corpus: Corpus) -> None:
    for conversation in corpus.conversations:
        assert len(conversation.turns) >= 250
        span = conversation.session_starts[-1] - conversation.session_starts[0]
        assert span.days >= 90
        assert {t.speaker for t in conversation.turns} == {conversation.person, conversation.other}


def test_the_tune_and_report_splits_share_no_person_and_no_question() -> None:
    tune, report = build_corpus("tune"), build_corpus("report")

    def people(corpus: Corpus) -> set[str]:
        return {name for c in corpus.conversations for name in (c.person, c.other)}

    assert not people(tune) & people(report)
    assert not {q.text for q in tune.questions} & {q.text for q in report.questions}


@pytest.mark.parametrize(
    ("expression", "said_on", "names"),
    [
        ("last Saturday", date(2024, 5, 13), date(2024, 5, 11)),  # a Monday
        ("last Monday", date(2024, 5, 13), date(2024, 5, 6)),
        ("last weekend", date(2024, 5, 12), date(2024, 5, 4)),  # a Sunday: the weekend before
        ("two weeks ago", date(2024, 3, 1), date(2024, 2, 16)),
        ("yesterday", date(2024, 3, 1), date(2024, 2, 29)),
    ],
)
def test_relative_times_are_resolved_against_the_day_they_are_said(
    expression: str, said_on: date, names: date
) -> None:
    assert resolve(expression, said_on) == names
