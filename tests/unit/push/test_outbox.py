"""The outbox: a recipient's collector sees a whole delivery or none, and a re-write changes
nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import PushError
from accord.push import outbox


def _delivery(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"files":{"extract.csv":"00"},"rows":2}')
    (folder / "extract.csv").write_text("a\n1\n2\n")
    (folder / "persons.parquet").write_text("the discloser's index: never delivered")
    (folder / ".hidden").write_text("not delivered")
    return folder


def test_a_delivery_lands_whole_under_its_recipient(tmp_path) -> None:
    src = _delivery(tmp_path / "d")
    placed = outbox.write(tmp_path / "outbox", "gss:E06000002", "agr__flow__run1", src)
    assert placed == tmp_path / "outbox" / "gss_E06000002" / "agr__flow__run1"
    assert sorted(p.name for p in placed.iterdir()) == ["extract.csv", "manifest.json"]
    assert (placed / "extract.csv").read_text() == "a\n1\n2\n"
    assert list((placed.parent / ".staging").iterdir()) == []


def test_writing_again_leaves_the_delivery_as_it_is(tmp_path) -> None:
    src = _delivery(tmp_path / "d")
    first = outbox.write(tmp_path / "o", "r", "n", src)
    (src / "extract.csv").write_text("changed")
    assert outbox.write(tmp_path / "o", "r", "n", src) == first
    assert (first / "extract.csv").read_text() == "a\n1\n2\n"


def test_a_copy_cut_off_earlier_is_started_again_not_published(tmp_path) -> None:
    src = _delivery(tmp_path / "d")
    half = tmp_path / "o" / "r" / ".staging" / "n"
    half.mkdir(parents=True)
    (half / "extract.csv").write_text("a\n1\n")  # a crash mid-copy left this
    placed = outbox.write(tmp_path / "o", "r", "n", src)
    assert (placed / "extract.csv").read_text() == "a\n1\n2\n"


def test_a_write_that_fails_publishes_nothing_and_says_where(tmp_path) -> None:
    src = _delivery(tmp_path / "d")
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "r").write_text("a file where the recipient's folder should be")
    with pytest.raises(PushError) as caught:
        outbox.write(tmp_path / "o", "r", "n", src)
    assert "outbox: " in caught.value.diagnostics()
    assert "writing under" in caught.value.diagnostics()
    assert not (tmp_path / "o" / "r").is_dir()
