"""What changes or builds up in a person's life over the long-conversation benchmark's months:
facts updated later (a move, a new job), news about a relative named once and then only by name
(a question across sessions), and traits shown in passing over several sessions (an open
question about the person). Text conventions as in longmem_topics.py.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Update:
    """A fact stated, then replaced sessions later; the later turn does not repeat the first."""

    key: str
    firsts: tuple[str, ...]  # {old}
    laters: tuple[str, ...]  # {new}, {when}
    first_asks: tuple[str, ...]
    later_asks: tuple[str, ...]
    olds: tuple[str, ...]
    news: tuple[str, ...]
    current_questions: tuple[str, ...]  # single: the later turn
    before_questions: tuple[str, ...]  # multi-hop: both turns
    when_questions: tuple[str, ...]  # temporal: the later turn


UPDATES: tuple[Update, ...] = (
    Update(
        "home",
        (
            "We're settled in {old} now. The flat is tiny but it's five minutes from the canal.",
            "Still loving {old}, even the rain. The neighbours brought us a cake!",
        ),
        (
            "Moving day is done! We got the keys in {new} {when}, boxes everywhere.",
            "We're officially in {new}: the van came {when} and my back is in pieces.",
        ),
        ("How's the new place?", "Have you found your feet in the new neighbourhood?"),
        ("How did the move go?", "Are you all unpacked?"),
        ("Leeds", "Norwich", "Glasgow", "Cardiff", "York", "Brighton"),
        ("Bristol", "Edinburgh", "Sheffield", "Exeter", "Belfast", "Oxford"),
        ("Which city is {name} based in these days?", "Where does {name} live now?"),
        ("Where did {name} live before {new}?", "Which city did {name} leave for {new}?"),
        ("When did {name} relocate to {new}?", "When did {name} get the keys in {new}?"),
    ),
    Update(
        "job",
        (
            "Work's fine. Still {old}, five years this spring.",
            "Long shift today. Being {old} is never dull, but nobody warns you about the paperwork.",
        ),
        (
            "Handed in my notice and my last day was {when}. I start as {new} on Monday!",
            "New chapter: I finished up at the old place {when}, and now I'm {new}.",
        ),
        ("How's work treating you?", "Still enjoying the job?"),
        ("So what's the plan now you've left?", "Did you accept the offer in the end?"),
        (
            "a pharmacist at the Boots on Queen Street",
            "a primary school teacher at St Mary's",
            "a civil engineer at Hartley and Sons",
            "a night nurse at the Royal Infirmary",
            "an accountant at Meridian Labs",
            "a sous-chef at the Old Mill",
        ),
        (
            "a product designer at Copperleaf Studio",
            "head of year at Brightfield Academy",
            "a site manager for the Greenway Trust",
            "a practice nurse at a village surgery",
            "a finance lead at a cycling charity",
            "the head chef at a new bistro",
        ),
        ("What does {name} do for a living now?", "What is {name}'s new job?"),
        (
            "What job did {name} have before becoming {new}?",
            "Where did {name} work before starting as {new}?",
        ),
        (
            "What did {name} go on to do after quitting the previous role?",
            "When was {name}'s last day at the old job?",
        ),
    ),
)


@dataclass(frozen=True)
class Chain:
    """A relative introduced by relation once, then news about them by name alone."""

    intros: tuple[str, ...]  # {relation}, {rel}, {obj}, {subj}
    news: tuple[tuple[str, ...], ...]  # (the news by name, questions by relation)


RELATIVES = (("sister", "she"), ("brother", "he"), ("aunt", "she"), ("uncle", "he"),
             ("cousin", "she"), ("cousin", "he"), ("oldest friend", "she"))  # fmt: skip
CHAIN = Chain(
    ("My {relation} {rel} is coming to stay this weekend, I haven't seen {obj} since Christmas.",
     "Had lunch with my {relation} {rel} today, {subj} says hi by the way.",
     "Spent the afternoon helping my {relation} {rel} paint a fence. Never again."),
    (("{rel} got a place at vet school!", "What course was {name}'s {relation} accepted onto?",
      "Which school did {name}'s {relation} get a place at?"),
     ("{rel} is opening a bakery on the high street next month.",
      "What business is {name}'s {relation} launching?", "What is {name}'s {relation} opening?"),
     ("{rel} just landed a job in Singapore, leaving in the spring.",
      "Where is {name}'s {relation} moving for work?", "Where did {name}'s {relation} land a job?"),
     ("{rel} won the regional chess championship, can you believe it?",
      "What competition did {name}'s {relation} win?", "Which championship did {name}'s {relation} win?"),
     ("{rel} is expecting twins in the autumn!", "What family news came from {name}'s {relation}?",
      "What is {name}'s {relation} expecting?")),
)  # fmt: skip


@dataclass(frozen=True)
class Trait:
    """Something a person shows in passing: hints in different sessions, none naming the trait."""

    key: str
    hints: tuple[str, ...]
    questions: tuple[str, ...]


TRAITS: tuple[Trait, ...] = (
    Trait("outdoors",
          ("Spent Sunday walking the ridge above the valley, didn't see another soul.",
           "We camped by a lake for two nights and woke up to frost on the tent.",
           "Nothing beats a swim in the sea at seven in the morning.",
           "Got the bike out and did sixty miles along the coast road."),
          ("Would {name} enjoy a weekend in the mountains?", "What does {name} like doing outside?",
           "Does {name} like camping and swimming outdoors?")),
    Trait("homebody",
          ("Turned down the party again. A blanket and a film was all I wanted.",
           "Big crowds drain me, I need a quiet day to recover after.",
           "My perfect Friday is a takeaway and bed by ten."),
          ("How does {name} feel about social gatherings?", "Is {name} more introvert or extrovert?",
           "Does {name} enjoy big parties and crowds?")),
    Trait("nervous",
          ("My hands were shaking before the presentation, I nearly walked out.",
           "I have to take a tablet before flights or I panic the whole way.",
           "Couldn't sleep at all before the dentist appointment."),
          ("What makes {name} anxious?", "What situations does {name} find stressful?",
           "What makes {name} panic or lose sleep?")),
    Trait("foodie",
          ("Found a tiny Ethiopian place near work, the injera was unreal.",
           "I'll cross town for good dumplings, no question.",
           "We queued an hour for the new taco truck and it was worth every minute."),
          ("What kind of cuisine does {name} love?", "Where would {name} want to go out to eat?",
           "Which places would {name} cross town or queue for?")),
    Trait("family",
          ("Called mum for two hours last night, like every Sunday.",
           "Took my nephews to the zoo, I'm exhausted.",
           "Grandad's ninetieth is next month and the whole clan is coming."),
          ("How important are relatives to {name}?", "Who does {name} spend time with regularly?",
           "How often does {name} see or call family?")),
    Trait("creative",
          ("I've filled half a sketchbook with drawings of the cafe regulars.",
           "Wrote three pages of my short story on the train.",
           "Making a quilt out of old shirts, very slowly."),
          ("What artistic hobbies does {name} have?", "How does {name} express {refl}?",
           "What does {name} like making, writing or drawing?")),
    Trait("night owl",
          ("It was three in the morning before I shut the laptop again.",
           "I do my best thinking after midnight, always have.",
           "The alarm went off at seven and I wanted to cry."),
          ("What are {name}'s sleep habits like?", "Is {name} an early riser?",
           "Does {name} stay up late or get up early?")),
    Trait("frugal",
          ("Found a winter coat in the charity shop for six pounds!",
           "I've been batch cooking to keep the shopping under thirty a week.",
           "Fixed the washing machine myself with a video instead of calling someone."),
          ("Is {name} careful with money?", "How does {name} save?",
           "How does {name} keep costs down when shopping?")),
    Trait("fitness",
          ("Cycled to the office every day this week, twelve miles round trip.",
           "Yoga at six before anyone else is awake.",
           "Did my first pull-up at the gym!"),
          ("How does {name} stay in shape?", "What exercise routine does {name} follow?",
           "Does {name} go to the gym or cycle?")),
)  # fmt: skip
HINT_PROMPTS = ("What have you been up to?", "Anything exciting this week?",
                "How was your weekend?", "Tell me something good.")  # fmt: skip
