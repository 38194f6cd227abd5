"""Engine conformance: every clause and transform gives the same delivery on every engine.

In the spirit of ehrQL's spec tests, each case in ``engine_cases.py`` is one agreement whose
flows each exercise one clause of the row-filter language, one transform, one check or one
opt-out rule. Every engine in ``tests/engines.py`` runs it; each must deliver, against the
in-memory reference:

- the same rows per recipient, compared after the canonical sort (every column in extract
  order, a missing value first), and in fact in the same order (source row number);
- the same manifests (row counts, columns, missing values, opt-out and exception counts, and
  the SHA-256 of every file: the engines share one deterministic writer, so the bytes agree);
- the same pseudonyms, which are also checked against HMAC-SHA256 computed here;
- the same exceptions and the same run totals;
- on a second run with changed inputs, the same deltas;
- with the person-index key and people suppressed by keyed hash, the same index files beside
  each delivery (``persons.parquet`` or ``persons.json``, byte for byte), the same
  ``rights_removed`` counts, and no suppressed person delivered.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from engine_cases import CASES, PEOPLE, RECIPIENTS, Case, person  # beside this file
from engine_spec import NOW, POSTCODES, SECRET, read_delivery  # tests/spec (see conftest.py)
from engines import REFERENCE

from accord.engine import RunResult, derive_key, persons, pseudonym, run_agreement
from accord.engine.transforms import value_text


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(case: Case, engine: str, folder: Path, rows=None, previous=None, **kw: Any) -> RunResult:
    folder.mkdir(parents=True, exist_ok=True)
    source = _write(folder / f"source-{previous or 0}.csv", rows or case.rows)
    lists = {k: _write(folder / f"{k}.csv", v) for k, v in case.lists.items()}
    return run_agreement(
        case.agreement(),
        status="active",
        source=source,
        out_dir=folder / "out",
        secret=SECRET,
        geography=POSTCODES,
        now=NOW,
        opt_out_lists=lists or None,
        backend=engine,
        previous=previous,
        **kw,
    )


def canonical(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stated canonical order: by every column in extract order, a missing value first."""
    return sorted(rows, key=lambda r: [(v is not None, str(v)) for v in r.values()])


