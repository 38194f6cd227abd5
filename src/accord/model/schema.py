"""The JSON Schema of an agreement document, generated from the models.

The committed copy lives at ``schemas/agreement.schema.json``; a test fails when it is stale.
Regenerate it with ``accord agreement schema > schemas/agreement.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from accord.model.agreement import Agreement

SCHEMA_ID = "https://accord.invalid/schemas/agreement.schema.json"


def agreement_json_schema() -> dict[str, Any]:
    schema = Agreement.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def agreement_json_schema_text() -> str:
    return json.dumps(agreement_json_schema(), indent=2, sort_keys=True) + "\n"
