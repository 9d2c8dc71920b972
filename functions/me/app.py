"""The caller's own profile and data: GET, PATCH and DELETE /v1/me, GET /v1/me/stats/daily and
/v1/me/export."""

from aws_lambda_powertools.event_handler import Response

from dotline import daily_stats
from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.lifecycle import ErasureReport, ExportDownload, UserExport
from dotline.models.profiles import DailyStats, Profile, ProfileUpdate
from dotline.services import profiles
from dotline.services.lifecycle import erasure, export

app = resolver()


@app.get("/v1/me", summary="Read your profile", security=BEARER, tags=["me"])
def read_me() -> Profile:
    return profiles.get_profile(deps().db, current_user(app))


@app.get(
    "/v1/me/stats/daily",
    summary="Your counts so far today (UTC)",
    description="Authenticated requests you made and behaviour events recorded since midnight "
    "UTC; the counts start again from zero each day.",
    security=BEARER,
    tags=["me"],
)
def read_daily_stats() -> DailyStats:
    return daily_stats.read(deps().cache, current_user(app).user_id)


@app.patch("/v1/me", summary="Change your profile", security=BEARER, tags=["me"])
def change_me(body: ProfileUpdate) -> Profile:
    return profiles.update_profile(deps().db, current_user(app), body)


@app.delete(
    "/v1/me",
    summary="Erase yourself everywhere",
    description="Deletes your account and every item of yours in every store (database, graph, "
    "vectors, cache, media), then checks each store. 200 when every store is verified clean; "
    "202 when a store could not be reached or still held something: the erasure is retried "
    "until clean. Repeating the call is safe and reports where it stands.",
    security=BEARER,
    tags=["me"],
    responses={
        200: {"description": "Erased and verified clean"},
        202: {"description": "Erasure accepted, not yet verified clean; it is retried"},
    },
)
def erase_me() -> Response[ErasureReport]:
    report = erasure.erase_user(deps(), current_user(app).user_id)
    return Response(200 if report.status == "verified" else 202, "application/json", report)


@app.get(
    "/v1/me/export",
    summary="Export everything dotline holds of you",
    description="One JSON document: your rows in every database table (found in the catalogue), "
    "your graph's nodes and edges, and your live cached state. Stored vectors are left out. "
    "Up to EXPORT_INLINE_MAX_BYTES (4 MB) it is the response itself; a larger one is stored "
    "for you and the 200 answer is a download link valid for 15 minutes (the stored copy is "
    "deleted within a day, or at once when you erase yourself).",
    security=BEARER,
    tags=["me"],
    responses={
        200: {
            "description": "The document itself, or a link to it when it is large",
            "content": {"application/json": {"model": UserExport | ExportDownload}},
        },
    },
)
def export_me() -> Response[str | ExportDownload]:  # str: the document, already serialized
    d = deps()
    delivered = export.deliver_export(
        d.db,
        current_user(app).user_id,
        graph=d.graph,
        cache=d.cache,
        objects=d.objects,
        inline_max_bytes=d.settings.export_inline_max_bytes,
    )
    return Response(200, "application/json", delivered)


handler = entry(app)
