"""Exports of the public register: CSV, JSON, the DEA register's 18 fields, and per agreement
an ODRL 2.2 policy and a DCAT dataset description, both as JSON-LD.

Every export is made from register rows (:mod:`accord.register.rows`) or from the published
agreement version, never from anything typed in. CSV is RFC 4180 through the ``csv`` module;
list-valued columns are joined with ``"; "``.

ODRL mapping (domain/rules.md §a.4): each discloser is an ``assigner`` and each flow's recipient
the ``assignee``; the permission is ``use`` of the flow's extract, constrained by purpose and by
``dateTime`` up to the flow's end (or the agreement's review date); a ``delete`` duty falls due
when the retention period has elapsed; ``distribute`` is prohibited when onward sharing is.

>>> from accord.model import example_agreement
>>> policy = odrl_policy(example_agreement())
>>> policy["@type"], policy["permission"][0]["action"], policy["prohibition"][0]["action"]
('Agreement', 'use', 'distribute')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from typing import Any

from accord.model import Agreement, Flow
from accord.model.enums import Mode, OnwardSharing, PartyRole, PurposeCategory
from accord.register.rows import COLUMNS, RegisterRow

ODRL_CONTEXT = "http://www.w3.org/ns/odrl.jsonld"
XSD = "http://www.w3.org/2001/XMLSchema#"
ONS_GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"

# The DEA Part 5 register's 18 fields, in its order (domain/rules.md §a.2).
DEA_FIELDS: tuple[str, ...] = (
    "Information sharing agreement ID",
    "Name",
    "Purpose",
    "Information sharing benefits",
    "Legal power disclosure",
    "Disclosed information",
    "Controllers",
    "Controller names",
    "Information sharing method",
    "Processors",
    "Processor names",
    "Retention period",
    "Start date",
    "End date",
    "Review date",
    "Contact",
    "Areas",
    "Area names",
)

# W3C DPV purposes where one fits; accord's own purpose URNs otherwise.
_DPV = "https://w3id.org/dpv#"
_PURPOSE_IRIS = {
    PurposeCategory.research: _DPV + "ResearchAndDevelopment",
    PurposeCategory.fraud: _DPV + "FraudPreventionAndDetection",
    PurposeCategory.service_delivery: _DPV + "ServiceProvision",
}
_MEDIA_TYPES = {"parquet": "application/vnd.apache.parquet", "csv": "text/csv"}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def rows_csv(rows: Iterable[RegisterRow]) -> str:
    """The register as CSV: a header of :data:`COLUMNS`, then one line per row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.as_dict()
        writer.writerow([_cell(data[c]) for c in COLUMNS])
    return out.getvalue()


def rows_json(rows: Iterable[RegisterRow]) -> dict[str, Any]:
    """The register as JSON data: the column list and each row's columns."""
    return {"columns": list(COLUMNS), "rows": [r.as_dict() for r in rows]}


def _by_agreement(rows: Iterable[RegisterRow]) -> dict[str, list[RegisterRow]]:
    grouped: dict[str, list[RegisterRow]] = {}
    for row in rows:
        if not row.withheld and row.agreement_id:
            grouped.setdefault(row.agreement_id, []).append(row)
    return grouped


def _union(values: Iterable[Iterable[str]]) -> list[str]:
    seen: dict[str, None] = {}
    for group in values:
        for v in group:
            seen.setdefault(v, None)
    return list(seen)


def dea_record(rows: Sequence[RegisterRow]) -> dict[str, str]:
    """One agreement in the DEA register's 18 fields, from its published flow rows."""
    first = rows[0]
    controllers = [(i, n) for i, n, role in first.parties if role != PartyRole.processor.value]
    processors = [(i, n) for i, n, role in first.parties if role == PartyRole.processor.value]
    starts = sorted(r.start_date for r in rows if r.start_date)
    ends = [r.end_date for r in rows if r.end_date]
    return {
        "Information sharing agreement ID": first.agreement_id or "",
        "Name": first.name or "",
        "Purpose": first.plain_english_purpose or "",
        "Information sharing benefits": first.benefits_expected or "",
        "Legal power disclosure": "; ".join(first.legal_gateway),
        "Disclosed information": "; ".join(_union(r.data_categories for r in rows)),
        "Controllers": "; ".join(i for i, _ in controllers),
        "Controller names": "; ".join(n for _, n in controllers),
        "Information sharing method": "; ".join(
            _union([r.sharing_method] for r in rows if r.sharing_method)
        ),
        "Processors": "; ".join(i for i, _ in processors),
        "Processor names": "; ".join(n for _, n in processors),
        "Retention period": first.retention_period or "",
        "Start date": (starts[0] if starts else "")[:10],
        "End date": (max(ends) if len(ends) == len(rows) else "")[:10],
        "Review date": first.review_date or "",
        "Contact": first.contact or "",
        "Areas": "; ".join(_union(r.areas for r in rows)),
        "Area names": "; ".join(_union(r.area_names for r in rows)),
    }


def dea_records(rows: Iterable[RegisterRow]) -> list[dict[str, str]]:
    """Every published agreement in the DEA register's 18 fields (withheld rows left out)."""
    return [dea_record(group) for group in _by_agreement(rows).values()]


