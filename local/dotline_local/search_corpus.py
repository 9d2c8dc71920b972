"""A deterministic, conversation-like corpus for the search benchmarks: a person's memories of
things they did with people at places, their people as concepts linked in the graph, filler
diary lines, and questions whose evidence is known.

Three kinds of question, each answered by exactly one memory:
- paraphrase: the memory's verb and object in other words ("purchase the couch" for "bought the
  sofa"), no shared stems, so only meaning finds it;
- keyword: the person's (made-up) name and the place, with nothing about what happened;
- graph: the object in other words and the person's name, where the memory names the person
  only by relation ("with my neighbour") and the ingestion linked it to the person's concept
  (INVOLVES). Neither words nor meaning alone single it out among the object's memories.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

# (memory wording, question wording): no shared stems.
VERBS = [
    ("Bought", "purchase"), ("Repaired", "fix"), ("Lost", "misplace"), ("Sold", "part with"),
    ("Borrowed", "get a loan of"), ("Photographed", "take pictures of"), ("Cleaned", "scrub"),
    ("Assembled", "put together"), ("Broke", "smash"), ("Donated", "give away"),
    ("Painted", "colour"), ("Returned", "bring back"), ("Hid", "conceal"), ("Ordered", "request"),
    ("Found", "discover"), ("Washed", "rinse"), ("Wrapped", "package up"), ("Measured", "size up"),
    ("Inspected", "examine"), ("Replaced", "swap out"),
]  # fmt: skip
OBJECTS = [
    ("bicycle", "bike"), ("sofa", "couch"), ("automobile", "car"), ("laptop", "notebook computer"),
    ("television", "TV"), ("refrigerator", "fridge"), ("photograph", "picture"),
    ("puppy", "young dog"), ("kitten", "baby cat"), ("jacket", "coat"), ("trousers", "pants"),
    ("sneakers", "trainers"), ("spectacles", "glasses"), ("wristwatch", "timepiece"),
    ("necklace", "pendant"), ("carpet", "rug"), ("cupboard", "cabinet"), ("stove", "cooker"),
    ("motorcycle", "motorbike"), ("backpack", "rucksack"), ("telephone", "phone"),
    ("suitcase", "luggage"), ("umbrella", "brolly"), ("sweater", "jumper"), ("boots", "footwear"),
    ("armchair", "recliner"), ("wardrobe", "closet"), ("vase", "flower pot"),
    ("saucepan", "cooking pot"), ("lawnmower", "grass cutter"), ("aquarium", "fish tank"),
    ("violin", "fiddle"), ("novel", "book"), ("painting", "artwork"), ("hammock", "swing bed"),
    ("canoe", "kayak"), ("tent", "camping shelter"), ("scooter", "moped"),
    ("blanket", "throw"), ("mirror", "looking glass"),
]  # fmt: skip
RELATIONS = ["neighbour", "sister", "brother", "coach", "colleague", "cousin", "landlord", "aunt",
             "uncle", "flatmate", "teacher", "best friend"]  # fmt: skip
MOODS = ["It felt good to get it done.", "We laughed about it all evening.",
         "I was exhausted afterwards.", "It rained the whole time.",
         "Honestly it took longer than planned.", "I keep thinking about that afternoon.",
         "We grabbed noodles afterwards.", "Nobody else noticed.", "It was surprisingly calm.",
         "My back hurt the next day."]  # fmt: skip
FILLERS = ["Slept badly and woke up at five.", "The bus was late again this morning.",
           "Made lentil soup and froze half of it.", "Long day of meetings, nothing decided.",
           "Walked home through the park in the fog.", "Finished the crossword before lunch.",
           "Watered the plants and read for an hour.", "Skipped the gym, felt guilty about it.",
           "Cooked rice and vegetables for the week.", "Called the bank about the wrong fee.",
           "Listened to an old jazz record twice.", "Spent the evening answering emails."]  # fmt: skip
_SYLLABLES = ["ka", "lo", "vi", "tor", "mel", "sa", "dri", "xan", "bel", "quo", "zen", "ri",
              "mar", "os", "tu", "ny", "gra", "fel", "um", "ash", "pe", "dov", "ix", "ren"]  # fmt: skip
_PLACE_KINDS = ["harbour", "market", "station", "park", "square", "bridge", "bay", "hill"]
KINDS = ("paraphrase", "keyword", "graph")
FILLER_SHARE = 0.2  # of the memories past one per verb-object pair


@dataclass(frozen=True)
class Person:
    name: str
    relation: str


@dataclass(frozen=True)
class MemorySpec:
    """One memory to store; `person` is who the graph links it to (INVOLVES)."""

    key: int
    title: str
    content: str
    created_at: datetime
    importance: float
    person: int | None = None


@dataclass(frozen=True)
class Question:
    kind: str  # paraphrase | keyword | graph
    text: str
    evidence: int  # MemorySpec.key


@dataclass
class Corpus:
    people: list[Person]
    memories: list[MemorySpec] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def _word(rng: random.Random, parts: int) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(parts)).capitalize()


def _unique_words(rng: random.Random, count: int, parts: int) -> list[str]:
    words: dict[str, None] = {}
    while len(words) < count:
        words[_word(rng, parts)] = None
    return list(words)


def build_corpus(
    seed: int = 7, memories: int = 1200, people: int = 100, places: int = 60, per_kind: int = 110
) -> Corpus:
    """`memories` memories (one per verb-object pair first, then repeats of pairs with other
    people and places, and filler lines), and up to `per_kind` questions of each kind."""
    rng = random.Random(seed)
    folks = [Person(n, rng.choice(RELATIONS)) for n in _unique_words(rng, people, 3)]
    spots = [f"{w} {rng.choice(_PLACE_KINDS)}" for w in _unique_words(rng, places, 2)]
    pairs = [(v, o) for v in range(len(VERBS)) for o in range(len(OBJECTS))]
    rng.shuffle(pairs)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    corpus = Corpus(people=folks)
    events: list[tuple[int, int, int, int, bool]] = []  # key, verb, object, person, names them
    for key in range(memories):
        created = now - timedelta(days=rng.uniform(0, 720))
        importance = round(rng.uniform(0.3, 0.9), 2)
        if key >= len(pairs) and rng.random() < FILLER_SHARE:
            line = rng.choice(FILLERS)
            corpus.memories.append(MemorySpec(key, "Diary", line, created, importance))
            continue
        verb, obj = pairs[key] if key < len(pairs) else rng.choice(pairs)
        person = rng.randrange(people)
        named = rng.random() < 0.7
        who = folks[person].name if named else f"my {folks[person].relation}"
        where = f" at {rng.choice(spots)}" if named else ""
        text = f"{VERBS[verb][0]} the {OBJECTS[obj][0]} with {who}{where}. {rng.choice(MOODS)}"
        title = f"{VERBS[verb][0]} the {OBJECTS[obj][0]}"
        corpus.memories.append(MemorySpec(key, title, text, created, importance, person))
        events.append((key, verb, obj, person, named))
    corpus.questions = _questions(rng, corpus, events, per_kind)
    return corpus


def _questions(
    rng: random.Random,
    corpus: Corpus,
    events: list[tuple[int, int, int, int, bool]],
    per_kind: int,
) -> list[Question]:
    questions: list[Question] = []
    seen: dict[tuple[int, int], list[int]] = {}
    for key, verb, obj, _, _ in events:
        seen.setdefault((verb, obj), []).append(key)
    once = [(keys[0], v, o) for (v, o), keys in sorted(seen.items()) if len(keys) == 1]
    for key, verb, obj in rng.sample(once, min(per_kind, len(once))):
        v, o = VERBS[verb][1], OBJECTS[obj][1]
        form = rng.choice(["When did I {v} the {o}?", "that time I had to {v} a {o}",
                           "did I ever {v} my {o}"])  # fmt: skip
        questions.append(Question("paraphrase", form.format(v=v, o=o), key))
    by_scene: dict[str, list[int]] = {}
    for spec in corpus.memories:
        if spec.person is not None and " at " in spec.content:
            scene = spec.content.split(" with ", 1)[1].split(".", 1)[0]  # "Name at Place"
            by_scene.setdefault(scene, []).append(spec.key)
    unique = [(scene, keys[0]) for scene, keys in sorted(by_scene.items()) if len(keys) == 1]
    for scene, key in rng.sample(unique, min(per_kind, len(unique))):
        name, place = scene.split(" at ", 1)
        form = rng.choice(["What happened with {n} at {p}?", "{n} {p}", "the day with {n} in {p}"])
        questions.append(Question("keyword", form.format(n=name, p=place), key))
    linked: dict[tuple[int, int], list[int]] = {}
    for key, _, obj, person, _ in events:
        linked.setdefault((person, obj), []).append(key)
    hops = [(p, o, keys[0]) for (p, o), keys in sorted(linked.items()) if len(keys) == 1]
    hops = [(p, o, k) for p, o, k in hops if " at " not in corpus.memories[k].content]
    for person, obj, key in rng.sample(hops, min(per_kind, len(hops))):
        form = rng.choice(["the {o} and {n}", "When did {n} and I deal with the {o}?"])
        text = form.format(o=OBJECTS[obj][1], n=corpus.people[person].name)
        questions.append(Question("graph", text, key))
    return questions
