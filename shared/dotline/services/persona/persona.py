"""Persona analysis: one person's events, memories, concepts and tags turned into their persona,
learning profiles, tag clusters and suggestions; and reading the results back.

Statistics first: private.persona_statistics() aggregates in Postgres, `skills` and
`_habits` derive every section from those figures (keeping them as the basis). Analysis
runs as the service (it writes server-only tables) and never for someone who opted out or whose
account is deleted; anonymise() blanks what such people left behind.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import NotFound
from dotline.models.persona import AnalysisReport, LearningProfiles, Persona
from dotline.ports.embeddings import Embedder
from dotline.services import suggestions
from dotline.services.persona import _habits as habits
from dotline.services.persona import skills as skills_of
from dotline.services.persona import tag_clusters

logger = logging.getLogger(__name__)

WINDOW_DAYS = 180
REANALYSE_AFTER_H = 20  # the schedule runs hourly; each person is analysed about once a day

_STATISTICS = "select private.persona_statistics(%(user_id)s, %(days)s) as stats"
_JOB_TIMEOUT = "select set_config('statement_timeout', '30s', true)"
_ELIGIBLE = """
select p.persona_analysis_enabled and p.account_status <> 'deleted' as eligible
from public.profiles p where p.user_id = %(user_id)s
"""
# Whether a person has any events or memories: each the newest one, off its (user_id, created_at)
# index. A bare `exists (... where user_id = p.user_id)` was planned as a sequential scan that
# stops at the first match, the planner taking every person for the average one: with one person
# at 100k memories, everyone else's probe read the whole table (34 s for 1,200 profiles).
_DUE = """
select p.user_id from public.profiles p
left join public.user_personas up on up.user_id = p.user_id
where p.persona_analysis_enabled and p.account_status <> 'deleted'
  and (up.last_analyzed_at is null or up.last_analyzed_at < now() - make_interval(hours => %(hours)s))
  and (exists (select from (select from public.behaviour_events e where e.user_id = p.user_id
                            order by e.created_at desc limit 1) as newest_event)
       or exists (select from (select from public.memories m where m.user_id = p.user_id
                               order by m.created_at desc limit 1) as newest_memory))
order by up.last_analyzed_at nulls first, p.user_id
limit %(limit)s
"""
_UPSERT_PERSONA = """
insert into public.user_personas as up (user_id, technical_profile, lifestyle_profile, learning_style,
  life_phase, phase_confidence, interests_evolution, cross_domain_insights, last_analyzed_at)
values (%(user_id)s, %(technical)s, %(lifestyle)s, %(learning)s, %(phase)s, %(confidence)s,
        %(evolution)s, %(insights)s, now())
on conflict (user_id) do update
  set technical_profile = excluded.technical_profile, lifestyle_profile = excluded.lifestyle_profile,
      learning_style = excluded.learning_style, life_phase = excluded.life_phase,
      phase_confidence = excluded.phase_confidence, interests_evolution = excluded.interests_evolution,
      cross_domain_insights = excluded.cross_domain_insights, last_analyzed_at = now(),
      anonymised_at = null
"""
_UPSERT_PROFILE = """
insert into public.learning_profiles (user_id, skill_area, current_level, progression_data,
                                      learning_velocity, last_activity_at)
values (%(user_id)s, %(area)s, %(level)s, %(progression)s, %(velocity)s, %(last_at)s)
on conflict on constraint learning_profiles_user_skill_area_unique do update
  set current_level = excluded.current_level, progression_data = excluded.progression_data,
      learning_velocity = excluded.learning_velocity, last_activity_at = excluded.last_activity_at
"""
_PERSONA = """
select user_id, technical_profile, lifestyle_profile, learning_style, life_phase,
       phase_confidence::float8 as phase_confidence, interests_evolution, cross_domain_insights,
       last_analyzed_at, anonymised_at, updated_at
from public.user_personas where user_id = %(user_id)s
"""
_PROFILES = """
select learning_profile_id, skill_area, current_level, learning_velocity::float8 as learning_velocity,
       progression_data, last_activity_at, updated_at
