"""The local engine's insight synthesis: a summary and prompts composed from the brief alone.

Deterministic and grounded: every name it writes comes from the brief (central concepts, the
communities' members, dimension labels, memory titles), so the same brief gives the same text.
"""

from __future__ import annotations

from dotline.ports.insight_synthesis import MAX_PROMPTS, InsightBrief, InsightSynthesis

MODEL_NAME = "dotline-local-insights-1"
MAX_THEMES = 5


def synthesize(brief: InsightBrief) -> InsightSynthesis:
    """The cycle's title, summary, themes and prompts, from what the brief holds."""
    themes = _themes(brief)
    return InsightSynthesis(
        title=_title(themes),
        summary=" ".join(_sentences(brief, themes)),
        themes=themes,
        prompts=_prompts(brief, themes)[:MAX_PROMPTS],
        model=MODEL_NAME,
    )


def _themes(brief: InsightBrief) -> list[str]:
    names = [c.name for c in brief.central_concepts]
    names += [name for community in brief.communities for name in community.names]
    names += brief.memories
    return list(dict.fromkeys(n for n in names if n))[:MAX_THEMES]


def _title(themes: list[str]) -> str:
    if not themes:
        return "Your cycle in review"
    return f"Your cycle in review: {', '.join(themes[:2])}"[:255]


def _sentences(brief: InsightBrief, themes: list[str]) -> list[str]:
    sentences = [
        f"Since your last cycle you had {_count(brief.conversations, 'conversation')}"
        f" ({_count(brief.messages, 'message')}) and kept {_count(len(brief.memories), 'memory')}."
    ]
    if brief.central_concepts:
        centre = _join([c.name for c in brief.central_concepts[:3]])
        sentences.append(f"{centre} sit at the centre of what you share.")
    linked = [c for c in brief.communities if c.size > 1]
    if linked:
        sentences.append(
            f"Your material gathers into {_count(len(linked), 'cluster')};"
            f" the largest links {_join(linked[0].names[:3])}."
        )
    grown = sorted((d for d in brief.growth if d.cycle_delta > 0), key=lambda d: -d.cycle_delta)
    if grown:
        sentences.append(f"You grew most in {grown[0].label.lower()} (+{grown[0].cycle_delta:g}).")
    if not themes and not grown:
        sentences.append("It was a quiet cycle; there is little to draw together yet.")
    return sentences


def _prompts(brief: InsightBrief, themes: list[str]) -> list[str]:
    prompts = [f"What does {c.name} mean to you right now?" for c in brief.central_concepts[:2]]
    for community in brief.communities:
        if len(community.names) >= 2:
            first, second = community.names[:2]
            prompts.append(f"How are {first} and {second} connected for you?")
            break
    quiet = [d for d in brief.growth if d.cycle_delta <= 0]
    if quiet:
        prompts.append(f"What is one small step you could take to {quiet[0].label.lower()}?")
    if not prompts:
        topic = themes[0] if themes else "your days"
        prompts.append(f"What has been on your mind about {topic} lately?")
    return list(dict.fromkeys(prompts))


def _count(n: int, noun: str) -> str:
    if n == 1:
        return f"1 {noun}"
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {plural}"


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
