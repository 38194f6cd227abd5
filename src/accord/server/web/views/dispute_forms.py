"""Acting on disputes in the browser: raise one from an agreement's flow, make a final offer,
decide (the pendulum choice between the two final offers), withdraw.

Each is a GOV.UK question page. Its POST checks the session's CSRF token and calls exactly one
function of :mod:`accord.service.disputes`, after turning the form into that call's arguments with
the same helpers the CLI uses (``actor_for``, ``current_terms``, ``parse_offer``). The view only
checks that required answers are there; who may do what, and when, is the service's to say, and
its refusal comes back on the form in an error summary. Every page is also JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from accord.disputes.model import Actor, ActorRole, Dispute, Ground, Terms
from accord.errors import AccordError, DisputeError, InputError, NotPermitted, Problem
from accord.model.agreement import Agreement
from accord.model.enums import Classification
from accord.model.flows import DataItem
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.server.web import present
from accord.server.web.filters import words
from accord.server.web.views.dashboard import agreement_href
from accord.service import access
from accord.service import agreements as agreement_service
from accord.service import disputes as dispute_service
from accord.service.disputes import DisputeRecord
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

DASHBOARD = {"text": "Dashboard", "href": "/"}
DISPUTES = {"text": "Disputes", "href": "/disputes"}
NEW_FIELD = "_new"

# The grounds of §f.2 in plain English: the label, and a hint saying when it applies.
GROUNDS: dict[Ground, tuple[str, str]] = {
    Ground.no_lawful_basis: (
        "No lawful basis",
        "No legal gateway or lawful basis covers sharing this data for this purpose.",
    ),
    Ground.no_vires: (
        "Outside our legal powers",
        "One of the organisations has no power (vires) to share or to receive this data.",
    ),
    Ground.confidentiality: (
        "Breach of confidentiality",
        "Sharing would break the common-law duty of confidentiality owed to patients.",
    ),
    Ground.excessive_data: (
        "More data than the purpose needs",
        "The flow includes fields that are not necessary (data minimisation).",
    ),
    Ground.recipient_security: (
        "The recipient's security is not assured",
        "For example, the recipient has not met the Data Security and Protection Toolkit.",
    ),
    Ground.opt_out_treatment: (
        "Opt-outs are not applied properly",
        "National data opt-outs or Type 1 opt-outs are not removed as they should be.",
    ),
    Ground.disclosure_risk: (
        "Risk of identifying people",
        "What is shared could identify people, for example through small numbers.",
    ),
    Ground.resource: (
        "We cannot produce the data",
        "The discloser cannot supply the data in the time or the form asked for.",
    ),
    Ground.other: (
        "Another reason",
        "For example, the recipient needs a field the flow does not yet include.",
    ),
}
OFFER_KINDS = [
    ("add", "The current terms plus these fields", "Add the fields you selected to the flow."),
    ("drop", "The current terms without these fields", "Remove the fields you selected."),
    ("stop", "Stop this flow", "No data flows until the dispute is decided."),
]
# Where the service names a problem -> the form field it is about.
FIELD_OF = {
    "flow": "flow",
    "ground": "ground",
    "statement": "statement",
    "disputed_fields": "fields",
    "offer": "offer",
    "offer.party": "offer",
    "role": "role",
    "raised_by.role": "role",
    "raised_by.party": "role",
    "name": "new_field_name",
    "classification": "new_field_classification",
    "justification": "new_field_justification",
    "reasons": "reasons",
    "chosen_party": "chosen_party",
}
ACTING_ROLES = tuple(r for r in ActorRole if r not in (ActorRole.system, ActorRole.ig_lead))


# -- shared with the dispute pages -------------------------------------------------------------


_SMALL_WORDS = {"and", "for", "in", "of", "on", "the"}


def party(org_id: str, names: dict[str, str]) -> dict[str, Any]:
    """An organisation as pages show it: its id, and its name where the agreement records it.

    An arbiter is not a party to the agreement; a GOV.UK organisation slug is made from the
    organisation's name, so ``gov-org:cabinet-office`` reads back as ``Cabinet Office``.
    """
    name = names.get(org_id)
    scheme, _, code = org_id.partition(":")
    if name is None and scheme == "gov-org" and not any(c.isdigit() for c in code):
        parts = code.split("-")
        name = " ".join(
            w if i and w in _SMALL_WORDS else w.capitalize() for i, w in enumerate(parts)
        )
    return {"org_id": org_id, "name": name}


def actor_text(actor: Actor, names: dict[str, str]) -> str:
    """``Gita DPO, DPO of Greenwich``."""
    who = party(actor.party, names)
    return f"{actor.name}, {words(actor.role.value)} of {who['name'] or actor.party}"


def compared(terms: Terms, before: Terms) -> str:
    """How ``terms`` differ from the terms ``before`` the dispute, in a sentence."""
    if terms is None:
        return "Stops the flow" if before is not None else "The flow stays stopped"
    if before is None:
        return "Starts the flow with fields " + ", ".join(terms.projection)
    now = before
    added = [f for f in terms.projection if f not in now.projection]
    removed = [f for f in now.projection if f not in terms.projection]
    changes = []
    if added:
        changes.append("adds " + ", ".join(added))
    if removed:
        changes.append("removes " + ", ".join(removed))
    if not changes and terms != now:
        changes.append("changes the rows or how fields are treated")
    if not changes:
        return "The same as the terms before the dispute"
    return "Compared with the terms before the dispute, " + "; ".join(changes)


def visible_dispute(ws: Workspace, user: User, dispute_id: str) -> DisputeRecord:
    """The dispute, if the user's party is one of its sides or its arbiter; else 'not found'."""
    return access.visible_dispute(ws, user, dispute_id)


