"""The local engine's reply composition, by itself (no stack): it acknowledges the turn in the
person's words, links it to an earlier turn, cites what is relevant, and asks one question in the
personality's tone."""

from __future__ import annotations

import re

import pytest

from dotline.adapters.local_dialogue import TONES, compose_reply, reflect, tone_of
from dotline.adapters.local_language_model import LocalLanguageModel
from dotline.ports.language_model import ChatMessage

ENGINE = LocalLanguageModel()
MEMORIES = """Memories:
- [M1] My sister Mira is a marine biologist who lives in Porto.
- [M2] I ran my first half marathon in Seville last spring.
"""


def conversation(*turns: str, tone: str | None = None, context: str = MEMORIES) -> str:
    """The engine's reply to the last of `turns` (earlier ones answered by the engine too)."""
    persona = "You are dotline, a personal companion." + (f"\nTone: {tone}" if tone else "")
    history: list[ChatMessage] = []
    reply = ""
    for turn in turns:
        history.append(ChatMessage(role="user", content=turn))
        prompt = [ChatMessage(role="system", content=persona)]
        if context:
            prompt.append(ChatMessage(role="system", content=context))
        reply = ENGINE.complete([*prompt, *history[-10:]]).text
        history.append(ChatMessage(role="assistant", content=reply))
    return reply


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def test_a_statement_is_said_back_in_the_persons_words_with_pronouns_turned() -> None:
    reply = conversation("Hi! I just moved to Lisbon for a new job at a robotics startup.")

    assert "you just moved to Lisbon for a new job at a robotics startup" in reply
    assert "I just moved" not in reply
    assert "hi moved lisbon" not in reply.lower()  # the keyword bag of old


def test_feelings_people_and_places_of_the_turn_are_acknowledged() -> None:
    nervous = conversation("Honestly I'm nervous about tomorrow. My boss Priya wants a demo.")
    visit = conversation("My brother Tom came over and we cooked dinner in Porto.")

    assert "nervous" in nervous and "Priya" in nervous
    assert "Tom" in visit and "Porto" in visit


def test_exactly_one_question_and_it_closes_the_reply() -> None:
    for turns in [
        ("Hi! I just moved to Lisbon.",),
        ("I feel so proud of my daughter Ana.",),
        ("What did I do in Seville?",),
        ("ok thanks",),
        ("Do you know my favourite pizza topping? Tell me?",),
    ]:
        reply = conversation(*turns)
        assert reply.count("?") == 1, reply
        assert reply.endswith("?"), reply


def test_a_relevant_memory_is_cited_with_its_label_and_an_irrelevant_one_is_not() -> None:
    reply = conversation("My sister Mira is coming to visit next weekend.")

    assert "[M1]" in reply and "marine biologist" in reply
    assert "[M2]" not in reply and "Seville" not in reply


def test_a_question_is_answered_from_memories_or_plainly_not_guessed() -> None:
    known = conversation("Where did I run my first half marathon?")
    unknown = conversation("Should I look for a climbing gym?")

    assert "Seville" in known and "[M2]" in known
    assert "won't guess" in unknown and "a climbing gym" in unknown
    assert "[M1]" not in unknown and "[M2]" not in unknown


def test_here_after_a_place_links_back_to_the_earlier_turn() -> None:
    reply = conversation(
        "I just moved to Lisbon for a new job.",
        "I'm a bit nervous because I don't know anyone here yet.",
    )

    assert "Lisbon" in reply and "mentioned earlier" in reply


def test_a_shared_topic_links_back_and_an_unrelated_turn_does_not() -> None:
    linked = conversation(
        "I started a new job at a robotics startup.",
        "The startup is intense but the team is great.",
    )
    unrelated = conversation("I started a new job at a robotics startup.", "I baked bread.")

    assert "earlier about the robotics startup" in linked
    assert "earlier" not in unrelated


def test_the_same_conversation_gives_the_same_reply() -> None:
    turns = ("Hi! I just moved to Lisbon.", "My sister Mira visits next week and I'm excited.")

    assert conversation(*turns) == conversation(*turns)


@pytest.mark.parametrize("tone", TONES)
def test_the_follow_up_follows_the_personalitys_tone(tone: str) -> None:
    replies = {t: conversation("I just moved to Lisbon.", tone=t) for t in TONES}

    question = sentences(replies[tone])[-1]
    assert "Lisbon" in question
    assert all(question != sentences(r)[-1] for t, r in replies.items() if t != tone)


def test_tone_is_read_from_the_persona_and_defaults_to_warm() -> None:
    persona = ChatMessage(role="system", content="You are Coach.\nTone: casual\nFocus: strength")

    assert tone_of([persona]) == "casual"
    assert tone_of([ChatMessage(role="system", content="Tone: sarcastic")]) == "warm"
    assert tone_of([]) == "warm"


def test_reflection_turns_pronouns_and_keeps_names() -> None:
    assert reflect("I was worried about my exam.") == "you were worried about your exam"
    assert reflect("We met Anna at our old school!") == "you met Anna at your old school"
    assert reflect("Lisbon is where I live.") == "Lisbon is where you live"


def test_persona_and_instruction_text_is_never_said_back() -> None:
    reply = conversation("Are you a warm companion?", tone="warm")

    assert "You are dotline" not in reply and "Tone" not in reply


def test_nothing_retrieved_at_all_is_said_plainly() -> None:
    reply = conversation("Where does my sister live?", context="")

    assert "I have no memories or notes" in reply and "won't guess" in reply


def test_composition_without_any_user_turn_still_asks_one_question() -> None:
    reply = compose_reply([ChatMessage(role="system", content="You are dotline.")], lambda t, n: [])

    assert reply.count("?") == 1


def test_a_loss_is_met_with_sympathy_and_asked_after_not_small_talk() -> None:
    reply = conversation("My grandfather died last week.")

    assert reply.startswith("I'm so sorry to hear your grandfather died last week.")
    assert "like?" not in reply and "lovely" not in reply


def test_thanks_and_second_person_are_said_back_the_right_way_round() -> None:
    thanks = conversation("Thank you for listening, I feel better now.")
    told = conversation("My friend said you are useless.")

    assert "you feel better now" in thanks and "thank me" not in thanks
    assert "your friend said I am useless" in told


def test_the_same_link_is_not_made_twice_in_the_same_words() -> None:
    turns = ["I just moved to Lisbon.", "I'm lonely here.", "Everyone here is busy."]

    second, third = conversation(*turns[:2]), conversation(*turns)

    assert "Lisbon" in second and "Lisbon" in third
    assert sentences(second)[1] not in third


def test_an_existential_there_is_not_taken_for_a_place() -> None:
    reply = conversation("I just moved to Lisbon.", "There is a festival on Saturday night.")

    assert "Lisbon" not in reply
