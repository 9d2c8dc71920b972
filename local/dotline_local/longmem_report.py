"""The long-conversation benchmark's figures: recall per method and kind of question, which
misses dominate, and cases to read.

A missed evidence turn (not in the top 10) counts, in this order, as `asking turn` when the
turn right before it (the other speaker's, often the question it answers) is in the top 10; as
`other speaker` when the top 10 holds the other speaker's own news on the question's topic (both
adopted a pet); as `same topic` when it holds the person's other news on it (the city they left,
another trip); as `small talk` when the first hit tells no news at all; else as `elsewhere`.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

from dotline_local.longmem_corpus import KINDS, Corpus, Question, Turn
from dotline_local.retrieval_baselines import recall_at, terms

Rankings = dict[str, dict[str, list[str]]]  # method -> question id -> turn ids, best first
TOP_K = (5, 10, 25)
MISS_K = 10
COLUMNS = (*KINDS, "overall")


def recalls(corpus: Corpus, ranked: dict[str, list[str]]) -> dict[str, list[float]]:
    """Column -> mean recall at each of TOP_K."""
    sums: dict[str, list[float]] = {column: [0.0] * len(TOP_K) for column in COLUMNS}
    counts = Counter(q.kind for q in corpus.questions)
    for question in corpus.questions:
        for i, k in enumerate(TOP_K):
            found = recall_at(question.evidence, ranked[question.question_id], k)
            sums[question.kind][i] += found / counts[question.kind]
            sums["overall"][i] += found / len(corpus.questions)
    return sums


def print_table(corpus: Corpus, rankings: Rankings) -> None:
    """Recall@5/10/25 (percent) per kind and overall, a row per method; then where dotline
    does not beat every baseline."""
    counts = Counter(q.kind for q in corpus.questions)
    turns = sum(len(c.turns) for c in corpus.conversations)
    print(f"\n{corpus.split} split: {len(corpus.conversations)} conversations, {turns} turns, "
          f"{len(corpus.questions)} questions; sharing no stemmed word with their evidence "
          f"(speakers' names aside): {_paraphrased(corpus)}")  # fmt: skip
    print("recall@k: share of a question's evidence turns in its top k, mean over questions (%)")
    heads = [f"{c} (n={counts[c] if c in counts else len(corpus.questions)})" for c in COLUMNS]
    print(f"{'':8s}" + "".join(f"{h:>20s}" for h in heads))
    print(f"{'':8s}" + "".join(f"{'@5   @10   @25':>20s}" for _ in COLUMNS))
    table = {method: recalls(corpus, ranked) for method, ranked in rankings.items()}
    for method, columns in table.items():
        cells = ("  ".join(f"{100 * r:4.1f}" for r in columns[c]) for c in COLUMNS)
        print(f"{method:8s}" + "".join(f"{cell:>20s}" for cell in cells))
    behind = [
        f"{column}@{k} ({base})"
        for column in COLUMNS
        for i, k in enumerate(TOP_K)
        for base in table
        if base != "dotline" and table["dotline"][column][i] <= table[base][column][i]
    ]
    print(f"dotline recall@10 overall: {100 * table['dotline']['overall'][1]:.1f}")
    verdict = "YES" if not behind else f"NO, not above the baseline at {', '.join(behind)}"
    print(f"dotline beats every baseline at 5, 10 and 25 on every kind: {verdict}")


def print_misses(corpus: Corpus, rankings: Rankings, show: int = 0) -> None:
    """Each method's missed evidence turns at MISS_K by cause; `show` of dotline's to read."""
    turns = {t.turn_id: t for c in corpus.conversations for t in c.turns}
    before = {
        b.turn_id: a for c in corpus.conversations for a, b in pairwise(c.turns) if a.session == b.session
    }  # fmt: skip
    print(f"\nmissed evidence turns at {MISS_K}, by cause (share of the method's misses)")
    shown = 0
    for method, ranked in rankings.items():
        causes: Counter[str] = Counter()
        for question in corpus.questions:
            top = ranked[question.question_id][:MISS_K]
            for turn_id in question.evidence:
                if turn_id in top:
                    continue
                cause = _cause(question, turns, before.get(turn_id), top)
                causes[cause] += 1
                if method == "dotline" and shown < show:
                    shown += 1
                    _show(question, turns[turn_id], cause, [turns[t] for t in top[:3]])
        total = sum(causes.values()) or 1
        shares = ", ".join(f"{c} {100 * n / total:.0f}%" for c, n in causes.most_common())
        print(f"  {method:8s} {sum(causes.values()):4d} missed: {shares}")


def _cause(question: Question, turns: dict[str, Turn], asked: Turn | None, top: list[str]) -> str:
    if asked is not None and asked.speaker != question.about and asked.turn_id in top:
        return "asking turn"
    told = {(topic, whose) for t in top for topic, whose in turns[t].about}
    if any(topic == question.topic and whose != question.about for topic, whose in told):
        return "other speaker"
    if any(t not in question.evidence and (question.topic, question.about) in turns[t].about
           for t in top):  # fmt: skip
        return "same topic"
    return "small talk" if top and not turns[top[0]].about else "elsewhere"


def _show(question: Question, evidence: Turn, cause: str, top: list[Turn]) -> None:
    print(f"    [{question.kind}] {question.text}  ({cause})")
    print(f"      evidence {evidence.turn_id} {evidence.speaker}: {evidence.text}")
    for turn in top:
        print(f"      got      {turn.turn_id} {turn.speaker}: {turn.text[:110]}")


def _paraphrased(corpus: Corpus) -> str:
    """Per kind, the share of questions with no stemmed word of their evidence but names."""
    turns = {t.turn_id: t for c in corpus.conversations for t in c.turns}
    names = {n for c in corpus.conversations for n in terms([f"{c.person} {c.other}"])[0]}
    apart: Counter[str] = Counter()
    for question in corpus.questions:
        evidence = {w for t in question.evidence for w in terms([turns[t].text])[0]}
        apart[question.kind] += not (set(terms([question.text])[0]) - names) & evidence
    counts = Counter(q.kind for q in corpus.questions)
    return ", ".join(f"{kind} {100 * apart[kind] / counts[kind]:.0f}%" for kind in KINDS)