def dispute_agreement(ws: Workspace, d: Dispute) -> Agreement:
    """The latest version of the disputed agreement: its title, parties and data items."""
    return agreement_service.get(ws, d.agreement_id).agreement


def terms_view(terms: Terms) -> dict[str, Any]:
    """A flow's terms for people: fields, rows, changes to fields, identifiability."""
    if terms is None:
        return {"runs": False, "summary": "The flow does not run"}
    return {
        "runs": True,
        "fields": list(terms.projection),
        "row_filter": terms.row_filter,
        "transforms": [
            f"{words(t.op)} {getattr(t, 'field', '')}".strip() for t in terms.transforms
        ],
        "identifiability": terms.identifiability.value,
        "summary": terms.summary(),
    }


def _acting_roles(user: User) -> list[str]:
    return [r.value for r in ACTING_ROLES if user.holds(r.value)]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _problems(exc: AccordError, fields: set[str]) -> list[dict[str, Any]]:
    """The service's problems for the error summary: linked to a field where one is named."""
    out: list[dict[str, Any]] = []
    for p in exc.problems:
        field = FIELD_OF.get(p.where, p.where)
        linked = field if field in fields else None
        out.append({"field": linked, "where": "", "reason": _sentence(p.reason)})
    if not out or any(p["field"] is None for p in out):
        out.insert(0, {"field": None, "where": "", "reason": _sentence(exc.message)})
    return out


def _role_field(user: User, value: str, error: str | None) -> dict[str, Any]:
    roles = _acting_roles(user)
    if len(roles) <= 1:
        return {"kind": "hidden", "name": "role", "value": roles[0] if roles else ""}
    return {
        "kind": "radios",
        "name": "role",
        "label": "Which role are you acting in?",
        "error": error,
        "options": [{"value": r, "text": words(r), "checked": value == r} for r in roles],
    }


def _need(answers: list[tuple[bool, str, str]]) -> None:
    """Raise InputError naming each required answer that is missing."""
    missing = [Problem(name, reason) for given, name, reason in answers if not given]
    if missing:
        raise InputError("some answers are missing", missing)


def _role_of(user: User, role: str) -> str:
    """The role chosen, or the user's only role that can act on disputes."""
    roles = _acting_roles(user)
    return role or (roles[0] if len(roles) == 1 else "")


def _role_given(role: str, user: User) -> tuple[bool, str, str]:
    if not _acting_roles(user):
        return (False, "role", "You do not hold a role that can act on disputes")
    return (bool(role), "role", "Select the role you are acting in")


def _done(request: Request, d: Dispute, status_code: int = 200) -> Response:
    """After a step: the dispute's page, or its state as JSON."""
    if wants_json(request):
        body = {
            "ok": True,
            "unstable": True,
            "href": f"/disputes/{d.id}",
            "dispute": d.model_dump(mode="json"),
        }
        return JSONResponse(body, status_code=status_code)
    return RedirectResponse(f"/disputes/{d.id}", status_code=303)


