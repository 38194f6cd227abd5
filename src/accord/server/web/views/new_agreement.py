"""A new agreement from a playbook template: GOV.UK question pages, one question per page.

1. which template;  2. the incident (emergency templates only);  3. whether it is an emergency in
the Civil Contingencies Act Part 2 sense (emergency templates whose incident is a Part 1 one);
4. the parties;  5. check your answers, with the rules engine's findings on the draft;  then
"Create draft".

Answers travel as query parameters from page to page (nothing is stored until the last POST,
which carries the CSRF token). The draft itself is made by ``accord.playbook.instantiate`` and
checked by ``accord.law.check``: this module only asks the questions.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import AccordError, InputError, NotPermitted, Problem
from accord.law import check
from accord.model import Agreement, Incident, Party
from accord.model.enums import Mode
from accord.playbook import examples as example_parties
from accord.playbook import get_template, instantiate, list_templates
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.server.web.views.dashboard import agreement_href
from accord.service import agreements as agreement_service
from accord.service.users import Role, User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

START = "/agreements/new"
BREADCRUMBS = [{"text": "Dashboard", "href": "/"}, {"text": "New agreement"}]
REVIEW_WITHIN = timedelta(days=28)
SINGLE = (
    "template",
    "incident_id",
    "incident_title",
    "cca_emergency",
    "cca_part2_emergency",
    "discloser",
)
YES_NO = {"yes": True, "no": False}


def known_parties(ws: Workspace) -> dict[str, Party]:
    """Parties this instance knows: those in stored agreements, then the playbook's examples."""
    found: dict[str, Party] = {}
    for v in agreement_service.list_all(ws):
        for p in v.agreement.parties:
            found.setdefault(p.org_id, p)
    for make in (
        example_parties.nhs_england,
        example_parties.ukhsa,
        example_parties.letters_processor,
        example_parties.water_company,
        example_parties.dwp,
        example_parties.research_team,
    ):
        p = make()
        found.setdefault(p.org_id, p)
    for p in example_parties.councils(4):
        found.setdefault(p.org_id, p)
    return found


def _answers(request: Request) -> dict[str, Any]:
    q = request.query_params
    return {
        "template": q.get("template", ""),
        "incident_id": q.get("incident_id", ""),
        "incident_title": q.get("incident_title", ""),
        "cca_emergency": q.get("cca_emergency", ""),
        "cca_part2_emergency": q.get("cca_part2_emergency", ""),
        "discloser": q.get("discloser", ""),
        "recipients": q.getlist("recipients"),
        "processor": q.get("processor", ""),
        "overrides": {k[2:]: v for k, v in q.items() if k.startswith("o.") and v},
    }


def _query(answers: dict[str, Any]) -> str:
    pairs: list[tuple[str, str]] = []
    for key in SINGLE:
        if answers.get(key):
            pairs.append((key, answers[key]))
    pairs += [("recipients", r) for r in answers.get("recipients", [])]
    if answers.get("processor"):
        pairs.append(("processor", answers["processor"]))
    pairs += [(f"o.{k}", v) for k, v in answers.get("overrides", {}).items()]
    return urlencode(pairs)


def _hidden(answers: dict[str, Any], skip: set[str]) -> list[dict[str, str]]:
    fields = [{"name": k, "value": answers[k]} for k in SINGLE if answers.get(k) and k not in skip]
    if "recipients" not in skip:
        fields += [{"name": "recipients", "value": r} for r in answers["recipients"]]
    if answers.get("processor") and "processor" not in skip:
        fields.append({"name": "processor", "value": answers["processor"]})
    fields += [{"name": f"o.{k}", "value": v} for k, v in answers["overrides"].items()]
    return fields


def _page(
    title: str,
    action: str,
    fields: list[dict[str, Any]],
    hidden: list[dict[str, str]],
    problems: list[dict[str, str]],
    back: str,
) -> dict[str, Any]:
    return {
        "title": title,
        "breadcrumbs": BREADCRUMBS,
        "action": action,
        "fields": fields,
        "hidden": hidden,
        "problems": problems,
        "back": back,
    }


def _requester(user: User) -> None:
    user.require_role(Role.requester, Role.iao)


