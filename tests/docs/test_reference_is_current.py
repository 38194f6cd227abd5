"""The generated reference pages under docs/reference/ match the code they come from."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord._internal import docs
from accord.engine import predicate

ROOT = Path(__file__).resolve().parents[2]
REGENERATE = "Regenerate with: .venv/bin/python -m accord._internal.docs (from the project root)"


@pytest.mark.parametrize("name", sorted(docs.PAGES))
def test_reference_page_is_current(name: str) -> None:
    path = ROOT / docs.REFERENCE / name
    expected = docs.generate(ROOT)[path]
    assert path.exists(), f"{path.relative_to(ROOT)} is missing. {REGENERATE}"
    assert path.read_text(encoding="utf-8") == expected, (
        f"{path.relative_to(ROOT)} is out of date. {REGENERATE}"
    )


def test_check_mode_names_a_stale_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert docs.main(["--root", str(tmp_path)]) == 0
    assert docs.main(["--check", "--root", str(tmp_path)]) == 0
    page = tmp_path / docs.REFERENCE / "gateways.md"
    page.write_text(page.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    capsys.readouterr()
    assert docs.main(["--check", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "gateways.md" in err and "cli.md" not in err
    assert "python -m accord._internal.docs" in err


def test_every_command_and_gateway_is_on_its_page() -> None:
    pages = docs.generate(ROOT)
    cli = pages[ROOT / docs.REFERENCE / "cli.md"]
    for command in ("accord exercise", "accord dispute raise", "accord ledger export"):
        assert f"## `{command}`" in cli
    assert "--instance-key" in cli
    gateways = pages[ROOT / docs.REFERENCE / "gateways.md"]
    assert "| `copi_reg3_4_notice` |" in gateways
    assert "Health Service (Control of Patient Information) Regulations 2002 reg 3(4)" in gateways
    assert "## DEA 2017 Part 5 objectives" in gateways
    assert "| `fuel_poverty` | Fuel poverty | `dea_psd` | 6-8, 10-21, 26-27" in gateways


def test_every_row_filter_function_and_attribute_is_described() -> None:
    page = docs.row_filter_reference()
    for name in predicate.FUNCTIONS:
        assert f"| `{name}(field)` |" in page
    for line in page.splitlines():
        if line.startswith("| `") and "(field)`" in line or "| `recipient." in line:
            assert not line.rstrip().endswith("| — |"), f"no description: {line}"


def test_help_text_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    first = docs.cli_reference()
    monkeypatch.setenv("COLUMNS", "40")
    monkeypatch.setenv("TERMINAL_WIDTH", "40")
    assert docs.cli_reference() == first


def test_rst_literal_blocks_become_fenced_code() -> None:
    text = "Intro ``x`` and :class:`~accord.errors.PredicateError`::\n\n    a := b\n\nAfter.\n"
    assert docs.rst_to_markdown(text) == (
        "Intro `x` and `PredicateError`:\n\n```text\na := b\n```\n\nAfter."
    )
