"""Tier 0: the flow switches at once to the most restrictive compliant variant (§f.2 tier 0).

The starting point is the meet of the terms in force and every party's final offer (so the flow
never gives more than either side offers), without the disputed fields. From there tier 0 goes
down a fixed ladder of restrictions, starting where the ground points, and stops at the first
variant the rules engine does not block:

====  ==============================  =====================================================
step  variant                         where the ground starts
====  ==============================  =====================================================
0     drop the disputed fields        excessive_data, opt_out_treatment, resource, other
1     pseudonymise identifiers        recipient_security, confidentiality
2     aggregate (counts only)         disclosure_risk
3     suspend the flow                no_lawful_basis, no_vires (and whenever all else blocks)
====  ==============================  =====================================================

Each candidate is checked by ``accord.law.check`` on the whole agreement with the flow replaced;
blocking findings about other flows are not this dispute's business, agreement-wide ones are.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from accord.disputes.lattice import aggregate, drop_fields, meet_all, pseudonymise_identifiers
from accord.disputes.model import Dispute, Ground, Offer, Terms
from accord.errors import Problem
from accord.law.findings import Findings
from accord.model.agreement import Agreement
from accord.model.flows import DataItem

Checker = Callable[[Agreement, date], Findings]
"""The rules engine: ``accord.law.check(agreement, at=day)``."""

STEPS = ("drop the disputed fields", "pseudonymise identifiers", "aggregate", "suspend the flow")
START: dict[Ground, int] = {
    Ground.excessive_data: 0,
    Ground.opt_out_treatment: 0,
    Ground.resource: 0,
    Ground.other: 0,
    Ground.recipient_security: 1,
    Ground.confidentiality: 1,
    Ground.disclosure_risk: 2,
    Ground.no_lawful_basis: 3,
    Ground.no_vires: 3,
}


def law_check(agreement: Agreement, at: date) -> Findings:
    """The real rules engine (imported when first needed, so disputes load without it)."""
    from accord.law import check

    return check(agreement, at=at)


def candidate_agreement(
    agreement: Agreement,
    flow_id: str,
    terms: Terms,
    offers: Iterable[Offer] = (),
    *,
    end: datetime | None = None,
) -> Agreement:
    """``agreement`` with flow ``flow_id`` on ``terms`` (removed when ``None``), declaring any new
    fields from the offers' data items."""
    flows = []
    for flow in agreement.flows:
        if flow.id != flow_id:
            flows.append(flow)
        elif terms is not None:
            flows.append(terms.apply_to(flow, end=end))
    declared = {i.name for i in agreement.data_items}
    extra: dict[str, DataItem] = {}
    wanted = set(terms.projection) if terms is not None else set()
    for offer in offers:
        for item in offer.data_items:
            if item.name in wanted and item.name not in declared:
                extra.setdefault(item.name, item)
    return Agreement.model_validate(
        {
            **agreement.model_dump(),
            "flows": [f.model_dump() for f in flows],
            "data_items": [i.model_dump() for i in (*agreement.data_items, *extra.values())],
        }
    )


def _under(field: str, prefix: str) -> bool:
    return field == prefix or field.startswith(prefix + ".")


def blocking_problems(
    candidate: Agreement,
    flow_id: str,
    at: date,
    checker: Checker | None = None,
    *,
    sides: tuple[str, ...] = (),
) -> list[Problem]:
    """Blocking findings on ``candidate`` about flow ``flow_id``, about one of the ``sides``
    (the dispute's two parties), or about the agreement as a whole."""
    findings = (checker or law_check)(candidate, at)
    flows = [f"flows.{i}" for i, f in enumerate(candidate.flows) if f.id == flow_id]
    others = [f"flows.{i}" for i, f in enumerate(candidate.flows) if f.id != flow_id]
    bystanders = [f"parties.{i}" for i, p in enumerate(candidate.parties) if p.org_id not in sides]

    def relevant(field: str) -> bool:
        if any(_under(field, p) for p in flows):
            return True
        return not any(_under(field, p) for p in (*others, *(bystanders if sides else ())))

    return [
        Problem(f.field, f"{f.code}: {f.message} ({f.citation})")
        for f in findings.blocking
        if relevant(f.field)
    ]


@dataclass(frozen=True)
class Narrowing:
    """What tier 0 chose, how it got there, and the findings that ruled out wider variants."""

    terms: Terms
    note: str
    ruled_out: tuple[Problem, ...] = ()


def tier0(
    dispute: Dispute, agreement: Agreement, at: date, checker: Checker | None = None
) -> Narrowing:
    """The most restrictive compliant variant of the disputed flow, given the offers so far."""
    base = meet_all(dispute.final_terms().values(), start=dispute.current)
    base = drop_fields(base, dispute.disputed_fields)
    candidates: Sequence[Terms] = (
        base,
        pseudonymise_identifiers(base, agreement),
        aggregate(base, agreement),
        None,
    )
    ruled_out: list[Problem] = []
    for step in range(START[dispute.ground], len(STEPS)):
        terms = candidates[step]
        if terms is None:
            break
        candidate = candidate_agreement(agreement, dispute.flow_id, terms, dispute.offers)
        problems = blocking_problems(candidate, dispute.flow_id, at, checker, sides=dispute.parties)
        if not problems:
            return Narrowing(terms, STEPS[step], tuple(ruled_out))
        ruled_out.extend(Problem(f"{STEPS[step]}: {p.where}", p.reason) for p in problems)
    note = STEPS[3] if dispute.current is not None else "the flow stays stopped"
    return Narrowing(None, note, tuple(ruled_out))
