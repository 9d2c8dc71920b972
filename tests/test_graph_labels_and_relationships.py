"""The seeds' Person and Location labels and the relationships the pipeline knows (seed 000's
CREATED, REFERENCES, EVOLVED_FROM, INSPIRED_BY, SUPPORTS; seed 002's HIGHLIGHTS), end to end:
memories made through the gateway, conversations held and ingested, the insight cycle run, the
outbox delivered to the webhook; everything read back through /v1/graph and /v1/me."""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from dotline.bootstrap import Deps
from dotline.settings import Settings
from test_concept_graph_shape import all_concepts, deps, ingest, named, run_cycle
from test_ingestion import TRIP
from user_outbox import deliver_outbox

__all__ = ["deps"]  # the module's fixture, shared


def hood(client: httpx.Client, user: Any, node_id: Any, depth: int = 1) -> dict[str, Any]:
    response = client.get(
        f"/v1/graph/nodes/{node_id}/neighbourhood",
        params={"depth": depth, "limit": 500},
        headers=user.headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def links(neighbourhood: dict[str, Any], type_: str) -> set[tuple[str, str]]:
    return {(e["source_id"], e["target_id"]) for e in neighbourhood["edges"] if e["type"] == type_}


def node_of(neighbourhood: dict[str, Any], node_id: Any) -> dict[str, Any]:
    return next(n for n in neighbourhood["nodes"] if n["node_id"] == str(node_id))


def converse_from(client: httpx.Client, user: Any, card_id: Any, turns: list[str]) -> str:
    """A conversation started from a card, held through the gateway and ended."""
    opened = client.post("/v1/conversations", json={"source_card_id": str(card_id)},
                         headers=user.headers)  # fmt: skip
    assert opened.status_code == 201, opened.text
    conversation_id = str(opened.json()["conversation_id"])
    for text in turns:
        sent = client.post(f"/v1/conversations/{conversation_id}/messages",
                           json={"content": text}, headers=user.headers)  # fmt: skip
        assert sent.status_code in (200, 201), sent.text
    ended = client.post(f"/v1/conversations/{conversation_id}/end", headers=user.headers)
    assert ended.status_code == 200, ended.text
    return conversation_id


def memory_ids(pg: psycopg.Connection[Any], conversation_id: str) -> dict[str, str]:
    rows = pg.execute(
        "select content, memory_id::text from public.memories where source_conversation_id = %s",
        (conversation_id,),
    ).fetchall()
    return {content: memory_id for content, memory_id in rows}


def test_people_and_places_are_labelled_and_a_card_started_conversation_links_its_memories(
    client: httpx.Client, stack_url: str, make_user: Any, deps: Deps,
    pg: psycopg.Connection[Any], settings: Settings,
) -> None:  # fmt: skip
    # given a memory the person wrote themselves, delivered, and the card made for it
    user = make_user()
    written = client.post("/v1/memories", json={"title": "Swim", "content": "Across Lake Bled"},
                          headers=user.headers)  # fmt: skip
    assert written.status_code == 201, written.text
    own = written.json()["memory_id"]
    deliver_outbox(pg, stack_url, settings, user.user_id)
    card = pg.execute(
        "select card_id from public.cards where user_id = %s and source_entity_id = %s",
        (user.user_id, own),
    ).fetchone()
    assert card is not None
    # when a conversation started from that card mentions a sister, places, and a move, and is
    # ingested
    conversation = converse_from(client, user, card[0], TRIP)
    ingest(deps, user)
    # then the person CREATED their own memory, and the conversation's memories were
    # INSPIRED_BY it
    around_own = hood(client, user, own)
    assert links(around_own, "CREATED") == {(str(user.user_id), own)}
    said = memory_ids(pg, conversation)
    assert links(around_own, "INSPIRED_BY") == {(m, own) for m in said.values()}
    # and Mira is a Concept labelled Person, with her relationship; Lake Bled a Location
    concepts = all_concepts(client, user)
    mira, bled = named(concepts, "Mira")["concept_id"], named(concepts, "Lake Bled")["concept_id"]
    shown_mira = node_of(hood(client, user, mira, depth=0), mira)
    assert shown_mira["labels"] == ["Concept", "Person"] and shown_mira["type"] == "concept"
    assert shown_mira["properties"]["relationship"] == "sister"
    assert node_of(hood(client, user, bled, depth=0), bled)["labels"] == ["Concept", "Location"]
    # and a topic is a plain Concept
    coffee = named(concepts, "coffee")["concept_id"]
    assert node_of(hood(client, user, coffee, depth=0), coffee)["labels"] == ["Concept"]
    # and the memory that superseded another EVOLVED_FROM it
    paris, berlin = said[TRIP[2]], said[TRIP[6]]
    assert (berlin, paris) in links(hood(client, user, paris), "EVOLVED_FROM")
    # and the profile's graph schema names the new labels and relationship types
    schema = client.get("/v1/me", headers=user.headers).json()["knowledge_graph_schema"]
    assert {"Person", "Location"} <= set(schema["labels"])
    assert {"CREATED", "INSPIRED_BY", "EVOLVED_FROM"} <= set(schema["relationships"])


def test_the_cycles_artifacts_highlight_reference_and_support_in_the_graph(
    client: httpx.Client, stack_url: str, make_user: Any, deps: Deps,
    pg: psycopg.Connection[Any], settings: Settings,
) -> None:  # fmt: skip
    # given an ingested person whose insight cycle ran
    user = make_user()
    converse_from_none = client.post("/v1/conversations", json={}, headers=user.headers)
    conversation = converse_from_none.json()["conversation_id"]
    for text in TRIP[:5]:
        client.post(f"/v1/conversations/{conversation}/messages", json={"content": text},
                    headers=user.headers)  # fmt: skip
    client.post(f"/v1/conversations/{conversation}/end", headers=user.headers)
    ingest(deps, user)
    run_cycle(deps, user)
    # when the cycle's rows are delivered to the mirror
    deliver_outbox(pg, stack_url, settings, user.user_id)
    # then the insight summary HIGHLIGHTS the concepts it is about
    artifacts = client.get("/v1/artifacts", headers=user.headers).json()["items"]
    by_type = {a["artifact_type"]: a for a in artifacts}
    summary, report = by_type["insight_summary"], by_type["cycle_report"]
    about = {s["id"] for s in summary["source_entities"] if s["type"] == "concept"}
    around = hood(client, user, summary["artifact_id"])
    assert about and links(around, "HIGHLIGHTS") == {(summary["artifact_id"], c) for c in about}
    # and the cycle report, the brief it was drawn from, SUPPORTS it and REFERENCES the concepts
    assert links(around, "SUPPORTS") == {(report["artifact_id"], summary["artifact_id"])}
    around_report = hood(client, user, report["artifact_id"])
    assert links(around_report, "REFERENCES") == {(report["artifact_id"], c) for c in about}
    assert node_of(around, summary["artifact_id"])["labels"] == ["DerivedArtifact"]
    # and the profile's graph schema names them
    schema = client.get("/v1/me", headers=user.headers).json()["knowledge_graph_schema"]
    assert {"HIGHLIGHTS", "SUPPORTS", "REFERENCES"} <= set(schema["relationships"])
    assert "CREATED" not in schema["relationships"]  # nothing was written by hand


def test_a_labelled_node_is_its_owners_alone(
    client: httpx.Client, make_user: Any, deps: Deps
) -> None:
    # given a person whose sister is a Person node
    owner, stranger = make_user(), make_user()
    opened = client.post("/v1/conversations", json={}, headers=owner.headers).json()
    client.post(f"/v1/conversations/{opened['conversation_id']}/messages",
                json={"content": TRIP[0]}, headers=owner.headers)  # fmt: skip
    client.post(f"/v1/conversations/{opened['conversation_id']}/end", headers=owner.headers)
    ingest(deps, owner)
    mira = named(all_concepts(client, owner), "Mira")["concept_id"]
    path = f"/v1/graph/nodes/{mira}/neighbourhood"
    # then its owner sees it labelled, another person and an anonymous caller are refused it
    shown = client.get(path, headers=owner.headers)
    assert shown.status_code == 200
    assert node_of(shown.json(), mira)["labels"] == ["Concept", "Person"]
    assert client.get(path, headers=stranger.headers).status_code == 404
    assert client.get(path).status_code == 401
