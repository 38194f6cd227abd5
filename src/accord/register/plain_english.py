"""An agreement in plain English, as Markdown or as a self-contained HTML page.

Everything comes from the agreement document (and the law registry's titles and citations for
the legal terms it names): what is shared, by whom, with whom, why, under which law, for how
long, and what people can do about it.

>>> from accord.model import example_agreement
>>> text = render_markdown(example_agreement())
>>> text.splitlines()[0]
'# Shielded patient list to upper-tier local authorities'
>>> "## What people can do" in text
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from accord.law.builtin import default_registry
from accord.law.opt_outs import decide_opt_outs
from accord.model.agreement import Agreement
from accord.model.enums import Art6Basis, Identifiability, OnwardSharing, PartyRole
from accord.model.flows import Flow

TEMPLATES = Path(__file__).parent / "templates"
_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day", "H": "hour"}

ONWARD = {
    OnwardSharing.prohibited: "may not pass it on to anyone else",
    OnwardSharing.permitted_to_listed: "may pass it on only to the organisations listed",
    OnwardSharing.permitted_processors_only: (
        "may pass it on only to companies working for it under contract"
    ),
}
IDENTIFIABILITY = {
    Identifiability.identifiable: "information that identifies people",
    Identifiability.pseudonymised: "information with names and numbers replaced by codes",
    Identifiability.anonymised_ico_compliant: "anonymous information",
    Identifiability.aggregate: "only totals and statistics, never anyone's own record",
}


def duration_words(iso: str) -> str:
    """``P6M`` -> ``6 months``; ``P1Y2M`` -> ``1 year and 2 months``; unknown forms unchanged."""
    parts = re.findall(r"(\d+)([YMWDH])", iso.replace("T", ""))
    if not parts or not re.fullmatch(r"P(\d+[YMWD])*(T(\d+[HMS])*)?", iso):
        return iso
    words = [f"{n} {_UNITS[u]}{'' if n == '1' else 's'}" for n, u in parts]
    return " and ".join(words)


def _label(name: str) -> str:
    words = re.sub(r"\bnhs\b", "NHS", name.replace("_", " "))
    return words[:1].upper() + words[1:]


def describe_filter(row_filter: str) -> str:
    if "recipient.gss" in row_filter:
        return "only records of people living in its own area"
    if row_filter.strip() == "true":
        return "every record covered by the agreement"
    return f"only records matching the rule `{row_filter}`"


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PlainEnglish:
    title: str
    summary: str
    facts: list[tuple[str, str]]
    sections: list[Section]


def _flow_line(a: Agreement, flow: Flow) -> str:
    party = a.party(flow.recipient)
    items = ", ".join(n.replace("_", " ") for n in flow.projection)
    when = flow.frequency.value.replace("_", " ")
    return (
        f"{party.name} receives {IDENTIFIABILITY[a.identifiability(flow)]} ({items}), "
        f"{describe_filter(flow.row_filter)}, {when}; it {ONWARD[flow.onward_sharing]}."
    )


def plain_english(agreement: Agreement) -> PlainEnglish:
    """The structured plain-English account both renderers use."""
    a = agreement
    reg = default_registry()
    lb = a.legal_basis
    disclosers = [p.name for p in a.disclosers]
    processors = [p for p in a.parties if p.role is PartyRole.processor]
    controllers_receiving = [p for p in a.recipients if p.role is not PartyRole.processor]
    shared = {n for f in a.flows for n in f.projection}
    kept_back = [d.name.replace("_", " ") for d in a.data_items if d.name not in shared]

    what = Section(
        "What is shared",
        ["Each item is shared for a stated reason:"],
        [f"{_label(d.name)}: {d.justification}" for d in a.data_items if d.name in shared],
    )
    if kept_back:
        what.paragraphs.append("Never shared: " + ", ".join(kept_back) + ".")
    if a.children_data:
        what.paragraphs.append(f"Information about children is included: {a.compelling_reason}")

    who = Section(
        "Who shares it, and with whom",
        [f"Shared by: {', '.join(disclosers)}."],
        [_flow_line(a, f) for f in a.flows],
    )
    if processors:
        names = ", ".join(p.name for p in processors)
        who.paragraphs.append(
            f"{names} handle the data only on instructions, under a contract "
            f"({a.art28_contract_ref or 'contract reference not yet recorded'})."
        )
    if controllers_receiving and a.relationship.value == "joint_controllers":
        who.paragraphs.append("The organisations decide together how the data is used.")

    why = Section(
        "Why",
        [p.description + "." for p in a.purposes]
        + [f"Benefits: {a.benefits}", f"Risk of not sharing: {a.risk_of_not_sharing}"],
    )
    if a.incident is not None:
        why.paragraphs.insert(
            0,
            f"This is an emergency agreement for incident {a.incident.incident_id}"
            + (f" ({a.incident.title})" if a.incident.title else "")
            + f", declared on {a.incident.declared_at.date().isoformat()}.",
        )

    law_items = [
        f"{reg.art6(b).title} ({reg.art6(b).citation})" for b in lb.art6 if isinstance(b, Art6Basis)
    ]
    if lb.art6_function:
        law_items.append(f"Function relied on: {lb.art6_function}")
    if lb.art9 is not None:
        rule9 = reg.art9(lb.art9)
        para = reg.sch1(lb.dpa_sch1_paragraph) if lb.dpa_sch1_paragraph else None
        extra = f"; {para.title} ({para.citation})" if para else ""
        law_items.append(f"Health or other sensitive data: {rule9.title} ({rule9.citation}){extra}")
    for gid in lb.gateways:
        if reg.has_gateway(gid):
            gw = reg.gateway(gid)
            law_items.append(f"{gw.title} ({gw.citation})")
        else:
            law_items.append(gid)
    if lb.confidentiality_basis is not None:
        law_items.append(f"Confidentiality: {reg.cldc(lb.confidentiality_basis).title}")
    law = Section("Under which law", [], law_items)

    how_long = Section(
        "For how long",
        [
            f"Kept for {duration_words(a.retention.period)} {a.retention.trigger}, then "
            f"{a.retention.disposal}.",
            f"Reviewed by {a.review.review_date.isoformat()}.",
        ],
    )
    if a.incident is not None:
        how_long.paragraphs.append(
            "As an emergency agreement it must be re-justified by "
            f"{a.incident.review_by.date().isoformat()} or it ends."
        )

    decision = a.opt_out_policy or decide_opt_outs(a)
    ndoo = "is applied" if decision.apply_ndoo else "is not applied"
    type1 = "are applied" if decision.apply_type1 else "are not applied"
    lead = a.party(a.rights.lead_party)
    rights = Section(
        "What people can do",
        [
            f"The national data opt-out {ndoo} and GP (Type 1) opt-outs {type1}. "
            f"Why: {decision.rationale}",
            f"Ask {lead.name} what it holds about you, or object, at "
            f"{lead.contacts.dpo or 'its data protection officer'}.",
            "Where the law relied on is a public task you can object to your data being used; "
            "the organisation must then stop unless it has compelling reasons.",
            "Complain to the Information Commissioner's Office (ico.org.uk) if you are unhappy.",
        ],
        [
            f"{a.party(k).name if k in {p.org_id for p in a.parties} else k}: {v}"
            for k, v in sorted(a.rights.privacy_notice_urls.items())
        ],
    )
    if a.rights.art14_approach:
        rights.paragraphs.insert(0, f"How people are told: {a.rights.art14_approach}")

    facts = [
        ("Agreement", f"{a.id} version {a.version}"),
        ("Type", a.mode.value.replace("_", " ")),
        ("Status", a.status.value.replace("_", " ")),
    ]
    if a.template_id:
        facts.append(("From template", f"{a.template_id} {a.template_version or ''}".strip()))
    return PlainEnglish(
        a.title, a.summary_plain_english, facts, [what, who, why, law, how_long, rights]
    )


def render_markdown(agreement: Agreement) -> str:
    doc = plain_english(agreement)
    lines = [f"# {doc.title}", "", doc.summary, ""]
    lines += [f"- **{k}:** {v}" for k, v in doc.facts]
    for section in doc.sections:
        lines += ["", f"## {section.heading}", ""]
        for p in section.paragraphs:
            lines += [p, ""]
        lines += [f"- {item}" for item in section.items]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(agreement: Agreement) -> str:
    """A self-contained page (inline styles, no external assets) with GOV.UK class names."""
    template = _environment().get_template("plain_english.html.j2")
    return template.render(doc=plain_english(agreement))