@router.get(START)
def choose_template(request: Request, user: auth.StaffUser, error: str = "") -> Response:
    _requester(user)
    answers = _answers(request)
    problems = [{"field": "template", "where": "template", "reason": error}] if error else []
    field = {
        "kind": "radios",
        "name": "template",
        "label": "Which template do you want to start from?",
        "heading": True,
        "hint": "Templates are agreed in advance for emergencies we can foresee.",
        "error": error or None,
        "options": [
            {
                "value": t.id,
                "text": f"{t.title} ({t.scenario}, {t.mode.value.replace('_', '-')})",
                "hint": t.description,
                "checked": answers["template"] == t.id,
            }
            for t in list_templates()
        ],
    }
    return render(
        request,
        "question.html",
        _page(
            "Which template?",
            START + "/incident",
            [field],
            _hidden(answers, {"template"}),
            problems,
            "/",
        ),
    )


def _template_or_back(answers: dict[str, Any]) -> Any:
    try:
        return get_template(answers["template"])
    except (AccordError, KeyError):
        return None


def _unless_emergency(answers: dict[str, Any]) -> Response | None:
    """Where the incident questions are skipped: back to the start without a template, on to
    the parties for a template that is not for emergencies; ``None`` to ask them."""
    template = _template_or_back(answers)
    if template is None:
        return RedirectResponse(START + "?error=Select+a+template", status_code=303)
    if template.mode is not Mode.emergency:
        return RedirectResponse(f"{START}/parties?{_query(answers)}", status_code=303)
    return None


@router.get(START + "/incident")
def incident_question(request: Request, user: auth.StaffUser, error: str = "") -> Response:
    _requester(user)
    answers = _answers(request)
    skip = _unless_emergency(answers)
    if skip is not None:
        return skip
    problems = [{"field": "incident_id", "where": "incident_id", "reason": error}] if error else []
    fields = [
        {
            "name": "incident_id",
            "label": "Incident reference",
            "hint": "As declared by emergency command, for example INC-2026-001.",
            "value": answers["incident_id"],
            "error": error or None,
            "width": "10",
        },
        {
            "name": "incident_title",
            "label": "What is the incident?",
            "value": answers["incident_title"],
        },
        {
            "kind": "radios",
            "name": "cca_emergency",
            "label": "Is it an emergency under the Civil Contingencies Act 2004 (section 1)?",
            "options": [
                {"value": "yes", "text": "Yes", "checked": answers["cca_emergency"] != "no"},
                {"value": "no", "text": "No", "checked": answers["cca_emergency"] == "no"},
            ],
        },
    ]
    return render(
        request,
        "question.html",
        _page(
            "About the incident",
            START + "/emergency",
            fields,
            _hidden(answers, {"incident_id", "incident_title", "cca_emergency"}),
            problems,
            f"{START}?{_query(answers)}",
        ),
    )


PART2_LABEL = (
    "Does the emergency threaten serious damage to human welfare, the environment or security "
    "in the United Kingdom or in a Part or region of it?"
)
PART2_HINT = (
    "This is the Civil Contingencies Act 2004 Part 2 meaning of an emergency (section 19), which "
    "UK GDPR Annex 1 (recognised legitimate interests) and Annex 2 use. The question before used "
    "the wider Part 1 meaning (section 1: a place in the UK)."
)


@router.get(START + "/emergency")
def part2_question(request: Request, user: auth.StaffUser, error: str = "") -> Response:
    """The CCA Part 2 question (``Incident.cca_part2_emergency``), asked only when the incident
    is an emergency in the Part 1 sense: a Part 2 emergency is always a Part 1 one."""
    _requester(user)
    answers = _answers(request)
    skip = _unless_emergency(answers)
    if skip is not None:
        return skip
    if not answers["incident_id"].strip():
        query = _query(answers)
        return RedirectResponse(
            f"{START}/incident?{query}&error=Enter+the+incident+reference", status_code=303
        )
    if answers["cca_emergency"] == "no":
        answers["cca_part2_emergency"] = "no"
        return RedirectResponse(f"{START}/parties?{_query(answers)}", status_code=303)
    chosen = answers["cca_part2_emergency"]
    field = {
        "kind": "radios",
        "name": "cca_part2_emergency",
        "label": PART2_LABEL,
        "heading": True,
        "hint": PART2_HINT,
        "error": error or None,
        "options": [
            {"value": "yes", "text": "Yes", "checked": chosen == "yes"},
            {"value": "no", "text": "No", "checked": chosen == "no"},
        ],
    }
    problems = (
        [{"field": "cca_part2_emergency", "where": "cca_part2_emergency", "reason": error}]
        if error
        else []
    )
    return render(
        request,
        "question.html",
        _page(
            "A UK, national or regional emergency?",
            START + "/parties",
            [field],
            _hidden(answers, {"cca_part2_emergency"}),
            problems,
            f"{START}/incident?{_query(answers)}",
        ),
    )


