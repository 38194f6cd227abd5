"""Agreement pages for signed-in staff: the list, one agreement (plain English, machine
document, findings, approvals and signatures, versions with differences, ledger proof), the
approve-or-reject question page, and moving a version on (submit, make active...)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import InputError, NotFound, Problem
from accord.model.canonical import document
from accord.model.enums import Status
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.server.web import present
from accord.server.web.diff import changes
from accord.server.web.views.dashboard import agreement_href
from accord.service import agreements as agreement_service
from accord.service import approvals as approval_service
from accord.service.agreements import StoredVersion
from accord.service.parties import organisation_lookup
from accord.service.standing import findings_on
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

DASHBOARD = {"text": "Dashboard", "href": "/"}
AGREEMENTS = {"text": "Agreements", "href": "/agreements"}
# The next steps a page offers for each state; the service decides who may take them.
ACTIONS = {
    Status.draft: [("in_review", "Submit for review")],
    Status.in_review: [("draft", "Return to draft")],
    Status.approved: [("active", "Make active")],
    Status.active: [("suspended", "Suspend")],
    Status.suspended: [("active", "Resume")],
}
DECISIONS = [
    ("approve", "Approve", "The agreement can go ahead as written."),
    ("approve_with_conditions", "Approve with conditions", "State the conditions below."),
    ("reject", "Reject", "Give your reasons below; the requester will see them."),
]


def _doc(v: StoredVersion) -> dict[str, Any]:
    return document(v.agreement.model_copy(update={"status": v.status}))


@router.get("/agreements")
def agreements_page(request: Request, user: auth.StaffUser) -> Response:
    mine = auth.visible_agreements(auth.workspace(request), user)
    context = {
        "title": "Agreements",
        "breadcrumbs": [DASHBOARD, AGREEMENTS],
        "agreements": [
            {
                "id": v.agreement_id,
                "href": agreement_href(v.agreement_id),
                "title": v.agreement.title,
                "status": v.status.value,
                "mode": v.agreement.mode.value,
                "version": v.version,
            }
            for v in mine
        ],
    }
    return render(request, "agreements.html", context)


def _versions(ws: Workspace, agreement_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for v in agreement_service.versions(ws, agreement_id):
        doc = _doc(v)
        out.append(
            {
                "seq": v.seq,
                "version": v.version,
                "status": v.status.value,
                "hash": v.hash,
                "previous_hash": v.previous_hash,
                "created_at": v.created_at.isoformat(),
                "changes": changes(previous, doc) if previous is not None else [],
            }
        )
        previous = doc
    return out


def _ledger(ws: Workspace, version: StoredVersion) -> dict[str, Any]:
    entries = ws.ledger.entries_for_agreement(version.agreement_id)
    events = [
        {
            "event_id": e.event_id,
            "index": e.index,
            "name": e.event.name,
            "version": e.event.agreement_version,
            "at": e.event.at,
        }
        for e in entries
    ]
    mine = [e for e in entries if e.event.agreement_hash == version.hash]
    proof = None
    if mine:
        try:  # a page never signs a head; an event newer than the latest head has no proof yet
            proof = ws.ledger.prove(mine[-1].event_id)
        except NotFound:
            proof = None
    return {"events": events, "proof": proof}


def _signatures(ws: Workspace, version: StoredVersion) -> list[dict[str, Any]]:
    records = approval_service.recorded(ws, version.agreement_id, version.seq)
    keys = ws.keystore.public_keys()
    out = []
    for r in records:
        out.append({**r.as_dict(), "signed_by": r.party, "key_known": r.party in keys.parties})
    return out


@router.get("/agreements/{agreement_id}")
def agreement_page(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    version: int | None = None,
) -> Response:
    ws = auth.workspace(request)
    v = auth.visible_version(ws, user, agreement_id, version)
    a = v.agreement
    # The world at today's date: dated bases, recorded assurance, recipients in existence.
    findings = findings_on(ws, a, ws.clock.now().date(), organisations=organisation_lookup(ws))
    names = present.party_names(a)
    context = {
        "title": a.title,
        "breadcrumbs": [DASHBOARD, AGREEMENTS, {"text": a.title}],
        "agreement": {
            "id": v.agreement_id,
            "href": agreement_href(v.agreement_id),
            "version": v.version,
            "seq": v.seq,
            "status": v.status.value,
            "mode": a.mode.value,
            "hash": v.hash,
            "previous_hash": v.previous_hash,
            "summary": a.summary_plain_english,
            "benefits": a.benefits,
            "risk_of_not_sharing": a.risk_of_not_sharing,
            "incident": a.incident.incident_id if a.incident else None,
            "template": a.template_id,
            "parties": [
                {"org_id": p.org_id, "name": p.name, "role": p.role.value} for p in a.parties
            ],
            "flows": [
                {
                    "id": f.id,
                    "recipient": f.recipient,
                    "recipient_name": names.get(f.recipient),
                    "projection": f.projection,
                    "row_filter": f.row_filter,
                    "frequency": f.frequency.value,
                    "identifiability": f.identifiability.value,
                }
                for f in a.flows
            ],
        },
        "plain_english": present.plain(a.model_copy(update={"status": v.status})),
        "deliveries": present.deliveries(ws, user, [v], with_manifests=True),
        "disputes": [
            present.dispute_summary(d, ws.clock.now(), a)
            for d in present.visible_disputes(ws, user)
            if d.agreement_id == v.agreement_id
        ],
        "raise_dispute_href": agreement_href(v.agreement_id) + "/disputes/new",
        "document_json": json.dumps(_doc(v), indent=2, ensure_ascii=False),
        "findings": findings.as_dicts(),
        "blocking": len(findings.blocking),
        "approvals": [{**s, "party_name": names.get(s["party"])} for s in _signatures(ws, v)],
        "required": [
            {
                "party": r.party_org_id,
                "party_name": names.get(r.party_org_id),
                "role": r.role.value,
                "kind": r.kind,
            }
            for r in approval_service.required(v)
        ],
        "outstanding": [
            {
                "party": r.party_org_id,
                "party_name": names.get(r.party_org_id),
                "role": r.role.value,
            }
            for r in approval_service.outstanding(ws, v)
        ],
        "actions": [{"to": to, "text": text} for to, text in ACTIONS.get(v.status, [])],
        "approve_href": agreement_href(v.agreement_id) + "/approve",
        "versions": _versions(ws, agreement_id),
        "history": [
            {
                "seq": c.seq,
                "from": c.from_status.value if c.from_status else None,
                "to": c.to_status.value,
                "reason": c.reason,
                "actor": c.actor,
                "at": c.at.isoformat(),
            }
            for c in agreement_service.status_changes(ws, agreement_id)
        ],
        "ledger": _ledger(ws, v),
    }
    return render(request, "agreement.html", context)


@router.post("/agreements/{agreement_id}/move")
def move(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    to: str = Form(...),
    reason: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    auth.visible_version(ws, user, agreement_id)
    approval_service.move(ws, agreement_id, user, to, reason or None)
    return RedirectResponse(agreement_href(agreement_id), status_code=303)


def _approve_context(
    v: StoredVersion,
    values: dict[str, str] | None = None,
    problems: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    return {
        "title": f"Your decision on {v.agreement.title}",
        "breadcrumbs": [
            DASHBOARD,
            {"text": v.agreement.title, "href": agreement_href(v.agreement_id)},
            {"text": "Decide"},
        ],
        "agreement": {
            "id": v.agreement_id,
            "title": v.agreement.title,
            "version": v.version,
            "hash": v.hash,
            "summary": v.agreement.summary_plain_english,
            "status": v.status.value,
        },
        "action": agreement_href(v.agreement_id) + "/approve",
        "problems": problems or [],
        "fields": [
            {
                "kind": "radios",
                "name": "decision",
                "label": "What is your decision?",
                "error": errors.get("decision"),
                "options": [
                    {
                        "value": value,
                        "text": text,
                        "hint": hint,
                        "checked": values.get("decision") == value,
                    }
                    for value, text, hint in DECISIONS
                ],
            },
            {
                "kind": "textarea",
                "name": "conditions",
                "label": "Conditions (if you approve with conditions)",
                "value": values.get("conditions", ""),
                "error": errors.get("conditions"),
            },
            {
                "kind": "textarea",
                "name": "reasons",
                "label": "Reasons",
                "hint": "Required if you reject. Recorded in the log and shown to the parties.",
                "value": values.get("reasons", ""),
                "error": errors.get("reasons"),
            },
        ],
    }


@router.get("/agreements/{agreement_id}/approve")
def approve_page(request: Request, user: auth.StaffUser, agreement_id: str) -> Response:
    v = auth.visible_version(auth.workspace(request), user, agreement_id)
    return render(request, "approve.html", _approve_context(v))


@router.post("/agreements/{agreement_id}/approve")
def approve(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    decision: str = Form(""),
    reasons: str = Form(""),
    conditions: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    v = auth.visible_version(ws, user, agreement_id)
    try:
        if not decision:
            raise InputError("choose a decision", [Problem("decision", "Select your decision")])
        approval_service.approve(ws, agreement_id, user, decision, reasons, conditions)
    except InputError as exc:
        if wants_json(request):
            raise
        problems = [
            {"field": p.where, "where": p.where, "reason": p.reason} for p in exc.problems
        ] or [{"field": "decision", "where": "decision", "reason": exc.message}]
        values = {"decision": decision, "reasons": reasons, "conditions": conditions}
        return render(
            request, "approve.html", _approve_context(v, values, problems), status_code=422
        )
    return RedirectResponse(agreement_href(agreement_id), status_code=303)
