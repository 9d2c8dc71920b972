"""Challenges: start from a template, record progress, complete exactly once, abandon.

People start and abandon under row-level security; progress and completion are the server's
(service transactions scoped to the caller by user_id). Each change refreshes the challenge's
cached state and is announced on the person's challenges channel.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import Conflict, InvalidRequest, NotFound
from dotline.models.challenges import (
    Challenge,
    ChallengeCompletion,
    ChallengeStart,
    ChallengeStatus,
    ChallengeTemplate,
    ProgressUpdate,
)
from dotline.models.growth import GrowthEvent
from dotline.ports.cache import Cache
from dotline.services.challenges import _state, _trophies
from dotline.services.growth.ledger import GrowthAction, record_growth_events

if TYPE_CHECKING:
    from dotline.bootstrap import GrowthStores

COMPLETION_ACTION = "challenge_completed"
COMPLETION_SOURCE = "challenge_complete"
MAX_DURATION_DAYS = 366

_CHALLENGE_SELECT = (
    "select c.user_challenge_id, c.challenge_template_id, t.name, coalesce(t.dim_keys, '{}') as dim_keys,"
    " c.status, c.started_at, c.due_at, c.completed_at, c.progress"
    " from public.user_challenges c"
    " left join public.challenge_templates t using (challenge_template_id)"
)
_TEMPLATE_SELECT = (
    "select challenge_template_id, name, description, dim_keys, difficulty, payload"
    " from public.challenge_templates"
)


def list_templates(db: Database, user: Principal) -> list[ChallengeTemplate]:
    """The active challenge templates, easiest first."""
    with db.as_user(user) as tx:
        tx.execute(
            _TEMPLATE_SELECT
            + " where is_active order by array_position(array['easy', 'medium', 'hard'], difficulty), name"
        )
        return [ChallengeTemplate.model_validate(row) for row in tx.fetchall()]


def start_challenge(
    db: Database, cache: Cache, user: Principal, start: ChallengeStart
) -> Challenge:
    """Start a run of an active template, due when the body or the template's duration says."""
    with db.as_user(user) as tx:
        tx.execute(
            _TEMPLATE_SELECT + " where challenge_template_id = %(id)s and is_active",
            {"id": start.challenge_template_id},
        )
        template = tx.fetchone()
        if template is None:
            message = "no active challenge template has this id"
            raise InvalidRequest(
                f"challenge_template_id: {message}",
                errors=[{"field": "challenge_template_id", "message": message}],
            )
        tx.execute(
            "insert into public.user_challenges (user_id, challenge_template_id, due_at)"
            " values (%(user_id)s, %(template_id)s,"
            " coalesce(%(due_at)s, now() + make_interval(days => %(days)s)))"
            " returning user_challenge_id",
            {
                "user_id": user.user_id,
                "template_id": start.challenge_template_id,
                "due_at": start.due_at,
                "days": _duration_days(template["payload"]),
            },
        )
        challenge = _read(tx, user.user_id, _inserted_id(tx))
    _state.announce(cache, user.user_id, challenge, "new")
    return challenge


def list_challenges(
    db: Database, user: Principal, status: ChallengeStatus | None
) -> list[Challenge]:
    """The caller's challenges, newest first, optionally of one status."""
    with db.as_user(user) as tx:
        tx.execute(
            _CHALLENGE_SELECT + " where c.user_id = %(user_id)s"
            " and (%(status)s::text is null or c.status = %(status)s)"
            " order by c.started_at desc, c.user_challenge_id",
            {"user_id": user.user_id, "status": status},
        )
        return [Challenge.model_validate(row) for row in tx.fetchall()]


def get_challenge(db: Database, cache: Cache, user: Principal, challenge_id: UUID) -> Challenge:
    """One of the caller's challenges, from its cached state when fresh.

    A cached active challenge past its due date is read again: the expiry job may have run.
    """
    cached = _state.cached(cache, challenge_id)
    if cached is not None and cached.get("user_id") == str(user.user_id):
        challenge = Challenge.model_validate(cached["challenge"])
        if not (challenge.status == "active" and _overdue(challenge)):
            return challenge
    with db.as_user(user) as tx:
        challenge = _read(tx, user.user_id, challenge_id)
    _state.remember(cache, user.user_id, challenge)
    return challenge


def update_progress(
    db: Database, cache: Cache, user: Principal, challenge_id: UUID, update: ProgressUpdate
) -> Challenge:
    """Merge keys into an active challenge's progress."""
    with db.as_service() as tx:
        tx.execute(
            "update public.user_challenges set progress = progress || %(patch)s"
            " where user_challenge_id = %(id)s and user_id = %(user_id)s and status = 'active'"
            " returning user_challenge_id",
            {"patch": jsonb(update.progress), "id": challenge_id, "user_id": user.user_id},
        )
        if tx.fetchone() is None:
            raise _not_active(tx, user.user_id, challenge_id)
        challenge = _read(tx, user.user_id, challenge_id)
    _state.announce(cache, user.user_id, challenge, "progress")
    return challenge


