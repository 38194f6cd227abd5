from __future__ import annotations

import json
from pathlib import Path

from accord.model.schema import agreement_json_schema, agreement_json_schema_text

COMMITTED = Path(__file__).parents[3] / "schemas" / "agreement.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text() == agreement_json_schema_text(), (
        "schemas/agreement.schema.json is stale: run "
        "`accord agreement schema > schemas/agreement.schema.json`"
    )


def test_schema_lists_the_enums_people_fill_in() -> None:
    schema = agreement_json_schema()
    defs = schema["$defs"]
    assert set(defs["Mode"]["enum"]) == {"routine", "one_off", "emergency"}
    assert "joint_controllers" in defs["Relationship"]["enum"]
    assert json.loads(json.dumps(schema))["required"][:2] == ["id", "title"]
