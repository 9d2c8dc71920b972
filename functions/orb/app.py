"""Dot's presence: GET/PUT /v1/orb, GET/PUT /v1/scene, GET/PUT /v1/graph/viewport."""

from dotline import live
from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.errors import NotFound
from dotline.models.orb import OrbState, OrbUpdate, Scene, SceneChange, Viewport
from dotline.services import orb

app = resolver()


@app.get("/v1/orb", summary="The orb's current state", security=BEARER, tags=["orb"])
def read_orb() -> OrbState:
    state = orb.current_orb(deps().db, deps().cache, current_user(app))
    if state is None:
        raise NotFound("The orb has no state yet.")
    return state


@app.put("/v1/orb", summary="Set the orb's state", security=BEARER, tags=["orb"])
def put_orb(body: OrbUpdate) -> OrbState:
    user = current_user(app)
    state = orb.set_orb(deps().db, deps().cache, user, body)
    data = state.model_dump(mode="json")
    envelope = {
        "kind": "orb.updated",
        "id": None,
        "version": live.version_of(state.updated_at),
        "data": {**data, "timestamp": data["updated_at"]},
    }
    live.send(deps().broadcasts, user.user_id, "orb_state", envelope)
    return state


@app.get("/v1/scene", summary="The active scene", security=BEARER, tags=["orb"])
def read_scene() -> Scene:
    return orb.current_scene(deps().cache, current_user(app))


@app.put("/v1/scene", summary="Move to another scene", security=BEARER, tags=["orb"])
def put_scene(body: SceneChange) -> Scene:
    user = current_user(app)
    scene = orb.change_scene(deps().cache, user, body)
    envelope = {
        "kind": "scene.changed",
        "id": None,
        "version": live.version_of(scene.updated_at) if scene.updated_at else None,
        "data": {
            "from": scene.previous,
            "to": scene.scene,
            "transition_type": scene.transition_type,
            "focus_entity": scene.focus_entity,
            "timestamp": scene.model_dump(mode="json")["updated_at"],
        },
    }
    live.send(deps().broadcasts, user.user_id, "scene", envelope)
    return scene


@app.get("/v1/graph/viewport", summary="The graph's viewport", security=BEARER, tags=["orb"])
def read_viewport() -> Viewport:
    value = orb.viewport(deps().cache, current_user(app))
    if value is None:
        raise NotFound("No viewport in the last hour.")
    return value


@app.put("/v1/graph/viewport", summary="Keep the graph's viewport", security=BEARER, tags=["orb"])
def put_viewport(body: Viewport) -> Viewport:
    return orb.set_viewport(deps().cache, current_user(app), body)


handler = entry(app)