def _item_options(
    items: list[DataItem], checked: list[str], *, with_new: bool = False
) -> list[dict[str, Any]]:
    options = [
        {
            "value": i.name,
            "text": i.name,
            "hint": f"{words(i.classification.value)}. {i.justification}",
            "checked": i.name in checked,
        }
        for i in items
    ]
    if with_new:
        options.append(
            {
                "value": NEW_FIELD,
                "text": "A field not yet in the agreement",
                "checked": NEW_FIELD in checked,
                "reveal": True,
            }
        )
    return options


def _offer_field(value: str, error: str | None) -> dict[str, Any]:
    return {
        "kind": "radios",
        "name": "offer",
        "label": "What is your final offer?",
        "hint": "The arbiter chooses one side's final offer as it stands: nothing in between.",
        "error": error,
        "options": [
            {"value": v, "text": t, "hint": h, "checked": value == v} for v, t, h in OFFER_KINDS
        ],
    }


def _offer_terms(
    base: Terms, offer: str, named: list[str], items: list[dict[str, Any]]
) -> tuple[Terms, list[DataItem]]:
    """The offer through the service's parser: ``base`` plus or minus ``named``, or stop."""
    return dispute_service.parse_offer(
        {"data_items": items} if items else None,
        base=base,
        add=named if offer == "add" else (),
        drop=named if offer == "drop" else (),
        stop=offer == "stop",
    )


# -- raise -------------------------------------------------------------------------------------


