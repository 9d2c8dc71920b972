"""`dotline ingest` and the scheduled ingestion function, as an operator and EventBridge call them."""

from __future__ import annotations

import importlib.util
from typing import Any

import httpx
import psycopg
import pytest

from conftest import ROOT
from dotline.services.ingestion.ingestion import LEASE_S
from dotline_local.cli import main
from dotline_local.sam_template import read_template
from dotline_local.scheduler import plan
from test_ingestion import TRIP, converse, memories_of, rows


def test_dotline_ingest_runs_one_conversation_by_hand_and_says_what_it_made(
    api: httpx.Client,
    make_user: Any,
    pg: psycopg.Connection[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given an ended conversation
    user = make_user()
    conversation_id = converse(api, user, TRIP[:3])

    # when an operator ingests it by hand, twice
    first = main(["ingest", "--conversation", str(conversation_id)])
    first_out = capsys.readouterr().out
    second = main(["ingest", "--conversation", str(conversation_id)])
    second_out = capsys.readouterr().out

    # then it is processed, the second run adding nothing, and both say so
    assert (first, second) == (0, 0)
    assert f"{conversation_id} processed by dotline-rules-1: 3 memories (3 new)" in first_out
    assert "3 memories (0 new)" in second_out
    assert len(memories_of(pg, conversation_id)) == 3


def test_dotline_ingest_of_an_active_conversation_fails_plainly(
    api: httpx.Client,
    make_user: Any,
    pg: psycopg.Connection[Any],
    capsys: pytest.CaptureFixture[str],
) -> None:
    user = make_user()
    conversation_id = converse(api, user, TRIP[:1], end=False)

    code = main(["ingest", "--conversation", str(conversation_id)])

    assert code == 1
    assert "still active" in capsys.readouterr().out
    assert rows(
        pg, "select status from conversations where conversation_id = %s", conversation_id
    ) == [{"status": "active"}]


def test_the_template_schedules_ingestion_every_minute() -> None:
    template = read_template(ROOT / "template.yaml")

    planned = {p.function.logical_id: p for p in plan(template.scheduled_functions)}

    ingestion = planned["IngestionFunction"]
    assert ingestion.schedule.expression == "rate(1 minute)"
    assert ingestion.function.timeout_s < LEASE_S  # a live run never loses its conversation


class SpentContext:
    """A Lambda context with no time left beyond the handler's safety margin."""

    def get_remaining_time_in_millis(self) -> int:
        return 40_000


def test_the_scheduled_handler_claims_nothing_once_its_time_budget_is_spent() -> None:
    spec = importlib.util.spec_from_file_location(
        "ingestion_app", ROOT / "functions/ingestion/app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    result = module.handler(
        {"source": "aws.events", "detail-type": "Scheduled Event"}, SpentContext()
    )

    assert result == {"claimed": 0, "processed": 0, "failed": 0, "conversations": []}
