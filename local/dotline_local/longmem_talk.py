"""Small talk, names and relative times for the long-conversation benchmark (longmem_corpus.py).

Small talk holds no fact a question asks about: greetings (which name the other speaker, as
people do), sign-offs, everyday exchanges and reactions. Relative times are resolved against the
date of the session they are said in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

# (name, pronoun): the two splits never share a person.
NAMES = {
    "report": (("Maya", "she"), ("Tom", "he"), ("Priya", "she"), ("Daniel", "he"),
               ("Aisha", "she"), ("Ben", "he"), ("Chloe", "she"), ("Marcus", "he"),
               ("Elena", "she"), ("Kwame", "he"), ("Hannah", "she"), ("Luis", "he"),
               ("Rowan", "they"), ("Ada", "she"), ("Sana", "she"), ("Jack", "he"),
               ("Nikhil", "he"), ("Farah", "she"), ("George", "he"), ("Lily", "she"),
               ("Tariq", "he"), ("Carmen", "she"), ("Hamza", "he"), ("Bethan", "she")),
    "tune": (("Nora", "she"), ("Jamal", "he"), ("Grace", "she"), ("Oliver", "he"),
             ("Sofia", "she"), ("Ravi", "he"), ("Isla", "she"), ("Felix", "he"),
             ("Amara", "she"), ("Theo", "he"), ("Leah", "she"), ("Omar", "he"),
             ("Quinn", "they"), ("Esme", "she"), ("Mei", "she"), ("Yusuf", "he"),
             ("Ayo", "he"), ("Ruby", "she"), ("Kofi", "he"), ("Anya", "she"),
             ("Pablo", "he"), ("Siobhan", "she"), ("Arjun", "he"), ("Lola", "she")),
}  # fmt: skip
PRONOUNS = {
    "she": {"subj": "she", "obj": "her", "poss": "her", "refl": "herself"},
    "he": {"subj": "he", "obj": "him", "poss": "his", "refl": "himself"},
    "they": {"subj": "they", "obj": "them", "poss": "their", "refl": "themselves"},
}
RELATIVE_NAMES = ("Jo", "Nadia", "Ellis", "Ruth", "Callum", "Imogen", "Declan", "Freya", "Hugo",
                  "Martha", "Niall", "Zara", "Bea", "Owen")  # fmt: skip
BONDS = ("friend", "cousin", "colleague", "old school friend", "neighbour", "running buddy")

GREETINGS = ("Hey {to}! How's your week been?", "Hiya {to}, long time no chat!",
             "Morning! Did you survive Monday?", "Evening {to}! Got a minute?",
             "Hi hi. Are you around?", "Hello stranger!", "{to}! Are you free for a natter?")  # fmt: skip
GREETING_REPLIES = ("Hey! Surviving, just about. You?", "Hi! All good here, a bit tired.",
                    "Yes! I was just about to message you.", "Always got a minute for you.",
                    "Ha, barely. What's new?", "Here! Kettle's on.")  # fmt: skip
CLOSINGS = ("Anyway, I'd better get dinner on. Speak soon!", "Right, bed for me. Night {to}!",
            "Got to run, chat at the weekend?", "I'm falling asleep on the sofa, talk tomorrow?",
            "Off out now. Speak later!", "Lovely to catch up, {to}.")  # fmt: skip
CLOSING_REPLIES = ("Night! x", "Speak soon!", "Yes, talk then!", "Sleep well!", "Bye for now!",
                   "Same time next week?")  # fmt: skip
BACKCHANNELS = ("Ha, true.", "Tell me about it.", "So true!", "Honestly, same.", "Ugh, yes.",
                "Ha! Typical.", "I know what you mean.")  # fmt: skip
EXCHANGES: tuple[tuple[str, ...], ...] = (
    ("It's been raining non-stop here since Tuesday.", "Same here, my umbrella finally gave up."),
    ("Did you watch the final last night?", "I fell asleep before half time, don't tell anyone."),
    ("What are you having for tea?", "Beans on toast, living the dream.", "Honestly, perfect."),
    ("Work is mad this week, three deadlines at once.", "Hang in there. Friday is coming."),
    ("Have you started that detective series everyone's on about?",
     "Two episodes in. The accents are terrible but I'm hooked."),
    ("Any plans for the weekend?", "Not a thing, and I intend to keep it that way."),
    ("The neighbours are having building work done, drilling from eight every morning.",
     "Nightmare. Noise-cancelling headphones, that's my advice."),
    ("I finally cleared out the spare room.", "Impressive. Mine is still a sea of cardboard boxes."),
    ("My phone screen cracked again.", "Third time this year?!", "Don't. I know."),
    ("Do you fancy a video call on Sunday?", "Yes! Afternoon works best for me."),
    ("I made far too much soup again.", "Bring it round, I'll take it off your hands."),
    ("The traffic was horrendous this morning.", "That's why I gave up driving into town."),
    ("Did you see the sunset tonight? The whole sky went pink.",
     "I missed it! I was stuck inside on a call."),
    ("I've been trying to drink more water. It's going badly.",
     "Same, the bottle just sits on my desk looking at me."),
    ("Is it me or is everyone ill at the moment?", "Half my office is off with something."),
    ("The heating's packed in again.", "Oh no, wear three jumpers and call the landlord."),
    ("I think I'm addicted to that word game.", "Got it in two today, not that I'm bragging."),
    ("What's the weather doing your end?", "Grey. Just grey.", "Same here, lovely."),
    ("I accidentally replied-all to the whole company today.", "Oh no. What did it say?",
     "Just 'ha'. Somehow that's worse."),
    ("The supermarket has moved everything around again.",
     "Why do they do that? I spent ten minutes looking for the eggs."),
    ("I'm on my third coffee and it's not even eleven.", "Living dangerously."),
    ("Did the parcel ever turn up?", "Left behind the bins, naturally."),
    ("I've got that song stuck in my head again.", "Which one?", "You don't want to know."),
    ("How's your mum doing?", "Much better, thanks for asking. Back to bossing us about."),
)  # fmt: skip


def _last(weekday: int) -> Callable[[date], date]:
    """The most recent such weekday strictly before the day (Monday is 0)."""
    return lambda d: d - timedelta(days=(d.weekday() - weekday - 1) % 7 + 1)


def _last_weekend(d: date) -> date:
    """The Saturday of the last whole weekend before the day."""
    saturday = _last(5)(d)
    return saturday if saturday + timedelta(days=1) < d else saturday - timedelta(days=7)


_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
RELATIVE_TIMES: dict[str, Callable[[date], date]] = {
    "yesterday": lambda d: d - timedelta(days=1),
    "the day before yesterday": lambda d: d - timedelta(days=2),
    "three days ago": lambda d: d - timedelta(days=3),
    "a week ago": lambda d: d - timedelta(days=7),
    "two weeks ago": lambda d: d - timedelta(days=14),
    "last weekend": _last_weekend,
    "this morning": lambda d: d,
    **{f"last {name}": _last(n) for n, name in enumerate(_DAYS)},
}


def resolve(expression: str, said_on: date) -> date:
    """The day a relative time said on `said_on` names ("last Saturday" on a Monday: 2 days
    before)."""
    return RELATIVE_TIMES[expression](said_on)