from public.learning_profiles
order by learning_velocity desc nulls last, skill_area
"""


def analyse_user(db: Database, embedder: Embedder, user_id: UUID) -> AnalysisReport:
    """Analyse one person now (re-running is harmless); skipped when they opted out, their
    account is deleted, or no such profile exists."""
    run_id = uuid.uuid4()
    with db.as_service() as tx:
        row = tx.execute(_ELIGIBLE, {"user_id": user_id}).fetchone()
        if row is None or not row["eligible"]:
            logger.info(
                "persona analysis skipped for %s: no profile, opted out or deleted", user_id
            )
            return AnalysisReport(user_id=user_id, status="skipped")
        tx.execute(_JOB_TIMEOUT)  # a heavy user's aggregation may outlast a request's limit
        stats = tx.execute(_STATISTICS, {"user_id": user_id, "days": WINDOW_DAYS}).fetchone()
    assert stats is not None  # an aggregate always answers
    stats = stats["stats"]
    skills = skills_of.skills_from(stats)
    clusters = tag_clusters.find_clusters(stats["tags"], embedder)  # outside any transaction
    with db.as_service() as tx:
        if not _still_eligible(tx, user_id):  # opted out while we computed
            return AnalysisReport(user_id=user_id, status="skipped")
        insights = _store_persona(tx, user_id, stats, skills)
        frequency = {t["tag"]: t["memories"] + t["events"] for t in stats["tags"]}
        stored = tag_clusters.store_clusters(
            tx, user_id, clusters, frequency, datetime.now(UTC).date(), run_id
        )
        proposals = suggestions.propose(skills, insights, stored)
        count = suggestions.store(tx, user_id, proposals, datetime.now(UTC), run_id)
    report = AnalysisReport(
        user_id=user_id, status="analysed", events=stats["events"]["count"],
        skills=len(skills), clusters=len(stored), suggestions=count, run_id=run_id,
    )  # fmt: skip
    logger.info("persona analysed: %s", report.model_dump_json())
    return report


def analyse_due(
    db: Database, embedder: Embedder, *, budget_s: float, batch: int = 100
) -> dict[str, int]:
    """Analyse people not analysed for REANALYSE_AFTER_H hours, oldest first, until the time
    budget runs out; one person's failure is logged and does not stop the others."""
    deadline = time.monotonic() + budget_s
    with db.as_service() as tx:
        due = [r["user_id"] for r in tx.execute(_DUE, {"hours": REANALYSE_AFTER_H, "limit": batch})]
    counts = {"due": len(due), "analysed": 0, "skipped": 0, "failed": 0}
    for user_id in due:
        if time.monotonic() >= deadline:
            break
        try:
            counts[analyse_user(db, embedder, user_id).status] += 1
        except Exception:
            logger.exception("persona analysis failed for user %s", user_id)
            counts["failed"] += 1
    return counts


def anonymise(db: Database) -> dict[str, int]:
    """Blank the persona JSON of opted-out and deleted people (aggregates stay)."""
    with db.as_service() as tx:
        row = tx.execute("select private.anonymise_personas() as counts").fetchone()
    assert row is not None
    return dict(row["counts"])


def get_persona(db: Database, user: Principal) -> Persona:
    """The caller's persona; NotFound until their first analysis."""
    with db.as_user(user) as tx:
        row = tx.execute(_PERSONA, {"user_id": user.user_id}).fetchone()
    if row is None:
        raise NotFound("No persona yet: it is computed from your activity about once a day.")
    return Persona.model_validate(row)


def list_learning_profiles(db: Database, user: Principal) -> LearningProfiles:
    """The caller's learning profiles, fastest learning first (RLS: only theirs)."""
    with db.as_user(user) as tx:
        rows = tx.execute(_PROFILES).fetchall()
    return LearningProfiles.model_validate({"items": rows})


def _still_eligible(tx: Transaction, user_id: UUID) -> bool:
    row = tx.execute(_ELIGIBLE + " for share of p", {"user_id": user_id}).fetchone()
    return bool(row and row["eligible"])


def _store_persona(
    tx: Transaction, user_id: UUID, stats: dict[str, Any], skills: list[skills_of.Skill]
) -> dict[str, Any]:
    phase, confidence, phase_basis = skills_of.life_phase(skills)
    technical = skills_of.technical_profile(skills, stats["window"])
    technical["basis"]["life_phase"] = phase_basis
    insights = habits.cross_domain_insights(stats)
    tx.execute(_UPSERT_PERSONA, {
        "user_id": user_id, "technical": jsonb(technical),
        "lifestyle": jsonb(habits.lifestyle_profile(stats)),
        "learning": jsonb(habits.learning_style(stats, skills)),
        "phase": phase, "confidence": confidence,
        "evolution": jsonb(habits.interests_evolution(stats)), "insights": jsonb(insights),
    })  # fmt: skip
    for skill in skills:
        tx.execute(_UPSERT_PROFILE, {
            "user_id": user_id, "area": skill.name, "level": skill.level,
            "velocity": skill.velocity, "last_at": skill.last_at,
            "progression": jsonb({"milestones": skills_of.milestones(skill, stats),
                                  "evidence": skill.basis(), "trend": skill.trend,
                                  "window": stats["window"]}),
        })  # fmt: skip
    tx.execute(
        "delete from public.learning_profiles where user_id = %s and not (skill_area = any(%s))",
        (user_id, [s.name for s in skills]),
    )
    return insights
