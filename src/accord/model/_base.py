"""The pydantic base every agreement part shares: strict about unknown fields, immutable."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)