def _party_option(p: Party, chosen: bool) -> dict[str, Any]:
    return {"value": p.org_id, "text": f"{p.name} ({p.org_id})", "checked": chosen}


@router.get(START + "/parties")
def parties_question(request: Request, user: auth.StaffUser, error: str = "") -> Response:
    _requester(user)
    answers = _answers(request)
    template = _template_or_back(answers)
    if template is None:
        return RedirectResponse(START + "?error=Select+a+template", status_code=303)
    if template.mode is Mode.emergency and not answers["incident_id"].strip():
        query = _query(answers)
        return RedirectResponse(
            f"{START}/incident?{query}&error=Enter+the+incident+reference", status_code=303
        )
    if template.mode is Mode.emergency and answers["cca_part2_emergency"] not in YES_NO:
        query = _query(answers)
        return RedirectResponse(
            f"{START}/emergency?{query}&error=Select+yes+or+no", status_code=303
        )
    parties = known_parties(auth.workspace(request))
    discloser = answers["discloser"] or user.party_org_id
    problems = [{"field": "recipients", "where": "recipients", "reason": error}] if error else []
    fields: list[dict[str, Any]] = [
        {
            "kind": "radios",
            "name": "discloser",
            "label": "Who discloses the data?",
            "options": [_party_option(p, p.org_id == discloser) for p in parties.values()],
        },
        {
            "kind": "checkboxes",
            "name": "recipients",
            "label": "Who receives it?",
            "hint": "Each recipient gets its own flow, with only the rows it is entitled to.",
            "error": error or None,
            "options": [
                _party_option(p, p.org_id in answers["recipients"]) for p in parties.values()
            ],
        },
    ]
    if template.parties.processor is not None:
        fields.append(
            {
                "kind": "radios",
                "name": "processor",
                "label": "Which processor acts for the discloser?",
                "options": [{"value": "", "text": "None", "checked": not answers["processor"]}]
                + [_party_option(p, p.org_id == answers["processor"]) for p in parties.values()],
            }
        )
    back = f"{START}/emergency?{_query(answers)}"
    return render(
        request,
        "question.html",
        _page(
            "Who shares with whom?",
            START + "/check",
            fields,
            _hidden(answers, {"discloser", "recipients", "processor"}),
            problems,
            back,
        ),
    )


def _draft(ws: Workspace, user: User, answers: dict[str, Any]) -> Agreement:
    """Instantiate the template with the answers; raise InputError naming what is missing."""
    template = get_template(answers["template"])
    parties = known_parties(ws)
    problems = []
    if answers["discloser"] not in parties:
        problems.append(Problem("discloser", "Select who discloses the data"))
    if not answers["recipients"] or any(r not in parties for r in answers["recipients"]):
        problems.append(Problem("recipients", "Select at least one recipient"))
    if problems:
        raise InputError("some answers are missing", problems)
    now = ws.clock.now()
    incident = None
    if template.mode is Mode.emergency:
        incident = Incident(
            incident_id=answers["incident_id"].strip(),
            title=answers["incident_title"].strip(),
            declared_by_party=user.party_org_id,
            declared_by_role="emergency_commander",
            declared_at=now,
            cca_emergency=answers["cca_emergency"] != "no",
            cca_part2_emergency=(
                False
                if answers["cca_emergency"] == "no"
                else YES_NO.get(answers["cca_part2_emergency"])
            ),
            review_by=now + REVIEW_WITHIN,
        )
    processor = parties.get(answers["processor"]) if answers["processor"] else None
    return instantiate(
        template.id,
        incident=incident,
        discloser=parties[answers["discloser"]],
        recipients=[parties[r] for r in answers["recipients"]],
        processor=processor,
        now=now,
        overrides=_nested(answers["overrides"]),
    )


