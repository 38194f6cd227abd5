"""Properties of disputes under a simulated clock (domain/rules.md §f.2 invariants).

1. Every dispute reaches a decision (or the provisional default, or a withdrawal) by the ladder's
   total deadline, whatever the parties do and whenever the scheduler happens to run; this holds
   across restarts, since due escalations are computed from stored state.
2. No state reachable from a dispute gives the recipient a field or a row outside the parties'
   final offers: while open, the flow is within every final offer and the terms before the
   dispute; once decided, within the requester's own final offer. Rows are checked by evaluating
   the row conditions on synthetic rows, independently of the implementation's lattice.
"""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.clock import FixedClock
from accord.disputes import narrowing
from accord.disputes.decision import decide
from accord.disputes.ladder import HEALTH_ARBITER, deciders, ladder_end
from accord.disputes.machine import Escalate, Expire, MakeOffer, Narrow, apply, open_dispute
from accord.disputes.model import (
    OPEN_STATES,
    SYSTEM,
    Actor,
    ActorRole,
    Dispute,
    DisputeState,
    Ground,
    Offer,
    Variant,
)
from accord.errors import DisputeError
from accord.model import Agreement, DataItem, example_document
from accord.model.enums import Identifiability, Mode
from accord.model.flows import Pseudonymise
from accord.service import agreements
from accord.service import disputes as service
from accord.workspace import Workspace

NHSE, GREENWICH, FLOW = "ods:X26", "gss:E09000011", "spl-e09000011"
ETHNICITY = DataItem(
    name="ethnicity", classification="special_category_other", justification="Outreach"
)
FIELDS = ("nhs_number", "given_name", "date_of_birth", "postcode", "phone", "ethnicity")
# Each row condition, and the synthetic-row attribute that decides it.
CONDITIONS = {
    "utla(postcode) == recipient.gss": "resident",
    "age(date_of_birth) >= 70": "over_70",
    "lad(postcode) == 'E09000011'": "in_lad",
}
ROWS = [
    dict(zip(CONDITIONS.values(), bits, strict=True))
    for bits in itertools.product([0, 1], repeat=3)
]
FINAL = {DisputeState.decided, DisputeState.provisional_default, DisputeState.withdrawn}


def agreement_for(mode: Mode) -> Agreement:
    doc = example_document()
    doc["flows"][0]["projection"] = ["nhs_number", "given_name", "date_of_birth", "postcode"]
    if mode is not Mode.emergency:
        doc["mode"] = mode.value
        doc["incident"] = None
    return Agreement.model_validate(doc)


variants = st.builds(
    lambda fields, conds, pseudo, ident: Variant(
        projection=tuple(fields),
        row_conditions=tuple(conds),
        transforms=(Pseudonymise(field="nhs_number"),) if pseudo and "nhs_number" in fields else (),
        identifiability=ident,
    ),
    st.lists(st.sampled_from(FIELDS), min_size=1, max_size=6, unique=True),
    st.lists(st.sampled_from(sorted(CONDITIONS)), min_size=1, max_size=3, unique=True),
    st.booleans(),
    st.sampled_from([Identifiability.identifiable, Identifiability.pseudonymised]),
)
actions = st.lists(
    st.tuples(
        st.sampled_from(["offer", "escalate", "decide", "sweep"]),
        st.sampled_from([GREENWICH, NHSE]),
        variants,
        st.integers(min_value=0, max_value=40 * 24 * 60),  # minutes after the previous action
    ),
    max_size=8,
)
modes = st.sampled_from([Mode.emergency, Mode.routine])
raise_times = st.datetimes(
    min_value=datetime(2024, 1, 2), max_value=datetime(2027, 9, 1), timezones=st.just(UTC)
)


def fields_rows(terms: Variant | None) -> tuple[set[str], set[int]]:
    """The fields and the synthetic rows (by index) these terms give the recipient."""
    if terms is None:
        return set(), set()
    rows = {
        i for i, row in enumerate(ROWS) if all(row[CONDITIONS[c]] for c in terms.row_conditions)
    }
    return set(terms.projection), rows


def gives_no_more(a: Variant | None, b: Variant | None) -> bool:
    fa, ra = fields_rows(a)
    fb, rb = fields_rows(b)
    return fa <= fb and ra <= rb


def check_invariants(d: Dispute) -> None:
    if d.state in OPEN_STATES:
        assert gives_no_more(d.current, d.original)
        for terms in d.final_terms().values():
            assert gives_no_more(d.current, terms)
    if d.state is DisputeState.decided:
        assert d.decision is not None
        assert gives_no_more(d.current, d.ceiling)  # never beyond the requester's own offer
        assert gives_no_more(d.current, d.final_terms()[d.decision.chosen_party])


def decider_for(d: Dispute, party: str) -> tuple[Actor, str]:
    """Who decides now, and whose offer they would pick: the arbiter picks ``party``; before
    tier 3 the other side accepts ``party``'s offer."""
    if d.tier == 3:
        return Actor(party=HEALTH_ARBITER, role=ActorRole.arbiter, name="Arbiter"), party
    role = deciders(max(d.tier, 1), confidential_patient_information=True)[0]
    return Actor(party=d.other_party(party), role=role, name="Decider"), party


def run_scheduler(d: Dispute, now: datetime) -> Dispute:
    while d.is_open and d.deadline is not None and now >= d.deadline:
        d = apply(d, Expire(), now).dispute
        check_invariants(d)
    return d


