"""The public register (no sign-in): the rows with search and filters, a page per agreement,
downloads, and the current signed tree head with instructions to verify it."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from accord.register.rows import RegisterRow, RowFilter, published_agreement
from accord.server import auth
from accord.server.api.register import row_filter
from accord.server.negotiation import render
from accord.server.web import present
from accord.service import agreements as agreement_service
from accord.service.register import register_rows

router = APIRouter(include_in_schema=False)

REGISTER = {"text": "Public register", "href": "/register"}
FILTERS = ("status", "mode", "discloser", "recipient", "gateway", "incident")
_LABELS = {
    "status": "Status",
    "mode": "Mode",
    "discloser": "Discloser",
    "recipient": "Recipient",
    "gateway": "Legal gateway",
    "incident": "Incident",
}


def rows_for(request: Request) -> list[RegisterRow]:
    return register_rows(auth.workspace(request), policy=request.app.state.publication)


def _options(rows: list[RegisterRow], name: str) -> list[str]:
    values: set[str] = set()
    for r in rows:
        if name == "status":
            values.add(r.status)
        elif name == "mode":
            values.add(r.mode)
        elif r.withheld:
            continue
        elif name == "discloser":
            values.update(r.disclosers)
        elif name == "recipient":
            values.update(r.recipients)
        elif name == "gateway":
            values.update(r.legal_gateway)
        elif name == "incident" and r.incident_id:
            values.add(r.incident_id)
    return sorted(values)


def _filter_fields(rows: list[RegisterRow], chosen: RowFilter) -> list[dict[str, Any]]:
    fields = []
    for name in FILTERS:
        current = getattr(chosen, name)
        options = [{"value": "", "text": "Any", "checked": not current}]
        options += [{"value": v, "text": v, "checked": v == current} for v in _options(rows, name)]
        fields.append({"name": name, "label": _LABELS[name], "options": options})
    return fields


def agreement_href(agreement_id: str) -> str:
    return "/register/agreements/" + quote(agreement_id, safe=":")


@router.get("/register")
def register_page(request: Request, chosen: RowFilter = Depends(row_filter)) -> Response:
    everything = rows_for(request)
    shown = chosen.apply(everything)
    query = urlencode({k: v for k, v in vars(chosen).items() if v})
    suffix = f"?{query}" if query else ""
    head = auth.workspace(request).ledger.latest_head()
    context = {
        "title": "Public register of data sharing",
        "breadcrumbs": [REGISTER],
        "q": chosen.q,
        "filters": {k: v for k, v in vars(chosen).items()},
        "filter_fields": _filter_fields(everything, chosen),
        "count": len(shown),
        "total": len(everything),
        "withheld": sum(1 for r in shown if r.withheld),
        "rows": [
            dict(r.as_dict(), href=agreement_href(r.agreement_id or ""))
            if not r.withheld
            else r.as_dict()
            for r in shown
        ],
        "downloads": [
            {"text": "CSV (this selection)", "href": f"/api/register/rows.csv{suffix}"},
            {"text": "JSON (this selection)", "href": f"/api/register{suffix}"},
            {"text": "DEA register, 18 fields (CSV)", "href": "/api/register/dea.csv"},
            {"text": "DEA register, 18 fields (JSON)", "href": "/api/register/dea"},
        ],
        "tree_head": (
            {"size": head.size, "root_hash": head.root_hash.hex(), "timestamp": head.timestamp}
            if head
            else None
        ),
    }
    return render(request, "register.html", context)


@router.get("/register/agreements/{agreement_id}")
def register_agreement_page(request: Request, agreement_id: str) -> Response:
    rows = published_agreement(rows_for(request), agreement_id)
    first = rows[0]
    ws = auth.workspace(request)
    version = next(
        v for v in agreement_service.versions(ws, agreement_id) if v.hash == first.agreement_hash
    )
    context = {
        "title": first.name,
        "breadcrumbs": [REGISTER, {"text": first.name}],
        "agreement_id": agreement_id,
        "summary": first.plain_english_purpose,
        "plain_english": present.plain(
            version.agreement.model_copy(update={"status": version.status})
        ),
        "agreement": {
            c: first.as_dict()[c]
            for c in (
                "agreement_id",
                "version",
                "agreement_hash",
                "mode",
                "incident_id",
                "status",
                "disclosers",
                "controller_relationship",
                "processors",
                "lawful_basis_art6",
                "art9_condition",
                "dpa_sch1_condition",
                "legal_gateway",
                "confidentiality_basis",
                "benefits_expected",
                "retention_period",
                "review_date",
                "dpia_completed",
                "approvals",
                "contact",
                "published_at",
            )
        },
        "flows": [r.as_dict() for r in rows],
        "downloads": [
            {
                "text": "ODRL 2.2 policy (JSON-LD)",
                "href": f"/api/register/agreements/{quote(agreement_id, safe=':')}/odrl",
            },
            {
                "text": "DCAT dataset (JSON-LD)",
                "href": f"/api/register/agreements/{quote(agreement_id, safe=':')}/dcat",
            },
        ],
    }
    return render(request, "register_agreement.html", context)


@router.get("/register/tree-head")
def tree_head_page(request: Request) -> Response:
    ws = auth.workspace(request)
    ledger = ws.ledger
    head = ledger.latest_head()  # a page never signs: heads are signed on the instance's schedule
    context = {
        "title": "Verify the log",
        "breadcrumbs": [REGISTER, {"text": "Verify the log"}],
        "tree_head": (
            {
                "size": head.size,
                "root_hash": head.root_hash.hex(),
                "timestamp": head.timestamp,
                "checkpoint": head.to_text(),
            }
            if head
            else None
        ),
        "verifier_key": ws.keystore.instance_verifier().to_string(),
        "export_command": "accord ledger export <folder>",
        "verify_command": "accord verify <folder>",
    }
    return render(request, "tree_head.html", context)
