"""DEA 2017 Part 5: each objective admits only the persons SI 2018/912 Sch para 1(2) specifies
for it (paragraphs of DEA Sch 4), an allow and a block case per objective; the debt and fraud
chapters rely on the party's own record; every objective cites the live DEA register."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from law_builders import agreement, document, merge

from accord.errors import ConfigError
from accord.law import check, default_registry
from accord.law.records import DeaObjective
from accord.law.registry import parse_record

AT = date(2026, 3, 16)
MOD = {"org_id": "gov-org:ministry-of-defence", "name": "Ministry of Defence"}
PSD = ("multiple_disadvantages", "tv_retuning", "fuel_poverty", "water_poverty",
       "scottish_early_learning_and_childcare")  # fmt: skip


def share(objective: str, recipient: str, **recipient_changes: Any) -> dict[str, Any]:
    doc = document("central_department", recipient)  # DWP (Sch 4 para 7) discloses
    for p in doc["parties"]:
        p["dea_specified_person"] = [objective]
    doc["parties"][1].update(recipient_changes)
    doc["flows"][0]["recipient"] = doc["parties"][1]["org_id"]
    doc["rights"]["privacy_notice_urls"] = {
        p["org_id"]: "https://example.org/privacy" for p in doc["parties"]
    }
    gateway = {"public_sector_debt": "dea_debt", "public_sector_fraud": "dea_fraud"}
    basis = {"gateways": [gateway.get(objective, "dea_psd")], "dea_objective": objective}
    change = {
        "legal_basis": basis,
        "transparency": {"dea_register_id": "ISA-9"},
    }
    return merge(doc, change)


def schedule4(doc: dict[str, Any]) -> list[str]:
    return [
        f.field
        for f in check(agreement(doc), at=AT).blocking
        if f.code in {"dea.schedule4", "dea.not-specified"}
    ]


# (objective, allowed recipient, refused recipient), each read from SI 2018/912 Sch para 1(2);
# the discloser is DWP (Sch 4 para 7, on every list), so its allow case is checked in each.
CASES = [
    # paras 1-5, 7-8, 10-16, ...: the MoD (para 2) yes; a body accord recognises on no
    # paragraph of the list (the Care Quality Commission) is refused.
    ("multiple_disadvantages", ("central_department", MOD), ("alb", {})),
    # paras 2, 7, 11-17, ...: councils yes; the police are not recognised on it.
    ("tv_retuning", ("la_london_borough", {}), ("police", {})),
    # paras 6-8, 10-21, ...: the London boroughs (13) yes; the MoD (2) no.
    ("fuel_poverty", ("la_london_borough", {}), ("central_department", MOD)),
    # paras 7-8, 10-17, ...: a unitary council (11, 12) yes; the MoD (2) no.
    ("water_poverty", ("la_unitary", {}), ("central_department", MOD)),
    # paras 7, 10, 49, 50: DWP yes (the discloser); a London borough (13) no.
    ("scottish_early_learning_and_childcare", None, ("la_london_borough", {})),
]  # fmt: skip


@pytest.mark.parametrize(("objective", "allowed", "refused"), CASES, ids=[c[0] for c in CASES])
def test_each_objective_admits_only_its_schedule4_persons(objective, allowed, refused) -> None:
    if allowed is not None:
        kind, changes = allowed
        assert schedule4(share(objective, kind, **changes)) == [], objective
    kind, changes = refused
    findings = check(agreement(share(objective, kind, **changes)), at=AT).blocking
    (finding,) = [f for f in findings if f.code == "dea.schedule4"]  # DWP itself is not refused
    record = default_registry().dea_objective(objective)
    assert record is not None
    assert finding.field == "parties.1"
    assert f"Sch 4 paras {record.paragraphs_text}" in finding.message


def test_the_lists_are_the_regulations_lists() -> None:
    reg = default_registry()
    text = {o: reg.dea_objective(o).paragraphs_text for o in PSD}  # type: ignore[union-attr]
    assert text == {
        "multiple_disadvantages": "1-5, 7-8, 10-16, 18-25, 29-34, 40-47 and 49-51",
        "tv_retuning": "2, 7, 11-17, 29-34, 47 and 50",
        "fuel_poverty": "6-8, 10-21, 26-27, 29-34, 40, 42-47 and 49-50",
        "water_poverty": "7-8, 10-17, 27, 29-34 and 42-47",
        "scottish_early_learning_and_childcare": "7, 10 and 49-50",
    }
    for o in reg.dea_objectives:
        assert "https://www.digital-economy-act-register.data.gov.uk" in o.source_urls
        assert not any("registers.service.gov.uk" in u for u in o.source_urls)
        assert "legislation.gov.uk" in o.source_url


@pytest.mark.parametrize("objective", ["public_sector_debt", "public_sector_fraud"])
def test_debt_and_fraud_rely_on_the_partys_record(objective: str) -> None:
    assert schedule4(share(objective, "la_unitary")) == []
    doc = share(objective, "la_unitary")
    doc["parties"][1]["dea_specified_person"] = ["multiple_disadvantages"]
    assert schedule4(doc) == ["parties.1.dea_specified_person"]


def test_a_body_off_its_objectives_list_is_refused_when_the_law_is_loaded() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_record(
            DeaObjective,
            {"id": "x_objective", "title": "X", "gateway": "dea_psd", "citation": "SI 2018/912",
             "source_urls": ["https://www.legislation.gov.uk/"], "confidence": "P",
             "schedule4_paragraphs": [7],
             "specified_persons": [{"paragraph": 13, "title": "A London borough council"}]},
            source="dea_objectives.yaml: 0",
        )  # fmt: skip
    assert "not on the list" in caught.value.problems[0].reason
