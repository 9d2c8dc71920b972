"""The caller's own profile: GET and PATCH /v1/me."""

from dotline.api import BEARER, current_user, entry, resolver
from dotline.bootstrap import deps
from dotline.models.profiles import Profile, ProfileUpdate
from dotline.services import profiles

app = resolver()


@app.get("/v1/me", summary="Read your profile", security=BEARER, tags=["me"])
def read_me() -> Profile:
    return profiles.get_profile(deps().db, current_user(app))


@app.patch("/v1/me", summary="Change your profile", security=BEARER, tags=["me"])
def change_me(body: ProfileUpdate) -> Profile:
    return profiles.update_profile(deps().db, current_user(app), body)


handler = entry(app)
