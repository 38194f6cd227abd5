"""The example agreement files in examples/ are generated from the templates and stay lawful."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accord.law import check
from accord.model import dump_yaml, load_agreement
from accord.playbook import instantiate, list_templates
from accord.playbook.examples import example_inputs

EXAMPLES = Path(__file__).parents[3] / "examples"
NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("template_id", [t.id for t in list_templates()])
def test_example_file_is_the_template_output(template_id):
    path = EXAMPLES / f"{template_id}.yaml"
    expected = instantiate(template_id, **example_inputs(template_id, NOW))
    assert path.read_text(encoding="utf-8") == dump_yaml(expected)
    assert check(load_agreement(path), at=NOW).blocking == []
