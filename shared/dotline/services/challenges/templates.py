"""Admins editing the challenge catalogue: templates created, and versioned on every change.

A change of what a template asks (name, description, dimensions, difficulty, payload) is a new
row, version + 1, pointing at the version it replaced, which is retired in the same transaction:
challenges already started keep the version they were started from, and new ones start from
the new version. Runs as the caller, so the table's policies refuse a non-admin too.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from dotline.auth import Principal
from dotline.db import Database, Transaction, jsonb
from dotline.errors import Conflict, Forbidden, InvalidRequest, NotFound
from dotline.models.challenges import (
    ChallengeTemplateCreate,
    ChallengeTemplateUpdate,
    ChallengeTemplateVersion,
)

_INSERT = """
insert into public.challenge_templates
  (name, description, dim_keys, difficulty, payload, is_active, version, previous_version_id)
values (%(name)s, %(description)s, %(dim_keys)s, %(difficulty)s, %(payload)s, %(is_active)s,
        %(version)s, %(previous_version_id)s)
returning challenge_template_id, name, description, dim_keys, difficulty, payload,
          is_active, version, previous_version_id
"""
_CURRENT = """
select challenge_template_id, name, description, dim_keys, difficulty, payload, is_active,
       version, previous_version_id,
       (select r.challenge_template_id from public.challenge_templates r
        where r.previous_version_id = t.challenge_template_id) as replaced_by
from public.challenge_templates t where challenge_template_id = %(id)s for update
"""
_SET_ACTIVE = """
update public.challenge_templates set is_active = %(active)s
where challenge_template_id = %(id)s returning challenge_template_id, name, description, dim_keys, difficulty, payload,
          is_active, version, previous_version_id
"""


def create_template(
    db: Database, user: Principal, body: ChallengeTemplateCreate
) -> ChallengeTemplateVersion:
    """A new template, active, as version 1."""
    values = {**body.model_dump(), "is_active": True, "version": 1, "previous_version_id": None}
    with _as_admin(db, user) as tx:
        return _insert(tx, values)


def update_template(
    db: Database, user: Principal, template_id: UUID, body: ChallengeTemplateUpdate
) -> ChallengeTemplateVersion:
    """The template's new version (or, for `is_active` alone, this version retired or restored);
    NotFound for an unknown id, Conflict for a version already replaced."""
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        error = {"field": "body", "message": "name at least one field to change"}
        raise InvalidRequest("body: name at least one field to change", errors=[error])
    with _as_admin(db, user) as tx:
        current = tx.execute(_CURRENT, {"id": template_id}).fetchone()
        if current is None:
            raise NotFound("No such challenge template.")
        if current["replaced_by"] is not None:
            raise Conflict(
                f"This version was replaced by {current['replaced_by']}; change that one."
            )
        if set(changes) == {"is_active"}:
            row = tx.execute(_SET_ACTIVE, {"active": changes["is_active"], "id": template_id})
            return ChallengeTemplateVersion.model_validate(row.fetchone())
        tx.execute(_SET_ACTIVE, {"active": False, "id": template_id})
        values = {key: current[key] for key in ("name", "description", "dim_keys", "difficulty")}
        values |= {"payload": current["payload"], "is_active": True}
        values |= changes
        values |= {"version": current["version"] + 1, "previous_version_id": template_id}
        return _insert(tx, values)


def _insert(tx: Transaction, values: dict[str, Any]) -> ChallengeTemplateVersion:
    row = tx.execute(_INSERT, {**values, "payload": jsonb(values["payload"])}).fetchone()
    return ChallengeTemplateVersion.model_validate(row)


def _as_admin(db: Database, user: Principal) -> Any:
    if not user.is_admin:
        raise Forbidden("Only catalogue admins may create or change challenge templates.")
    return db.as_user(user)
