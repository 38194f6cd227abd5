"""Deliveries: atomic, idempotent, manifests that match their files, nothing secret inside."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pytest
from engine_helpers import POP, SECRET, run, tree, write_csv

from accord.engine import delivery as dl
from accord.engine import extracts
from accord.engine.pseudonym import derive_key


@pytest.mark.parametrize("backend", ["in_memory", "duckdb"])
def test_rerun_is_idempotent_and_byte_identical(tmp_path: Path, backend: str) -> None:
    source = write_csv(tmp_path / "s.csv", POP)
    first = run(tmp_path, source, backend=backend)
    before = tree(tmp_path / "out")
    again = run(tmp_path, source, backend=backend)
    assert again.rerun and not first.rerun
    assert again.run_id == first.run_id
    assert again.deliveries == first.deliveries
    assert tree(tmp_path / "out") == before


def test_same_inputs_elsewhere_give_the_same_bytes(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "s.csv", POP)
    a = run(tmp_path / "a", source)
    b = run(tmp_path / "b", source, backend="in_memory")
    assert [d.files for d in a.deliveries] == [d.files for d in b.deliveries]
    assert [d.manifest_sha256 for d in a.deliveries] == [d.manifest_sha256 for d in b.deliveries]


def test_manifest_lists_counts_and_true_file_hashes(tmp_path: Path) -> None:
    result = run(tmp_path, write_csv(tmp_path / "s.csv", POP))
    d = result.delivery("spl-e06000002")
    manifest = json.loads(d.manifest_path.read_bytes())
    assert manifest["rows"] == d.rows == 2
    assert manifest["agreement"]["id"] == result.agreement_id
    assert manifest["agreement"]["hash"] == result.agreement_hash
    assert manifest["recipient"] == "gss:E06000002"
    assert manifest["exceptions"] == result.exception_rows == 1
    assert manifest["created"] == "2026-03-20T09:00:00+00:00"
    assert [c["name"] for c in manifest["columns"]] == [
        "nhs_number",
        "given_name",
        "family_name",
        "date_of_birth",
        "postcode",
        "phone",
    ]
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((d.directory / name).read_bytes()).hexdigest() == digest
    assert hashlib.sha256(d.manifest_path.read_bytes()).hexdigest() == d.manifest_sha256
    assert (d.directory.parent / "latest").read_text().strip() == result.run_id


def test_no_key_no_absolute_path_and_no_exception_values_written(tmp_path: Path) -> None:
    result = run(tmp_path, write_csv(tmp_path / "s.csv", POP))
    keys = [
        derive_key(SECRET, agreement_id=result.agreement_id, key_id=f"recipient:{d.recipient}")
        for d in result.deliveries
    ]
    for name, data in tree(tmp_path / "out").items():
        for secret in [SECRET, *keys, *(k.hex().encode() for k in keys)]:
            assert secret not in data, name
        assert str(tmp_path).encode() not in data, name
    exceptions = extracts.read_extract(result.exceptions_path, "parquet")
    assert exceptions.schema.names == ["row_number", "reason"]
    assert exceptions.to_pylist() == [{"row_number": 4, "reason": "not_in_directory:postcode"}]


def test_crash_while_writing_leaves_no_visible_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "s.csv", POP)
    real = extracts.write_extract
    calls = {"n": 0}

    def failing(
        path: Path, reader: pa.RecordBatchReader, fmt: str, **options: object
    ) -> extracts.Written:
        calls["n"] += 1
        if calls["n"] == 3:  # exceptions, first extract, then crash on the second extract
            raise OSError("disk full")
        return real(path, reader, fmt, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(dl, "write_extract", failing)
    with pytest.raises(OSError):
        run(tmp_path, source)
    out = tmp_path / "out"
    assert not (out / "deliveries").exists() or not any((out / "deliveries").rglob("*.parquet"))
    assert not any((out / ".staging").iterdir())
    monkeypatch.setattr(dl, "write_extract", real)
    result = run(tmp_path, source)
    assert not result.rerun and sum(d.rows for d in result.deliveries) == 3


def test_crash_while_publishing_is_completed_by_a_rerun_without_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "s.csv", POP)
    real = dl.write_pointer

    def failing(folder: Path, run_id: str) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(dl, "write_pointer", failing)
    with pytest.raises(OSError):
        run(tmp_path, source)
    monkeypatch.setattr(dl, "write_pointer", real)
    result = run(tmp_path, source)
    assert not result.rerun
    for d in result.deliveries:
        runs = [p for p in d.directory.parent.iterdir() if p.is_dir()]
        assert runs == [d.directory]
        assert (d.directory.parent / "latest").read_text().strip() == result.run_id
