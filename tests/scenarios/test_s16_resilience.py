"""S16 at small scale: idempotent redelivery, manifests with counts and checksums, retry after a
partial failure without duplicates, and a full rebuild from source (rules.md §i S16)."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from accord.engine import RunResult, delivery, run_agreement
from accord.model import Agreement, example_document
from accord.refdata import Geography
from accord.synth import write_opt_outs, write_population, write_postcode_directory

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
SECRET = b"s16-scenario-instance-secret-001"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("s16")
    directory = folder / "nspl.parquet"
    write_postcode_directory(directory, postcodes=3000, seed=5)
    write_population(folder / "pop.parquet", rows=2500, seed=5, postcode_directory=directory)
    write_opt_outs(
        folder / "ndoo.parquet",
        population=folder / "pop.parquet",
        share=0.03,
        seed=5,
        version="NDOO-2026-03-19",
        list_date=NOW.date(),
    )
    geography = Geography.load(directory)
    codes = sorted(set(pc.unique(geography.authorities(on=NOW.date())["utla_code"]).to_pylist()))
    doc = example_document()
    template = doc["flows"][0]
    la = {k: v for k, v in doc["parties"][1].items() if k not in {"org_id", "name", "org_type"}}
    doc["parties"] = [doc["parties"][0]] + [
        {"org_id": f"gss:{c}", "name": c, "org_type": "la_unitary", **la} for c in codes
    ]
    doc["flows"] = [
        {
            **template,
            "id": f"spl-{c.lower()}",
            "recipient": f"gss:{c}",
            "transforms": [{"op": "pseudonymise", "field": "nhs_number"}],
        }
        for c in codes
    ]
    doc["opt_out_policy"] = {"apply_ndoo": True, "apply_type1": False, "rationale": "s251"}
    return {
        "folder": folder,
        "agreement": Agreement.model_validate(doc),
        "geography": geography,
    }


def _run(inputs: dict[str, Any], out: Path, backend: str = "duckdb") -> RunResult:
    folder = inputs["folder"]
    return run_agreement(
        inputs["agreement"],
        status="active",
        source=folder / "pop.parquet",
        out_dir=out,
        secret=SECRET,
        geography=inputs["geography"],
        now=NOW,
        opt_out_lists={"ndoo": folder / "ndoo.parquet"},
        backend=backend,
    )


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_redelivery_is_idempotent(inputs: dict[str, Any], tmp_path: Path) -> None:
    first = _run(inputs, tmp_path)
    before = _tree(tmp_path)
    second = _run(inputs, tmp_path)
    assert second.rerun and second.run_id == first.run_id
    assert _tree(tmp_path) == before


def test_manifests_carry_counts_and_checksums(inputs: dict[str, Any], tmp_path: Path) -> None:
    result = _run(inputs, tmp_path)
    assert result.opted_out_rows > 0 and result.opt_out_lists == {"ndoo": "NDOO-2026-03-19"}
    total = 0
    for d in result.deliveries:
        manifest = json.loads(d.manifest_path.read_bytes())
        extract = d.directory / "extract.parquet"
        assert manifest["rows"] == pq.read_metadata(extract).num_rows == d.rows
        assert (
            manifest["files"]["extract.parquet"] == hashlib.sha256(extract.read_bytes()).hexdigest()
        )
        assert manifest["opt_outs"]["lists"] == {"ndoo": "NDOO-2026-03-19"}
        total += manifest["opt_outs"]["rows_removed"]
    assert total == result.opted_out_rows


def test_partial_failure_retry_without_duplicates(
    inputs: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = delivery.publish
    published = {"n": 0}

    def flaky(staged: Path, final: Path) -> bool:
        published["n"] += 1
        if published["n"] == 40:
            raise OSError("network share went away")
        return real(staged, final)

    monkeypatch.setattr(delivery, "publish", flaky)
    with pytest.raises(OSError):
        _run(inputs, tmp_path)
    monkeypatch.setattr(delivery, "publish", real)
    result = _run(inputs, tmp_path)
    assert not result.rerun
    for d in result.deliveries:
        assert [p for p in d.directory.parent.iterdir() if p.is_dir()] == [d.directory]
        assert (d.directory.parent / "latest").read_text().strip() == result.run_id


def test_full_rebuild_from_source_gives_the_same_deliveries(
    inputs: dict[str, Any], tmp_path: Path
) -> None:
    first = _run(inputs, tmp_path / "a")
    shutil.rmtree(tmp_path / "a")
    rebuilt = _run(inputs, tmp_path / "a", backend="in_memory")
    assert [d.files for d in rebuilt.deliveries] == [d.files for d in first.deliveries]
    assert [d.manifest_sha256 for d in rebuilt.deliveries] == [
        d.manifest_sha256 for d in first.deliveries
    ]
