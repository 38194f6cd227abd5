from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord.errors import AgreementInvalid, InputError
from accord.model import dump_yaml, example_agreement, example_document, load_agreement


def test_yaml_round_trip(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(dump_yaml(example_agreement()))
    assert load_agreement(f) == example_agreement()


def test_json_is_read_too(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text(json.dumps(example_document()))
    assert load_agreement(f).id == example_agreement().id


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("id: x\ntitle: [unclosed\n")
    with pytest.raises(AgreementInvalid) as info:
        load_agreement(f)
    assert info.value.problems[0].where.startswith("line ")


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "a.json"
    f.write_text('{"id": "x",\n "title": }')
    with pytest.raises(AgreementInvalid) as info:
        load_agreement(f)
    assert info.value.problems[0].where == "line 2, column 11"


def test_a_list_is_not_an_agreement(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text("- 1\n- 2\n")
    with pytest.raises(AgreementInvalid, match="not a valid agreement"):
        load_agreement(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_agreement(tmp_path / "nope.yaml")
