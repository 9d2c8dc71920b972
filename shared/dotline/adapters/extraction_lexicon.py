"""The word lists the deterministic extractor reads a conversation with (English only)."""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and everyday verbs: they end a key phrase and are never one.
STOP_WORDS = _words(
    """a about above after again against all also am an and any anymore are as at back be because
    been before being below between both but by can could did do does doing done down during each
    even ever every few for from further get gets getting go goes going gone got had has have having
    he her here hers herself him himself his how i if in into is it its itself just last let like
    lot me more most much my myself never next no nor not now of off on once only or other our ours
    out over own really same she should so some still such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yeah yes ok okay oh hi hello
    hey thanks thank please today yesterday tomorrow tonight week month year day morning
    evening time times thing things something anything everything nothing someone people
    went make made makes making feel felt feels think thinks thought say said says tell told know
    knew want wanted need needed see saw look looked come came take took give gave call called
    keep kept try tried start started let put seem seemed mean meant live lives lived living work
    works worked love loved loves hate hated enjoy enjoyed drink drank apply applied moved move
    across along away swam ran met ate spent bought played read wrote watched another own keeps
    brought bring brings takes helps help helped uses used long short
    honestly actually maybe probably different new old good bad great little big bit lots way
    don't didn't doesn't i'm i've i'll it's that's can't won't isn't wasn't we're they're"""
)

WEEKDAYS_AND_MONTHS = _words(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december"""
)

# Relationship nouns: "my sister Mira" names a person; "my mom" alone is the person.
RELATIONSHIPS = {
    "sister": "sister", "brother": "brother", "mom": "mother", "mum": "mother",
    "mother": "mother", "dad": "father", "father": "father", "wife": "wife",
    "husband": "husband", "partner": "partner", "girlfriend": "partner",
    "boyfriend": "partner", "son": "son", "daughter": "daughter", "friend": "friend",
    "boss": "manager", "manager": "manager", "colleague": "colleague", "coworker": "colleague",
    "grandma": "grandmother", "grandmother": "grandmother", "grandpa": "grandfather",
    "grandfather": "grandfather", "aunt": "aunt", "uncle": "uncle", "cousin": "cousin",
    "therapist": "therapist", "coach": "coach", "neighbour": "neighbour", "neighbor": "neighbour",
}  # fmt: skip

PLACE_PREPOSITIONS = frozenset({"in", "at", "to", "from", "near", "around", "visited", "visit"})
PLACE_WORDS = _words(
    """lake mount mountain river sea beach park street road city town village island bay valley
    forest square station airport"""
)
ORGANIZATION_NOUNS = _words(
    """hospital clinic school university college company bank office studio gym cafe café
    restaurant church library museum agency"""
)

# An emotion word and the emotion it names.
EMOTIONS = {
    "happy": "joy", "joyful": "joy", "glad": "joy", "delighted": "joy", "wonderful": "joy",
    "sad": "sadness", "unhappy": "sadness", "down": "sadness", "miserable": "sadness",
    "angry": "anger", "furious": "anger", "annoyed": "anger", "frustrated": "frustration",
    "anxious": "anxiety", "nervous": "anxiety", "worried": "anxiety", "stressed": "stress",
    "overwhelmed": "stress", "afraid": "fear", "scared": "fear", "terrified": "fear",
    "proud": "pride", "grateful": "gratitude", "thankful": "gratitude", "lonely": "loneliness",
    "excited": "excitement", "thrilled": "excitement", "calm": "calm", "relaxed": "calm",
    "tired": "exhaustion", "exhausted": "exhaustion", "hopeful": "hope", "ashamed": "shame",
    "guilty": "guilt", "jealous": "jealousy", "confused": "confusion", "loved": "love",
}  # fmt: skip

POSITIVE = _words(
    """good great wonderful amazing awesome fantastic lovely love loved like enjoy enjoyed happy
    glad proud grateful thankful excited thrilled calm relaxed hopeful beautiful best better fun
    nice kind success succeeded won win celebrate celebrated laughed smile brilliant"""
)
NEGATIVE = _words(
    """bad terrible awful horrible hate hated sad unhappy angry furious annoyed frustrated anxious
    nervous worried stressed overwhelmed afraid scared terrified lonely tired exhausted ashamed
    guilty jealous confused hurt pain painful sick worse worst failed fail lost cried cry
    difficult hard miserable broke broken fight fought argued"""
)
NEGATIONS = frozenset(
    {"not", "no", "never", "don't", "didn't", "doesn't", "isn't", "wasn't", "can't"}
)

# Words that make a moment stand out, raising a memory's importance.
MILESTONES = _words(
    """birthday wedding married engaged graduated graduation promoted promotion moved born died
    passed diagnosed first anniversary hired fired quit retired pregnant divorce funeral"""
)

# Facts a person states about themselves: (pattern on the lower-cased sentence, predicate,
# polarity). The value is the named group, cut at the first clause break.
FACTS: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"\bi (?:now |still |currently )?live in (?P<value>[^,.;!?]+)"), "lives_in", True),
    (re.compile(r"\bi (?:just |recently )?moved to (?P<value>[^,.;!?]+)"), "lives_in", True),
    (re.compile(r"\bi (?:now |still |currently )?work as an? (?P<value>[^,.;!?]+?)(?: at |$|[,.;!?])"), "works_as", True),
    (re.compile(r"\bi (?:now |still |currently )?work at (?P<value>[^,.;!?]+)"), "works_at", True),
    (re.compile(r"\bmy favou?rite (?P<what>[a-z]+) is (?P<value>[^,.;!?]+)"), "favourite", True),
    (re.compile(r"\bi (?:really |totally |absolutely )?(?:love|like|enjoy|adore) (?P<value>[^,.;!?]+)"), "likes", True),
    (re.compile(r"\bi (?:really )?(?:hate|dislike|can't stand|cannot stand) (?P<value>[^,.;!?]+)"), "likes", False),
    (re.compile(r"\bi (?:don't|do not|no longer|don't really) (?:like|love|enjoy) (?P<value>[^,.;!?]+)"), "likes", False),
)  # fmt: skip
# Words trailing a fact's value that are not part of it ("coffee anymore", "Berlin last month").
VALUE_TAIL = re.compile(
    r"\s+(?:anymore|any more|now|these days|again|too|as well|so much|a lot|last \w+|this \w+"
    r"|every \w+(?: \w+)?|because .*|and .*|but .*|with .*|since .*)$"
)
