"""Coaching apps: the catalogue (GET /v1/apps...) and its admin editing (/v1/admin/...)."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.openapi.params import Path

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.coaching_apps import (
    App,
    AppCreate,
    AppDetail,
    AppUpdate,
    CatalogueApps,
    KnowledgeBase,
    KnowledgeBaseCreate,
    KnowledgeBaseUpdate,
    KnowledgeEntry,
    KnowledgeEntryCreate,
    KnowledgeEntryUpdate,
    PersonalitySchema,
    PersonalitySchemaCreate,
    PersonalitySchemaUpdate,
    Progress,
    ProgressChange,
)
from dotline.services.coaching import admin as coaching_admin
from dotline.services.coaching import apps as coaching_apps

AppRef = Annotated[str, Path(min_length=1, max_length=64, description="The app's slug or id")]
ADMIN = ["admin"]
CREATED = HTTPStatus.CREATED.value

app = resolver()


@app.get("/v1/apps", summary="The active coaching apps", security=BEARER, tags=["apps"])
def list_apps() -> CatalogueApps:
    return coaching_apps.list_apps(deps().db, current_user(app))


@app.get(
    "/v1/apps/<app_ref>",
    summary="An app with the personality variant the caller gets",
    security=BEARER,
    tags=["apps"],
)
def read_app(app_ref: AppRef) -> AppDetail:
    return coaching_apps.get_app(deps().db, current_user(app), app_ref)


@app.get(
    "/v1/apps/<app_ref>/progress",
    summary="The caller's progress in an app",
    security=BEARER,
    tags=["apps"],
)
def read_progress(app_ref: AppRef) -> Progress:
    return coaching_apps.get_progress(deps().db, current_user(app), app_ref)


@app.patch(
    "/v1/apps/<app_ref>/progress",
    summary="Set your focus area in an app (the coach works on it)",
    security=BEARER,
    tags=["apps"],
)
def change_progress(app_ref: AppRef, body: ProgressChange) -> Progress:
    return coaching_apps.change_progress(deps().db, current_user(app), app_ref, body)


@app.post(
    "/v1/admin/apps", summary="Create an app", security=BEARER, tags=ADMIN, status_code=CREATED
)
def create_app(body: AppCreate) -> App:
    return coaching_admin.create_app(deps().db, current_user(app), body)


@app.patch("/v1/admin/apps/<app_id>", summary="Change an app", security=BEARER, tags=ADMIN)
def change_app(app_id: UUID, body: AppUpdate) -> App:
    return coaching_admin.update_app(deps().db, current_user(app), app_id, body)


@app.post(
    "/v1/admin/personality-schemas",
    summary="Create a personality schema version (a draft)",
    security=BEARER,
    tags=ADMIN,
    status_code=CREATED,
)
def create_personality_schema(body: PersonalitySchemaCreate) -> PersonalitySchema:
    return coaching_admin.create_personality_schema(deps().db, current_user(app), body)


@app.patch(
    "/v1/admin/personality-schemas/<schema_id>",
    summary="Step a schema's status (draft → testing → active → archived) or change its rollout",
    security=BEARER,
    tags=ADMIN,
)
def change_personality_schema(schema_id: UUID, body: PersonalitySchemaUpdate) -> PersonalitySchema:
    return coaching_admin.update_personality_schema(deps().db, current_user(app), schema_id, body)


@app.post(
    "/v1/admin/knowledge-bases",
    summary="Create a knowledge base",
    security=BEARER,
    tags=ADMIN,
    status_code=CREATED,
)
def create_knowledge_base(body: KnowledgeBaseCreate) -> KnowledgeBase:
    return coaching_admin.create_knowledge_base(deps().db, current_user(app), body)


@app.post(
    "/v1/admin/knowledge-bases/<base_id>/entries",
    summary="Add an entry to a knowledge base",
    security=BEARER,
    tags=ADMIN,
    status_code=CREATED,
)
def add_knowledge_entry(base_id: UUID, body: KnowledgeEntryCreate) -> KnowledgeEntry:
    return coaching_admin.add_knowledge_entry(deps().db, current_user(app), base_id, body)


@app.patch(
    "/v1/admin/knowledge-bases/<base_id>",
    summary="Change a knowledge base: title, description, version, or deactivate it",
    security=BEARER,
    tags=ADMIN,
)
def change_knowledge_base(base_id: UUID, body: KnowledgeBaseUpdate) -> KnowledgeBase:
    return coaching_admin.update_knowledge_base(deps().db, current_user(app), base_id, body)


@app.patch(
    "/v1/admin/knowledge-entries/<entry_id>",
    summary="Change a knowledge entry (a new version) or deactivate it",
    security=BEARER,
    tags=ADMIN,
)
def change_knowledge_entry(entry_id: UUID, body: KnowledgeEntryUpdate) -> KnowledgeEntry:
    return coaching_admin.update_knowledge_entry(deps().db, current_user(app), entry_id, body)


handler = entry(app)