def simulate(mode: Mode, raised: datetime, opening: Variant, steps) -> tuple[Dispute, datetime]:
    agreement = agreement_for(mode)
    original = Variant.from_flow(agreement.flow(FLOW))
    day = raised.date()
    d = open_dispute(
        dispute_id="dsp-prop-0001",
        agreement=agreement,
        agreement_seq=1,
        flow_id=FLOW,
        original=original,
        raised_by=Actor(party=GREENWICH, role=ActorRole.dpo, name="DPO"),
        ground=Ground.other,
        statement="property test",
        offer=Offer(
            party=GREENWICH,
            made_by=Actor(party=GREENWICH, role=ActorRole.dpo, name="DPO"),
            terms=opening,
            data_items=(ETHNICITY,),
            made_at=raised,
        ),
        now=raised,
    ).dispute
    tier0 = narrowing.tier0(d, agreement, day)
    d = apply(d, Narrow(tier0.terms, tier0.note), raised).dispute
    d = apply(d, Escalate(SYSTEM, "ladder"), raised).dispute
    check_invariants(d)
    now = raised
    for kind, party, terms, minutes in steps:
        now += timedelta(minutes=minutes)
        if kind == "sweep" or not d.is_open:
            d = run_scheduler(d, now)
            continue
        if d.deadline is not None and now >= d.deadline:
            d = run_scheduler(d, now)  # the scheduler ran first
            if not d.is_open:
                continue
        try:
            if kind == "offer":
                made_by = Actor(party=party, role=ActorRole.dpo, name="DPO")
                offer = Offer(
                    party=party,
                    made_by=made_by,
                    terms=terms,
                    data_items=(ETHNICITY,),
                    made_at=now,
                )
                d = apply(d, MakeOffer(offer), now).dispute
                again = narrowing.tier0(d, agreement, now.date())
                if again.terms != d.current:
                    d = apply(d, Narrow(again.terms, again.note), now).dispute
            elif kind == "escalate":
                role = deciders(d.tier, confidential_patient_information=True)[0]
                actor = Actor(party=party, role=role, name="Decider")
                if d.tier == 3:
                    actor = SYSTEM
                d = apply(d, Escalate(actor, "no agreement"), now).dispute
            else:
                decider, chosen = decider_for(d, party)
                d = decide(
                    d, agreement, decider=decider, chosen_party=chosen, reasons="Because.", now=now
                ).dispute
        except DisputeError:
            pass  # illegal or prohibited steps are refused; the dispute is unchanged
        check_invariants(d)
    return d, now


@settings(
    derandomize=True, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(modes, raise_times, variants, actions)
def test_every_dispute_ends_by_the_ladder_deadline_and_never_widens(
    mode, raised, opening, steps
) -> None:
    d, last = simulate(mode, raised, opening, steps)
    end = ladder_end(mode, raised)
    d = run_scheduler(d, max(last, end))
    assert d.state in FINAL
    if d.decision is not None and d.state is DisputeState.decided:
        assert d.decision.decided_at <= end
    if d.state is DisputeState.provisional_default:
        assert d.missed[-1] == 3  # the arbiter's miss is on record
    check_invariants(d)


@settings(
    derandomize=True, max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    st.sampled_from([Mode.emergency, Mode.routine]),
    st.lists(st.integers(min_value=1, max_value=30 * 24), min_size=1, max_size=3),
)
def test_restarts_lose_no_escalation(mode, hours) -> None:
    """Each sweep runs in a freshly opened workspace (a restart); the ladder still completes."""
    raised = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    agreement = agreement_for(mode)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        with Workspace.init(root, clock=FixedClock(raised)) as ws:
            agreements.create(ws, agreement)
            for target in ("in_review", "approved", "active"):
                agreements.transition(ws, agreement.id, target)
            flow = agreement.flow(FLOW)
            dispute = service.raise_dispute(
                ws,
                agreement_id=agreement.id,
                flow_id=FLOW,
                actor=Actor(party=GREENWICH, role=ActorRole.dpo, name="DPO"),
                ground=Ground.excessive_data,
                statement="Names are not needed",
                offer=Variant.from_flow(flow).model_copy(
                    update={"projection": ("nhs_number", "postcode")}
                ),
                disputed_fields=["given_name"],
            )
        now = raised
        for h in (*hours, None):
            now = ladder_end(mode, raised) if h is None else now + timedelta(hours=h)
            with Workspace.open(root, clock=FixedClock(now)) as ws:  # a restart
                service.sweep(ws)
        with Workspace.open(root, clock=FixedClock(now)) as ws:
            record = service.show(ws, dispute.id)
            assert record.dispute.state is DisputeState.provisional_default
            assert record.dispute.missed == (1, 2, 3)
            expired = [s for s in record.steps if s.name == "dispute-expired"]
            assert [s.detail["level"] for s in expired] == [1, 2, 3]  # each once
            # The tier-0 terms stand: the names dropped, or the flow stopped if the rules
            # engine blocks every variant (a routine share here lacks its completed DPIA).
            standing = record.dispute.current
            active = agreements.active_version(ws, agreement.id).agreement
            if standing is None:
                assert FLOW not in [f.id for f in active.flows]
            else:
                assert Variant.from_flow(active.flow(FLOW)) == standing
                assert "given_name" not in standing.projection
