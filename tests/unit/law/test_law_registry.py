"""The law registry: built-ins load like a third party's files, every record is cited, and a bad
file fails loudly naming the file and the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from law_builders import agreement, document

from accord.errors import ConfigError, NotFound
from accord.law import LawRegistry, builtin_registry, check, default_registry
from accord.law.builtin import GATEWAY_DIR
from accord.law.findings import Severity
from accord.law.records import Cited

GATEWAY = yaml.safe_load((GATEWAY_DIR / "localism2011_s1.yaml").read_text())


def test_every_registered_record_has_a_citation_and_source_url():
    records = list(builtin_registry().records())
    assert len(records) > 100
    for record in records:
        assert isinstance(record, Cited)
        assert record.citation.strip(), record
        assert record.source_urls and record.source_url.startswith("http"), record


def test_builtin_gateways_cover_rules_md_b4():
    ids = {g.id for g in default_registry().gateways}
    assert {
        "copi_reg3",
        "copi_reg3_4_notice",
        "s251_reg5",
        "hsca2012_s261",
        "hsca2012_s251b",
        "dea_psd",
        "dea_debt",
        "dea_fraud",
        "dea_research",
        "cca_info_sharing",
        "duaa_rli_emergency",
        "cda1998_s115",
    } <= ids
    assert "hsca2012_s259" in ids
    assert len(ids) == 23


def test_a_third_party_gateway_is_a_file(tmp_path: Path):
    own = dict(GATEWAY, id="my_local_act_s5", title="My Local Act s5")
    (tmp_path / "my_local_act_s5.yaml").write_text(yaml.safe_dump(own))
    registry = builtin_registry()
    registry.add_gateway_directory(tmp_path)
    registry.freeze()
    doc = document(legal_basis={"gateways": ["my_local_act_s5"]})
    findings = check(agreement(doc), at=date(2026, 3, 16), registry=registry)
    assert findings.blocking == []
    (used,) = findings.by_code("gateway.used")
    assert used.message.startswith("My Local Act s5")
    unknown = check(agreement(doc), at=date(2026, 3, 16))
    assert unknown.blocking.codes == ["gateway.unknown"]


def test_a_gateway_without_a_source_url_is_refused_naming_file_and_field(tmp_path: Path):
    bad = dict(GATEWAY, id="no_source", source_urls=[])
    (tmp_path / "no_source.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError) as err:
        builtin_registry().add_gateway_directory(tmp_path)
    assert [p.where for p in err.value.problems] == ["no_source.yaml: source_urls"]


def test_a_gateway_without_a_citation_is_refused(tmp_path: Path):
    bad = {k: v for k, v in GATEWAY.items() if k != "citation"} | {"id": "uncited"}
    (tmp_path / "uncited.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError) as err:
        builtin_registry().add_gateway_directory(tmp_path)
    assert err.value.problems[0].where == "uncited.yaml: citation"


def test_unknown_precondition_and_misnamed_file_are_refused(tmp_path: Path):
    bad = dict(GATEWAY, id="odd", preconditions=[{"check": "no_such_check"}])
    (tmp_path / "odd.yaml").write_text(yaml.safe_dump(bad))
    with pytest.raises(ConfigError, match="unknown precondition"):
        builtin_registry().add_gateway_directory(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "wrong_name.yaml").write_text(yaml.safe_dump(dict(GATEWAY, id="right_name")))
    with pytest.raises(ConfigError, match="holds gateway"):
        builtin_registry().add_gateway_directory(other)


def test_duplicate_gateway_and_frozen_registry_are_refused():
    registry = builtin_registry()
    with pytest.raises(ConfigError, match="registered twice"):
        registry.add_gateway(registry.gateway("copi_reg3"))
    with pytest.raises(ConfigError, match="frozen"):
        default_registry().add_gateway(registry.gateway("copi_reg3"))
    with pytest.raises(NotFound):
        registry.gateway("nope")


def test_a_bad_data_file_names_the_record_and_field(tmp_path: Path):
    (tmp_path / "art6.yaml").write_text(yaml.safe_dump([{"basis": "z", "title": "x"}]))
    registry = LawRegistry()
    with pytest.raises(ConfigError) as err:
        registry.add_data_directory(tmp_path)
    wheres = {p.where for p in err.value.problems}
    assert "art6.yaml: 0: basis" in wheres
    assert "art6.yaml: 0: citation" in wheres


def test_dangling_references_are_found_on_freeze():
    registry = LawRegistry()
    registry.add_data_directory(GATEWAY_DIR.parent / "data")
    with pytest.raises(ConfigError, match="dangling") as err:
        registry.freeze()
    assert any("unknown gateway dea_psd" in p.reason for p in err.value.problems)


def test_sch1_paragraphs_needing_an_apd():
    reg = default_registry()
    assert reg.sch1(1).apd_required and not reg.sch1(2).apd_required
    assert not reg.sch1(3).apd_required and not reg.sch1(4).apd_required
    assert reg.sch1(18).apd_required and reg.sch1(18).confidence in {"P", "GK"}
    assert reg.art9("g").sch1_paragraphs == list(range(6, 29))


def test_severity_values_are_the_documented_strings():
    assert [s.value for s in Severity] == ["blocking", "warning", "info"]