def dea_csv(rows: Iterable[RegisterRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DEA_FIELDS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(dea_records(rows))
    return out.getvalue()


# -- JSON-LD per agreement ---------------------------------------------------------------------


def agreement_iri(agreement: Agreement) -> str:
    """Agreement ids are URNs already; a bare UUID becomes ``urn:uuid:...``."""
    return agreement.id if agreement.id.startswith("urn:") else f"urn:uuid:{agreement.id}"


def party_iri(org_id: str) -> str:
    return f"urn:accord:party:{org_id}"


def flow_iri(agreement: Agreement, flow: Flow) -> str:
    return f"{agreement_iri(agreement)}:v{agreement.version}:flow:{flow.id}"


def policy_iri(agreement: Agreement) -> str:
    return f"{agreement_iri(agreement)}:v{agreement.version}:policy"


def _purpose_constraint(agreement: Agreement) -> dict[str, Any]:
    iris = sorted(
        {
            _PURPOSE_IRIS.get(p.category, f"urn:accord:purpose:{p.category.value}")
            for p in agreement.purposes
        }
    )
    if len(iris) == 1:
        return {"leftOperand": "purpose", "operator": "eq", "rightOperand": {"@id": iris[0]}}
    return {
        "leftOperand": "purpose",
        "operator": "isAnyOf",
        "rightOperand": [{"@id": i} for i in iris],
    }


def _until(agreement: Agreement, flow: Flow) -> datetime:
    if flow.end is not None:
        return flow.end
    if agreement.mode is Mode.emergency and agreement.incident is not None:
        return agreement.incident.review_by
    return datetime.combine(agreement.review.review_date, time(23, 59, 59), tzinfo=UTC)


def _typed(value: str, xsd_type: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{xsd_type}"}


def odrl_policy(agreement: Agreement) -> dict[str, Any]:
    """The agreement as an ODRL 2.2 ``Agreement`` policy (JSON-LD)."""
    permissions: list[dict[str, Any]] = []
    prohibitions: list[dict[str, Any]] = []
    for flow in agreement.flows:
        target = flow_iri(agreement, flow)
        until = _until(agreement, flow).astimezone(UTC).isoformat().replace("+00:00", "Z")
        for discloser in agreement.disclosers:
            parties = {
                "target": target,
                "assigner": party_iri(discloser.org_id),
                "assignee": party_iri(flow.recipient),
            }
            permissions.append(
                {
                    **parties,
                    "action": "use",
                    "constraint": [
                        _purpose_constraint(agreement),
                        {
                            "leftOperand": "dateTime",
                            "operator": "lteq",
                            "rightOperand": _typed(until, "dateTime"),
                        },
                    ],
                    "duty": [
                        {
                            "action": "delete",
                            "constraint": [
                                {
                                    "leftOperand": "elapsedTime",
                                    "operator": "eq",
                                    "rightOperand": _typed(agreement.retention.period, "duration"),
                                }
                            ],
                        }
                    ],
                }
            )
            if flow.onward_sharing is OnwardSharing.prohibited:
                prohibitions.append({**parties, "action": "distribute"})
    policy: dict[str, Any] = {
        "@context": [ODRL_CONTEXT, {"xsd": XSD}],
        "@type": "Agreement",
        "uid": policy_iri(agreement),
        "profile": "urn:accord:odrl-profile:1",
        "permission": permissions,
    }
    if prohibitions:
        policy["prohibition"] = prohibitions
    return policy


def dcat_dataset(agreement: Agreement, *, agreement_hash: str | None = None) -> dict[str, Any]:
    """The data the agreement shares as a DCAT ``Dataset`` with one distribution per flow."""
    areas = sorted(
        {p.org_id.removeprefix("gss:") for p in agreement.parties if p.org_id.startswith("gss:")}
    )
    dataset: dict[str, Any] = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "odrl": "http://www.w3.org/ns/odrl/2/",
            "xsd": XSD,
        },
        "@id": f"{agreement_iri(agreement)}:v{agreement.version}:dataset",
        "@type": "dcat:Dataset",
        "dct:identifier": agreement.id,
        "dct:title": agreement.title,
        "dct:description": agreement.summary_plain_english,
        "dct:publisher": [
            {"@id": party_iri(p.org_id), "dct:title": p.name} for p in agreement.disclosers
        ],
        "dcat:keyword": sorted({p.category.value for p in agreement.purposes}),
        "dct:spatial": [{"@id": ONS_GEOGRAPHY + code} for code in areas],
        "dct:conformsTo": [{"@id": d} for d in agreement.datasets],
        "odrl:hasPolicy": {"@id": policy_iri(agreement)},
        "dcat:distribution": [
            {
                "@id": flow_iri(agreement, flow),
                "@type": "dcat:Distribution",
                "dct:title": f"Extract for {agreement.party(flow.recipient).name}",
                "dct:format": flow.delivery_format.value,
                "dcat:mediaType": _MEDIA_TYPES[flow.delivery_format.value],
                "dct:accessRights": agreement.identifiability(flow).value,
                "dct:accrualPeriodicity": flow.frequency.value,
                "odrl:hasPolicy": {"@id": policy_iri(agreement)},
            }
            for flow in agreement.flows
        ],
    }
    if agreement_hash:
        dataset["dct:hasVersion"] = {"@id": f"urn:accord:agreement-hash:sha256:{agreement_hash}"}
    return dataset


__all__ = [
    "DEA_FIELDS",
    "dcat_dataset",
    "dea_csv",
    "dea_record",
    "dea_records",
    "odrl_policy",
    "rows_csv",
    "rows_json",
]