def delivered(result: RunResult) -> dict[str, Any]:
    """Everything a recipient and the discloser see of a run, per flow, comparable."""
    out: dict[str, Any] = {
        "totals": [
            result.input_rows,
            result.exception_rows,
            result.exceptions_by_reason,
            result.opted_out_rows,
            result.not_entitled_rows,
            result.delivered_rows,
        ],
        "exceptions": pq.read_table(result.exceptions_path).to_pylist(),
    }
    for d in result.deliveries:
        rows = read_delivery(result, d.flow_id).to_pylist()
        out[d.flow_id] = {
            "rows": rows,
            "canonical": canonical(rows),
            "manifest": json.loads(d.manifest_path.read_bytes()),
            "files": d.files,
        }
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Each case run once on the reference engine."""
    root = tmp_path_factory.mktemp("reference")
    return {case.id: delivered(_run(case, REFERENCE, root / case.id)) for case in CASES}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], RunResult]:
    """Runs already made in this module, by (engine, case id), so no case runs twice."""
    return {}


def _cached(runs, case: Case, engine: str, tmp_path: Path) -> RunResult:
    if (engine, case.id) not in runs:
        runs[engine, case.id] = _run(case, engine, tmp_path)
    return runs[engine, case.id]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_delivers_what_the_reference_delivers(
    engine: str, case: Case, reference: dict[str, dict[str, Any]], runs, tmp_path: Path
) -> None:
    want = reference[case.id]
    got = delivered(_cached(runs, case, engine, tmp_path))
    assert got["totals"] == want["totals"]
    assert got["exceptions"] == want["exceptions"]
    for fp in case.flows:
        fid = fp["id"]
        assert got[fid]["canonical"] == want[fid]["canonical"], f"clause {fid}"
        assert got[fid]["rows"] == want[fid]["rows"], f"order of {fid}"
        assert got[fid]["manifest"] == want[fid]["manifest"], f"manifest of {fid}"
    # Something was delivered and something was not, so a case cannot pass by delivering
    # nothing (or everything) on every engine.
    sizes = {len(got[f["id"]]["rows"]) for f in case.flows}
    assert sizes != {0}


def test_reference_cases_are_not_vacuous(reference: dict[str, dict[str, Any]]) -> None:
    """Spot checks of the reference itself, so the suite compares engines on real behaviour."""
    logic = reference["lists-and-logic"]
    assert len(logic["f-true"]["rows"]) == len(PEOPLE)
    assert logic["f-false"]["rows"] == [] and logic["f-not-true"]["rows"] == []
    # A missing score is unknown: "not score > 100" does not deliver the person without one.
    assert len(logic["f-not-unknown"]["rows"]) == len(PEOPLE) - 1
    functions = reference["functions"]
    assert [r["nhs_number"] for r in functions["f-age-ge"]["rows"]][:2] == [
        PEOPLE[0]["nhs_number"],
        PEOPLE[1]["nhs_number"],
    ]
    validation = reference["validation"]
    assert len(validation["f-validation"]["rows"]) == validation["totals"][5] == 11
    # every impossible day and time of the validation rows is an exception (23 before them)
    assert validation["totals"][1] == len(validation["exceptions"]) == 30
    optouts = reference["opt-outs"]
    assert optouts["totals"][3] == 3
    transforms = reference["transforms"]
    assert {r["date_of_birth"] for r in transforms["f-age-band-10"]["rows"]} == {
        "70-79",
        "60-69",
        "90+",
        "0-9",
        None,
    }


def test_pseudonyms_are_hmac_under_the_recipient_key(engine: str, runs, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "transforms")
    result = _cached(runs, case, engine, tmp_path)
    a = case.agreement()
    key = derive_key(SECRET, agreement_id=a.id, key_id=f"recipient:{RECIPIENTS[0]}")
    for fid, field, values in [
        ("f-pseudonymise", "nhs_number", [p["nhs_number"] for p in PEOPLE]),
        ("f-pseudonymise-text", "given_name", [p["given_name"] for p in PEOPLE]),
        ("f-pseudonymise-integer", "score", [p["score"] or None for p in PEOPLE]),
    ]:
        got = read_delivery(result, fid).column(field).to_pylist()
        want = [None if v is None else pseudonym(key, value_text(int(v) if field == "score" else v))
                for v in values]  # fmt: skip
        assert got == want, fid


def test_deltas_are_the_same_on_every_engine(engine: str, tmp_path: Path) -> None:
    """A second run against the first: additions and removals agree with the reference."""
    case = next(c for c in CASES if c.id == "functions")
    changed = [*PEOPLE[1:], person(6, "SE10 9AA", group="B")]
    outcomes = []
    for name in (REFERENCE, engine):
        first = _run(case, name, tmp_path / name)
        second = _run(case, name, tmp_path / name, rows=changed, previous=first.run_id)
        outcomes.append(
            {
                d.flow_id: (d.additions, d.removals, d.files, d.manifest_sha256)
                for d in second.deliveries
            }
        )
    assert outcomes[0] == outcomes[1]
    assert any(adds or rems for adds, rems, _, _ in outcomes[0].values())


PERSON_KEY = b"conformance-person-index-key-001"


@pytest.mark.parametrize("case_id", ["transforms", "opt-outs", "csv-delivery"])
def test_the_person_index_and_suppressions_are_the_same_on_every_engine(
    engine: str, case_id: str, tmp_path: Path
) -> None:
    case = next(c for c in CASES if c.id == case_id)
    gone = [PEOPLE[0]["nhs_number"], PEOPLE[3]["nhs_number"]]
    rights = [persons.person_hash(PERSON_KEY, n) for n in gone]
    outcomes = []
    for name in dict.fromkeys((REFERENCE, engine)):
        result = _run(case, name, tmp_path / name, person_key=PERSON_KEY, rights=rights)
        seen = delivered(result)
        per_flow = {}
        for d in result.deliveries:
            files = {
                n: (d.directory / n).read_bytes()
                for n in (persons.INDEX, persons.KEY_RECORD)
                if (d.directory / n).is_file()
            }
            assert len(files) == 1, d.flow_id  # hashed, or its own index: one or the other
            manifest = seen[d.flow_id]["manifest"]
            assert manifest["opt_outs"]["lists"]["rights"].startswith("sha256:")
            people = pq.read_table(persons.index_delivery(d.directory, PERSON_KEY))["person"]
            assert not set(people.to_pylist()) & set(rights), d.flow_id
            numbers = {r.get("nhs_number") for r in seen[d.flow_id]["rows"]}
            assert not numbers & set(gone), d.flow_id
            per_flow[d.flow_id] = (files, manifest, d.manifest_sha256)
        outcomes.append((seen["totals"], per_flow))
    assert outcomes[0] == outcomes[-1]
    removed = [m["opt_outs"]["rights_removed"] for _, m, _ in outcomes[0][1].values()]
    assert any(removed)  # a suppressed person was routed somewhere, and removed there
