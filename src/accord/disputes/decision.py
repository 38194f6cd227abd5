"""The decision: a pendulum choice between the parties' final offers (§f.2 tier 3).

The decider chooses exactly one party's final offer, with written reasons; nothing in between.
The terms applied are that offer, never beyond the requester's own final offer, and they expire
at the incident's ``review_by``. Before the machine records it, the chosen terms go through the
rules engine: a statutory prohibition (a blocking finding) cannot be overridden by any decider,
so the decision is refused with :class:`~accord.errors.DisputeError` citing the finding.
"""

from __future__ import annotations

from datetime import datetime

from accord.disputes import machine
from accord.disputes.model import Actor, Dispute
from accord.disputes.narrowing import Checker, blocking_problems, candidate_agreement
from accord.errors import DisputeError, Problem
from accord.model.agreement import Agreement


def check_decidable(
    dispute: Dispute,
    agreement: Agreement,
    chosen_party: str,
    now: datetime,
    checker: Checker | None = None,
) -> Agreement | None:
    """The agreement the decision would produce; raise if the rules engine blocks it."""
    terms = machine.decided_terms(dispute, chosen_party)
    if terms is None:
        return None
    candidate = candidate_agreement(agreement, dispute.flow_id, terms, dispute.offers)
    problems = blocking_problems(
        candidate, dispute.flow_id, now.date(), checker, sides=dispute.parties
    )
    if problems:
        raise DisputeError(
            f"the final offer of {chosen_party} cannot be chosen: the rules engine reports a "
            "statutory prohibition that no decision may override",
            [Problem(p.where, p.reason) for p in problems],
        )
    return candidate


def decide(
    dispute: Dispute,
    agreement: Agreement,
    *,
    decider: Actor,
    chosen_party: str,
    reasons: str,
    now: datetime,
    checker: Checker | None = None,
) -> machine.Step:
    """Decide ``dispute`` for ``chosen_party``'s final offer; see the module docstring."""
    if not reasons.strip():
        raise DisputeError(
            f"dispute {dispute.id}: a decision needs written reasons",
            [Problem("reasons", "say why this offer and not the other")],
        )
    step = machine.apply(dispute, machine.Decide(decider, chosen_party, reasons), now)
    check_decidable(dispute, agreement, chosen_party, now, checker)
    return step