def _raise_context(
    user: User,
    a: Agreement,
    values: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    names = present.party_names(a)
    disclosers = {p.org_id for p in a.disclosers}
    flows = [f for f in a.flows if user.party_org_id in (f.recipient, *disclosers)]
    href = agreement_href(a.id)
    checked = values.get("fields", [])
    return {
        "title": "Raise a dispute",
        "breadcrumbs": [
            DASHBOARD,
            {"text": a.title, "href": href},
            {"text": "Raise a dispute"},
        ],
        "agreement": {"id": a.id, "title": a.title, "href": href},
        "action": href + "/disputes/new",
        "back": href,
        "problems": problems or [],
        "fields": [
            {
                "kind": "radios",
                "name": "flow",
                "label": "Which flow do you dispute?",
                "error": errors.get("flow"),
                "options": [
                    {
                        "value": f.id,
                        "text": f"{f.id}: to {names.get(f.recipient, f.recipient)}",
                        "hint": "Fields: " + ", ".join(f.projection),
                        "checked": values.get("flow") == f.id,
                    }
                    for f in flows
                ],
            },
            {
                "kind": "radios",
                "name": "ground",
                "label": "Why do you dispute it?",
                "error": errors.get("ground"),
                "options": [
                    {"value": g.value, "text": t, "hint": h, "checked": values.get("ground") == g}
                    for g, (t, h) in GROUNDS.items()
                ],
            },
            {
                "kind": "textarea",
                "name": "statement",
                "label": "What is disputed, and why?",
                "hint": "Both parties and, at tier 3, the arbiter read this. Do not include "
                "anyone's personal data.",
                "value": values.get("statement", ""),
                "error": errors.get("statement"),
            },
            {
                "kind": "checkboxes_reveal",
                "name": "fields",
                "label": "Which fields are disputed?",
                "hint": "Select all that apply.",
                "error": errors.get("fields"),
                "options": _item_options(list(a.data_items), checked, with_new=True),
                "reveal": [
                    {
                        "kind": "input",
                        "name": "new_field_name",
                        "label": "Name of the new field",
                        "hint": "Lower case letters, digits and underscores, like clinical_group",
                        "value": values.get("new_field_name", ""),
                        "error": errors.get("new_field_name"),
                        "width": "20",
                    },
                    {
                        "kind": "select",
                        "name": "new_field_classification",
                        "label": "What kind of data is it?",
                        "error": errors.get("new_field_classification"),
                        "options": [
                            {
                                "value": c.value,
                                "text": words(c.value),
                                "checked": values.get("new_field_classification") == c.value,
                            }
                            for c in Classification
                        ],
                    },
                    {
                        "kind": "input",
                        "name": "new_field_justification",
                        "label": "Why is it needed?",
                        "value": values.get("new_field_justification", ""),
                        "error": errors.get("new_field_justification"),
                    },
                ],
            },
            _offer_field(values.get("offer", ""), errors.get("offer")),
            _role_field(user, values.get("role", ""), errors.get("role")),
        ],
    }


@router.get("/agreements/{agreement_id}/disputes/new")
def raise_page(
    request: Request, user: auth.StaffUser, agreement_id: str, flow: str = ""
) -> Response:
    v = auth.visible_version(auth.workspace(request), user, agreement_id)
    return render(request, "dispute_raise.html", _raise_context(user, v.agreement, {"flow": flow}))


@router.post("/agreements/{agreement_id}/disputes/new")
def raise_dispute(
    request: Request,
    user: auth.StaffUser,
    agreement_id: str,
    flow: str = Form(""),
    ground: str = Form(""),
    statement: str = Form(""),
    fields: Annotated[list[str] | None, Form()] = None,
    new_field_name: str = Form(""),
    new_field_classification: str = Form(""),
    new_field_justification: str = Form(""),
    offer: str = Form(""),
    role: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    role = _role_of(user, role)
    ws = auth.workspace(request)
    v = auth.visible_version(ws, user, agreement_id)
    fields = fields or []
    new = NEW_FIELD in fields
    named = [f for f in fields if f != NEW_FIELD] + ([new_field_name.strip()] if new else [])
    try:
        _need(
            [
                (bool(flow), "flow", "Select the flow you dispute"),
                (bool(ground), "ground", "Select why you dispute it"),
                (bool(statement.strip()), "statement", "Enter what is disputed, and why"),
                (not new or bool(new_field_name.strip()), "name", "Enter the new field's name"),
                (
                    not new or bool(new_field_justification.strip()),
                    "justification",
                    "Enter why the new field is needed",
                ),
                (bool(offer), "offer", "Select your final offer"),
                _role_given(role, user),
            ]
        )
        items = [
            {
                "name": new_field_name.strip(),
                "classification": new_field_classification,
                "justification": new_field_justification.strip(),
            }
        ]
        terms, offer_items = _offer_terms(
            dispute_service.current_terms(ws, agreement_id, flow),
            offer,
            named,
            items if new else [],
        )
        d = dispute_service.raise_dispute(
            ws,
            agreement_id=agreement_id,
            flow_id=flow,
            actor=dispute_service.actor_for(user, role),
            ground=ground,
            statement=statement,
            offer=terms,
            offer_items=offer_items,
            disputed_fields=named,
        )
    except (InputError, DisputeError, NotPermitted) as exc:
        if wants_json(request):
            raise
        values = {
            "flow": flow,
            "ground": ground,
            "statement": statement,
            "fields": fields,
            "new_field_name": new_field_name,
            "new_field_classification": new_field_classification,
            "new_field_justification": new_field_justification,
            "offer": offer,
            "role": role,
        }
        form_fields = {
            "flow", "ground", "statement", "fields", "offer", "role",
            "new_field_name", "new_field_classification", "new_field_justification",
        }  # fmt: skip
        context = _raise_context(user, v.agreement, values, _problems(exc, form_fields))
        return render(request, "dispute_raise.html", context, status_code=exc.http_status)
    return _done(request, d, 201)


# -- the pages on one dispute ------------------------------------------------------------------


def _dispute_head(d: Dispute, a: Agreement) -> dict[str, Any]:
    names = present.party_names(a)
    return {
        "id": d.id,
        "href": f"/disputes/{d.id}",
        "agreement_title": a.title,
        "flow_id": d.flow_id,
        "statement": d.statement,
        "ground": GROUNDS[d.ground][0],
        "tier": d.tier,
        "state": d.state.value,
        "recipient": party(d.recipient, names),
        "discloser": party(d.discloser, names),
        "current": terms_view(d.current),
    }


def _crumbs(d: Dispute, text: str) -> list[dict[str, Any]]:
    return [DASHBOARD, DISPUTES, {"text": d.id, "href": f"/disputes/{d.id}"}, {"text": text}]


Context = Callable[
    [User, Dispute, Agreement, dict[str, Any] | None, list[dict[str, Any]] | None], dict[str, Any]
]
Act = Callable[[Workspace, Dispute, Agreement, str], Dispute]


@dataclass(frozen=True)
class Step:
    """One step on a dispute (offer, decide, withdraw): its question page and its form."""

    template: str
    context: Context

    def page(self, request: Request, user: User, dispute_id: str) -> Response:
        ws = auth.workspace(request)
        d = visible_dispute(ws, user, dispute_id).dispute
        context = self.context(user, d, dispute_agreement(ws, d), None, None)
        return render(request, self.template, context)

    def post(
        self,
        request: Request,
        user: User,
        dispute_id: str,
        csrf: str,
        values: dict[str, Any],
        act: Act,
    ) -> Response:
        """``act`` checks the answers and calls the service with the role acted in; a refusal
        comes back on the form with the answers (``values``, keyed by form field) as given."""
        auth.check_csrf(request, csrf)
        values["role"] = _role_of(user, values["role"])
        ws = auth.workspace(request)
        d = visible_dispute(ws, user, dispute_id).dispute
        a = dispute_agreement(ws, d)
        try:
            done = act(ws, d, a, values["role"])
        except (InputError, DisputeError, NotPermitted) as exc:
            context = self.context(user, d, a, values, _problems(exc, set(values)))
            if wants_json(request):
                raise
            return render(request, self.template, context, status_code=exc.http_status)
        return _done(request, done)


# -- offer ---------------------------------------------------------------------------------------


def _offer_items(d: Dispute, a: Agreement) -> list[DataItem]:
    """The agreement's data items and any new ones a party's offer has defined."""
    items = {i.name: i for i in a.data_items}
    for o in d.offers:
        for i in o.data_items:
            items.setdefault(i.name, i)
    return list(items.values())


def _offer_context(
    user: User,
    d: Dispute,
    a: Agreement,
    values: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    names = present.party_names(a)
    mine = d.offer_of(user.party_org_id)
    return {
        "title": "Make your final offer",
        "breadcrumbs": _crumbs(d, "Make your final offer"),
        "dispute": _dispute_head(d, a),
        "your_offer": terms_view(mine.terms) if mine else None,
        "party": party(user.party_org_id, names),
        "action": f"/disputes/{d.id}/offer",
        "back": f"/disputes/{d.id}",
        "problems": problems or [],
        "fields": [
            _offer_field(values.get("offer", ""), errors.get("offer")),
            {
                "kind": "checkboxes",
                "name": "fields",
                "label": "Which fields does your offer add or remove?",
                "hint": "Leave them all unselected to offer the current terms as they are.",
                "error": errors.get("fields"),
                "options": _item_options(_offer_items(d, a), values.get("fields", [])),
            },
            {
                "kind": "textarea",
                "name": "note",
                "label": "Note for the other party (optional)",
                "value": values.get("note", ""),
                "error": errors.get("note"),
                "rows": 3,
            },
            _role_field(user, values.get("role", ""), errors.get("role")),
        ],
    }


OFFER = Step("dispute_offer.html", _offer_context)


@router.get("/disputes/{dispute_id}/offer")
def offer_page(request: Request, user: auth.StaffUser, dispute_id: str) -> Response:
    return OFFER.page(request, user, dispute_id)


@router.post("/disputes/{dispute_id}/offer")
def make_offer(
    request: Request,
    user: auth.StaffUser,
    dispute_id: str,
    offer: str = Form(""),
    fields: Annotated[list[str] | None, Form()] = None,
    note: str = Form(""),
    role: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    fields = fields or []

    def act(ws: Workspace, d: Dispute, a: Agreement, role: str) -> Dispute:
        _need([(bool(offer), "offer", "Select your final offer"), _role_given(role, user)])
        declared = {i.name for i in a.data_items}
        new_items = [
            i.model_dump(mode="json")
            for i in _offer_items(d, a)
            if i.name in fields and i.name not in declared and offer == "add"
        ]
        base = d.original if d.original is not None else d.current
        terms, items = _offer_terms(base, offer, fields, new_items)
        return dispute_service.offer(
            ws,
            dispute_id,
            actor=dispute_service.actor_for(user, role),
            terms=terms,
            data_items=items,
            note=note.strip(),
        )

    values = {"offer": offer, "fields": fields, "note": note, "role": role}
    return OFFER.post(request, user, dispute_id, csrf_token, values, act)


# -- decide --------------------------------------------------------------------------------------


def _decide_context(
    user: User,
    d: Dispute,
    a: Agreement,
    values: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    names = present.party_names(a)
    finals = d.final_terms()
    offers: list[dict[str, Any]] = []
    for side in d.parties:
        made = d.offer_of(side)
        offers.append(
            {
                "party": party(side, names),
                "made_by": actor_text(made.made_by, names) if made else None,
                "made_at": made.made_at.isoformat() if made else None,
                "note": made.note if made else "",
                "terms": terms_view(finals[side]),
                "compared": compared(finals[side], d.original),
            }
        )
    return {
        "title": "Decide the dispute",
        "breadcrumbs": _crumbs(d, "Decide"),
        "dispute": _dispute_head(d, a),
        "offers": offers,
        "action": f"/disputes/{d.id}/decide",
        "back": f"/disputes/{d.id}",
        "problems": problems or [],
        "fields": [
            {
                "kind": "radios",
                "name": "chosen_party",
                "label": "Whose final offer do you choose?",
                "hint": "Choose one offer as it stands. At tier 3 the arbiter decides; before "
                "then, a dispute settles when one side accepts the other side's offer.",
                "error": errors.get("chosen_party"),
                "options": [
                    {
                        "value": o["party"]["org_id"],
                        "text": "The final offer of "
                        + (o["party"]["name"] or o["party"]["org_id"]),
                        "hint": o["compared"],
                        "checked": values.get("chosen_party") == o["party"]["org_id"],
                    }
                    for o in offers
                ],
            },
            {
                "kind": "textarea",
                "name": "reasons",
                "label": "Your reasons",
                "hint": "Both parties see your reasons, and they go in the public log.",
                "value": values.get("reasons", ""),
                "error": errors.get("reasons"),
            },
            _role_field(user, values.get("role", ""), errors.get("role")),
        ],
    }


DECIDE = Step("dispute_decide.html", _decide_context)


@router.get("/disputes/{dispute_id}/decide")
def decide_page(request: Request, user: auth.StaffUser, dispute_id: str) -> Response:
    return DECIDE.page(request, user, dispute_id)


@router.post("/disputes/{dispute_id}/decide")
def decide(
    request: Request,
    user: auth.StaffUser,
    dispute_id: str,
    chosen_party: str = Form(""),
    reasons: str = Form(""),
    role: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    def act(ws: Workspace, d: Dispute, a: Agreement, role: str) -> Dispute:
        _need(
            [
                (bool(chosen_party), "chosen_party", "Select the final offer you choose"),
                (bool(reasons.strip()), "reasons", "Enter the reasons for your decision"),
                _role_given(role, user),
            ]
        )
        return dispute_service.decide(
            ws,
            dispute_id,
            decider=dispute_service.actor_for(user, role),
            chosen_party=chosen_party,
            reasons=reasons,
        )

    values = {"chosen_party": chosen_party, "reasons": reasons, "role": role}
    return DECIDE.post(request, user, dispute_id, csrf_token, values, act)


# -- withdraw ------------------------------------------------------------------------------------


def _withdraw_context(
    user: User,
    d: Dispute,
    a: Agreement,
    values: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    values = values or {}
    errors = {p["field"]: p["reason"] for p in problems or [] if p.get("field")}
    return {
        "title": "Withdraw the dispute",
        "breadcrumbs": _crumbs(d, "Withdraw"),
        "dispute": _dispute_head(d, a),
        "restores": terms_view(d.original),
        "action": f"/disputes/{d.id}/withdraw",
        "back": f"/disputes/{d.id}",
        "problems": problems or [],
        "fields": [
            {
                "kind": "textarea",
                "name": "reason",
                "label": "Why are you withdrawing it?",
                "hint": "Both parties see this, and it goes in the log.",
                "value": values.get("reason", ""),
                "error": errors.get("reason"),
                "rows": 3,
            },
            _role_field(user, values.get("role", ""), errors.get("role")),
        ],
    }


WITHDRAW = Step("dispute_withdraw.html", _withdraw_context)


@router.get("/disputes/{dispute_id}/withdraw")
def withdraw_page(request: Request, user: auth.StaffUser, dispute_id: str) -> Response:
    return WITHDRAW.page(request, user, dispute_id)


@router.post("/disputes/{dispute_id}/withdraw")
def withdraw(
    request: Request,
    user: auth.StaffUser,
    dispute_id: str,
    reason: str = Form(""),
    role: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    def act(ws: Workspace, d: Dispute, a: Agreement, role: str) -> Dispute:
        _need(
            [
                (bool(reason.strip()), "reason", "Enter why you are withdrawing the dispute"),
                _role_given(role, user),
            ]
        )
        return dispute_service.withdraw(
            ws, dispute_id, actor=dispute_service.actor_for(user, role), reason=reason
        )

    values = {"reason": reason, "role": role}
    return WITHDRAW.post(request, user, dispute_id, csrf_token, values, act)
