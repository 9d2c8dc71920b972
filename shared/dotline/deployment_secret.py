"""The deployment secret: one JSON object in Secrets Manager, read through Powertools Parameters.

Powertools keeps each reading for `max_age_s` and hands back the same object until then, so a
caller can tell a fresh reading by identity; after that a rotated secret is picked up without a
redeploy. boto3 (which Parameters needs) is imported on the first reading only.
"""

from __future__ import annotations

import logging
from typing import Any

from dotline.errors import Misconfigured

logger = logging.getLogger(__name__)


def read_secret(secret_id: str, max_age_s: int) -> dict[str, Any]:
    """The secret's keys and values; Misconfigured (logged, without values) when it cannot be
    read or is not a JSON object."""
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_secret(secret_id, transform="json", max_age=max_age_s)
    except (parameters.GetParameterError, parameters.TransformParameterError) as exc:
        # Both name the secret and the AWS error code; neither carries the secret's content.
        logger.error("deployment secret unreadable", extra={"error": type(exc).__name__})
        raise Misconfigured("This service is not configured to serve requests.") from exc
    if not isinstance(value, dict):
        logger.error("deployment secret is not a JSON object", extra={"secret": secret_id})
        raise Misconfigured("This service is not configured to serve requests.")
    return value
