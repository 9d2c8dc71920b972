"""Persona analysis, every hour: people not analysed for a day, oldest first, within the budget."""

from typing import Any

from dotline.bootstrap import deps
from dotline.jobs import job
from dotline.services.persona import persona

# Stop starting new people this long before the function's timeout: one analysis must finish.
SAFETY_MARGIN_S = 30.0


def analyse(event: dict[str, Any], context: Any) -> dict[str, Any]:
    budget_s = context.get_remaining_time_in_millis() / 1000 - SAFETY_MARGIN_S
    return persona.analyse_due(deps().db, deps().embedder, budget_s=budget_s)


handler = job(
    "persona_analysis",
    analyse,
    counts={"analysed": "PersonasAnalysed", "failed": "PersonaAnalysisFailures"},
)