def _nested(flat: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = out
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return out


def _check_context(
    request: Request, user: User, answers: dict[str, Any]
) -> tuple[dict[str, Any], Agreement | None]:
    ws = auth.workspace(request)
    problems: list[dict[str, str]] = []
    missing: list[dict[str, Any]] = []
    draft: Agreement | None = None
    try:
        draft = _draft(ws, user, answers)
    except AccordError as exc:
        for p in exc.problems:
            problems.append({"field": "o." + p.where, "where": p.where, "reason": p.reason})
            if p.reason == "give it in overrides":
                missing.append({"name": "o." + p.where, "label": f"What is {p.where}?"})
        if not exc.problems:
            problems.append({"field": "", "where": "", "reason": exc.message})
    findings = check(draft, ws.clock.now().date()).as_dicts() if draft else []
    template = _template_or_back(answers)
    context = {
        "title": "Check your answers",
        "breadcrumbs": BREADCRUMBS,
        "answers": [
            {"key": "Template", "value": template.title if template else answers["template"]},
            {"key": "Incident", "value": answers["incident_id"] or None},
            {
                "key": "UK, national or regional emergency (CCA Part 2)",
                "value": {"yes": "Yes", "no": "No"}.get(answers["cca_part2_emergency"]),
            },
            {"key": "Discloser", "value": answers["discloser"]},
            {"key": "Recipients", "list": answers["recipients"]},
            {"key": "Processor", "value": answers["processor"] or None},
        ],
        "problems": problems,
        "missing": missing,
        "draft": (
            {
                "id": draft.id,
                "title": draft.title,
                "summary": draft.summary_plain_english,
                "flows": len(draft.flows),
            }
            if draft
            else None
        ),
        "findings": findings,
        "blocking": sum(1 for f in findings if f["severity"] == "blocking"),
        "hidden": _hidden(answers, set()),
        "change_href": f"{START}/parties?{_query(answers)}",
        "action": START,
        "check_action": START + "/check",
    }
    return context, draft


@router.get(START + "/check")
def check_answers(request: Request, user: auth.StaffUser) -> Response:
    _requester(user)
    answers = _answers(request)
    if not answers["recipients"]:
        query = _query(answers)
        return RedirectResponse(
            f"{START}/parties?{query}&error=Select+at+least+one+recipient", status_code=303
        )
    context, _ = _check_context(request, user, answers)
    return render(request, "check_answers.html", context)


@router.post(START)
async def create(request: Request, user: auth.StaffUser, csrf_token: str = Form("")) -> Response:
    auth.check_csrf(request, csrf_token)
    _requester(user)
    form = await request.form()
    answers = {
        "template": str(form.get("template", "")),
        "incident_id": str(form.get("incident_id", "")),
        "incident_title": str(form.get("incident_title", "")),
        "cca_emergency": str(form.get("cca_emergency", "")),
        "cca_part2_emergency": str(form.get("cca_part2_emergency", "")),
        "discloser": str(form.get("discloser", "")),
        "recipients": [str(r) for r in form.getlist("recipients")],
        "processor": str(form.get("processor", "")),
        "overrides": {str(k)[2:]: str(v) for k, v in form.items() if str(k).startswith("o.") and v},
    }
    context, draft = _check_context(request, user, answers)
    if draft is None:
        if wants_json(request):
            raise InputError(
                "the draft cannot be made",
                [Problem(p["where"], p["reason"]) for p in context["problems"]],
            )
        return render(request, "check_answers.html", context, status_code=422)
    if user.party_org_id not in {p.org_id for p in draft.parties}:
        raise NotPermitted(
            "you can only create agreements your own party is a party to",
            [Problem("discloser", f"make {user.party_org_id} the discloser or a recipient")],
        )
    stored = agreement_service.create(auth.workspace(request), draft, actor=user.email)
    return RedirectResponse(agreement_href(stored.agreement_id), status_code=303)


__all__ = ["known_parties", "router"]
