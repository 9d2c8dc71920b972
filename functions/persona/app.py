"""What persona analysis found about the caller: GET /v1/persona, /v1/learning-profiles and
/v1/tag-clusters."""

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.persona import LearningProfiles, Persona, TagClusters
from dotline.services.persona import persona, tag_clusters

app = resolver()


@app.get(
    "/v1/persona",
    summary="Your persona",
    description="Computed about once a day from your events, memories, concepts and tags; each "
    "section keeps the counts behind it under `basis`. 404 until the first analysis.",
    security=BEARER,
    tags=["persona"],
)
def read_persona() -> Persona:
    return persona.get_persona(deps().db, current_user(app))


@app.get(
    "/v1/learning-profiles",
    summary="Your learning profile per skill area, fastest learning first",
    security=BEARER,
    tags=["persona"],
)
def list_learning_profiles() -> LearningProfiles:
    return persona.list_learning_profiles(deps().db, current_user(app))


@app.get(
    "/v1/tag-clusters",
    summary="Themes among your tags, most cohesive first",
    security=BEARER,
    tags=["persona"],
)
def list_tag_clusters() -> TagClusters:
    return tag_clusters.list_tag_clusters(deps().db, current_user(app))


handler = entry(app)
