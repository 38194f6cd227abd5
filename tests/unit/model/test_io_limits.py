"""The agreement loader never crashes (issue 22.9): a value of the wrong kind and nesting far
deeper than any agreement needs are clear AgreementInvalid errors, exit 2 from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.cli import main
from accord.errors import AgreementInvalid
from accord.model import example_document, load_agreement_text
from accord.model.io import MAX_DEPTH


@pytest.mark.parametrize("kind", [[], ["string"], {}, 7, None, True])
def test_a_table_schema_type_of_the_wrong_kind_is_invalid(kind: object) -> None:
    doc = example_document()
    doc["data_items"][0]["table_schema"] = {"type": kind}
    with pytest.raises(AgreementInvalid) as err:
        load_agreement_text(json.dumps(doc), source="a.json")
    assert [p.where for p in err.value.problems] == ["data_items.0"]
    assert "table_schema.type" in err.value.problems[0].reason


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("[" * 100_000 + "]" * 100_000, "deep.json"),
        ('{"a": ' * 100_000 + "1" + "}" * 100_000, "deep.json"),
        ("[" * 100_000 + "]" * 100_000, "deep.yaml"),
        ("".join(" " * i + "a:\n" for i in range(3_000)), "deep.yaml"),
    ],
    ids=["json-lists", "json-objects", "yaml-flow", "yaml-block"],
)
def test_a_document_nested_100000_deep_is_invalid(text: str, source: str) -> None:
    with pytest.raises(AgreementInvalid, match="nested too deeply"):
        load_agreement_text(text, source=source)


def test_deep_nesting_inside_a_valid_document_is_invalid() -> None:
    doc = example_document()
    node: dict[str, object] = {"type": "string"}
    doc["data_items"][0]["table_schema"] = node
    for _ in range(MAX_DEPTH):
        child: dict[str, object] = {}
        node["x"] = child
        node = child
    with pytest.raises(AgreementInvalid) as err:
        load_agreement_text(json.dumps(doc), source="a.json")
    assert err.value.problems[0].reason == f"more than {MAX_DEPTH} levels of lists and mappings"


def test_validate_exits_2_on_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = example_document()
    doc["data_items"][0]["table_schema"] = {"type": []}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for name in ("a.json", "deep.json"):
        assert main(["agreement", "validate", str(tmp_path / name)], {}) == 2
        assert "Traceback" not in capsys.readouterr().err