def complete_challenge(
    stores: GrowthStores, user: Principal, challenge_id: UUID
) -> ChallengeCompletion:
    """Complete an active, not overdue challenge: growth along the template's dimensions and one
    trophy, exactly once. Completing it again returns the same completion and creates nothing."""
    with stores.db.as_service() as tx:
        tx.execute(
            "update public.user_challenges set status = 'completed', completed_at = now()"
            " where user_challenge_id = %(id)s and user_id = %(user_id)s and status = 'active'"
            " and (due_at is null or due_at > now())"
            " returning challenge_template_id",
            {"id": challenge_id, "user_id": user.user_id},
        )
        completed = tx.fetchone()
        if completed is None:
            return _earlier_completion(tx, user.user_id, challenge_id)
        tx.execute(
            _TEMPLATE_SELECT + " where challenge_template_id = %(id)s",
            {"id": completed["challenge_template_id"]},
        )
        template = tx.fetchone()
        assert template is not None  # the foreign key restricts deleting a used template
        completion = GrowthAction(
            user_id=user.user_id,
            action=COMPLETION_ACTION,
            entity_type="challenge",
            entity_id=challenge_id,
            source=COMPLETION_SOURCE,
            dim_keys=list(template["dim_keys"]),
        )
        growth = record_growth_events(tx, stores.config, completion)
        trophy = _trophies.award_trophy(tx, user.user_id, challenge_id, template)
        challenge = _read(tx, user.user_id, challenge_id)
    _state.announce(stores.cache, user.user_id, challenge, "completed")
    return ChallengeCompletion(challenge=challenge, trophy=trophy, growth=growth)


def abandon_challenge(db: Database, cache: Cache, user: Principal, challenge_id: UUID) -> Challenge:
    """Give up an active challenge (row-level security allows only the owner, only while active)."""
    with db.as_user(user) as tx:
        tx.execute(
            "update public.user_challenges set status = 'abandoned'"
            " where user_challenge_id = %(id)s and status = 'active' returning user_challenge_id",
            {"id": challenge_id},
        )
        if tx.fetchone() is None:
            raise _not_active(tx, user.user_id, challenge_id)
        challenge = _read(tx, user.user_id, challenge_id)
    _state.announce(cache, user.user_id, challenge, "abandoned")
    return challenge


def _earlier_completion(tx: Transaction, user_id: UUID, challenge_id: UUID) -> ChallengeCompletion:
    """The completion of an already completed challenge; NotFound or Conflict otherwise."""
    challenge = _read(tx, user_id, challenge_id)
    if challenge.status != "completed":
        raise _not_active(tx, user_id, challenge_id)
    trophy = _trophies.find_trophy(tx, user_id, challenge_id)
    assert trophy is not None  # awarded in the completing transaction
    tx.execute(
        "select event_id, entity_type, entity_id, dim_key, delta, source, details, created_at"
        " from public.growth_events where user_id = %(user_id)s and entity_type = 'challenge'"
        " and entity_id = %(id)s and source = %(source)s order by dim_key",
        {"user_id": user_id, "id": challenge_id, "source": COMPLETION_SOURCE},
    )
    growth = [GrowthEvent.model_validate(row) for row in tx.fetchall()]
    return ChallengeCompletion(challenge=challenge, trophy=trophy, growth=growth)


def _not_active(tx: Transaction, user_id: UUID, challenge_id: UUID) -> Conflict:
    challenge = _read(tx, user_id, challenge_id)
    if challenge.status == "active":  # still active, so it is overdue and awaits expiry
        return Conflict("This challenge is past its due date.")
    return Conflict(f"This challenge is {challenge.status}.")


def _read(tx: Transaction, user_id: UUID, challenge_id: UUID) -> Challenge:
    tx.execute(
        _CHALLENGE_SELECT + " where c.user_challenge_id = %(id)s and c.user_id = %(user_id)s",
        {"id": challenge_id, "user_id": user_id},
    )
    row = tx.fetchone()
    if row is None:
        raise NotFound("No such challenge.")
    return Challenge.model_validate(row)


def _overdue(challenge: Challenge) -> bool:
    return challenge.due_at is not None and challenge.due_at <= datetime.now(UTC)


def _inserted_id(tx: Transaction) -> UUID:
    row = tx.fetchone()
    assert row is not None  # an insert returns its row
    return UUID(str(row["user_challenge_id"]))


def _duration_days(payload: dict[str, Any]) -> int | None:
    days = payload.get("duration_days")
    if isinstance(days, int) and not isinstance(days, bool) and 0 < days <= MAX_DURATION_DAYS:
        return days
    return None
