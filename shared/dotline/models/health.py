"""What GET /health answers once the deployment can serve."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Health(BaseModel):
    """Settings safe, and each store named here answered a round trip."""

    status: Literal["ok"]
    checked: list[str]
