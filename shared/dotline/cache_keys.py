"""Redis key patterns and their TTLs, as the V7 seed lays them out (channels: `channels`).

Keys are built here and nowhere else, so erasure (`user_key_patterns`) can name every key a user
owns. Entries the seed marks "N/A" live until overwritten or erased, and their TTL is None.
"""

from __future__ import annotations

from uuid import UUID

MINUTE_S = 60
HOUR_S = 60 * MINUTE_S
DAY_S = 24 * HOUR_S

SESSION_TTL_S = 3 * DAY_S
CARD_GROWTH_TTL_S = HOUR_S
RECENT_CARDS_TTL_S = DAY_S
GRAPH_VIEWPORT_TTL_S = HOUR_S
GRAPH_PROJECTION_TTL_S = DAY_S  # keyed by the graph's fingerprint: never stale, only unused
CHALLENGE_STATE_TTL_S = 15 * MINUTE_S
DAILY_STATS_TTL_S = DAY_S
ORB_STATE_TTL_S: int | None = None
# Live UI state: a scene not changed for a day is stale, and nothing keeps a person's key forever.
ACTIVE_SCENE_TTL_S = DAY_S
UNREAD_INSIGHTS_TTL_S: int | None = None

# Renewed by every erasure attempt (at least daily while pending). Once the Auth user is gone no
# new token can be had, and one issued before lives an hour at most.
ERASURE_TOMBSTONE_TTL_S = 7 * DAY_S

# Sliding-window counters of upstash-ratelimit live under `rate_limit:<policy>:<identifier>:*`.
RATE_LIMIT_PREFIX = "rate_limit"

Id = UUID | str


def session(user_id: Id, session_id: str) -> str:
    """An active user session (TTL `SESSION_TTL_S`)."""
    return f"user:{user_id}:session:{session_id}"


def activity_gate(user_id: Id) -> str:
    """Set while the user's last_active_at is fresh (TTL `MINUTE_S`): `dotline.activity`."""
    return f"user:{user_id}:active"


def orb_state(user_id: Id) -> str:
    """The current Orb state (no TTL)."""
    return f"user:{user_id}:orb:state"


def active_scene(user_id: Id) -> str:
    """The current active scene (TTL `ACTIVE_SCENE_TTL_S`)."""
    return f"user:{user_id}:scene:active"


def card_growth(card_id: Id) -> str:
    """A card's growth data cache (TTL `CARD_GROWTH_TTL_S`)."""
    return f"card:{card_id}:growth"


def recent_cards(user_id: Id) -> str:
    """Recently viewed cards (TTL `RECENT_CARDS_TTL_S`)."""
    return f"user:{user_id}:cards:recent"


def graph_viewport(user_id: Id) -> str:
    """The graph visualisation's viewport (TTL `GRAPH_VIEWPORT_TTL_S`)."""
    return f"user:{user_id}:graph:viewport"


def graph_projection(user_id: Id, fingerprint: str) -> str:
    """The 3D cosmos layout of the user's graph as it was at `fingerprint` (TTL
    `GRAPH_PROJECTION_TTL_S`)."""
    return f"user:{user_id}:graph:projection:{fingerprint}"


def graph_projection_current(user_id: Id) -> str:
    """Which fingerprint the user's graph had at which graph version (TTL
    `GRAPH_PROJECTION_TTL_S`), so an unchanged graph is not even read."""
    return f"user:{user_id}:graph:projection:current"


def challenge_state(challenge_id: Id) -> str:
    """A challenge's state cache (TTL `CHALLENGE_STATE_TTL_S`)."""
    return f"challenge:{challenge_id}:state"


def daily_stats(user_id: Id) -> str:
    """Daily user stats (TTL `DAILY_STATS_TTL_S`)."""
    return f"user:{user_id}:stats:daily"


def unread_insights(user_id: Id) -> str:
    """The unread insights counter (no TTL)."""
    return f"user:{user_id}:insights:unread"


def erasure_tombstone(user_id: Id) -> str:
    """Set while a person is being or has been erased (TTL `ERASURE_TOMBSTONE_TTL_S`); outside
    `user:{id}:*`, so erasing the person's keys leaves it standing."""
    return f"erased:{user_id}"


def webhook_delivery(signature_digest: str) -> str:
    """A signed webhook delivery already received (TTL: twice the signature's age limit)."""
    return f"webhook:delivery:{signature_digest}"


def rate_limit_prefix(policy_name: str) -> str:
    """Where one rate-limit policy keeps its counters."""
    return f"{RATE_LIMIT_PREFIX}:{policy_name}"


def user_key_patterns(user_id: Id) -> list[str]:
    """Glob patterns covering every key that holds this user's data (for erasure).

    Card and challenge keys are keyed by their own ids: erasure deletes those by id.
    """
    uid = _glob_literal(str(user_id))
    return [
        session(uid, "*"),
        activity_gate(uid),
        orb_state(uid),
        active_scene(uid),
        recent_cards(uid),
        graph_viewport(uid),
        graph_projection(uid, "*"),
        daily_stats(uid),
        unread_insights(uid),
        f"{RATE_LIMIT_PREFIX}:*:{uid}:*",
    ]


def _glob_literal(text: str) -> str:
    # A uuid has no glob characters; escaping keeps a malformed id from widening the match.
    return "".join(f"\\{ch}" if ch in "*?[]\\" else ch for ch in text)
