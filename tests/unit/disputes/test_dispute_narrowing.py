"""Tier 0 with the real rules engine, and the ordering it relies on."""

from __future__ import annotations

from datetime import date

from dispute_builders import FLOW, GREENWICH, NHSE, T0, offer, person
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.disputes.lattice import aggregate, clamp, is_within, meet, pseudonymise_identifiers
from accord.disputes.machine import open_dispute
from accord.disputes.model import ActorRole, Ground, Variant
from accord.disputes.narrowing import tier0
from accord.model import Agreement, example_document
from accord.model.enums import Identifiability
from accord.model.flows import Generalise, Pseudonymise, SuppressSmall

DAY = date(2026, 3, 16)
FIELDS = ["nhs_number", "given_name", "family_name", "date_of_birth", "postcode", "phone"]
terms = st.builds(
    lambda f, c, p, g, i: Variant(
        projection=tuple(f),
        row_conditions=tuple(c),
        transforms=tuple(
            [Pseudonymise(field="nhs_number")] * (p and "nhs_number" in f)
            + [Generalise(field="date_of_birth")] * (g and "date_of_birth" in f)
        ),
        identifiability=i,
    ),
    st.lists(st.sampled_from(FIELDS), min_size=1, unique=True),
    st.lists(st.sampled_from(["a == 1", "b == 2", "c == 3"]), min_size=1, unique=True),
    st.booleans(),
    st.booleans(),
    st.sampled_from(list(Identifiability)),
)


@settings(derandomize=True, max_examples=150)
@given(terms, terms)
def test_meet_is_within_both_and_the_widest_such(a, b) -> None:
    m = meet(a, b)
    assert is_within(m, a) and is_within(m, b)
    assert meet(a, a) == a and is_within(a, a)
    if is_within(a, b):
        assert clamp(a, b) == a
    assert is_within(clamp(a, b), b)
    if m is not None:
        assert set(m.projection) == set(a.projection) & set(b.projection)
        assert set(m.row_conditions) == set(a.row_conditions) | set(b.row_conditions)


def test_pseudonymise_and_aggregate_only_ever_narrow() -> None:
    a = Agreement.model_validate(example_document())
    v = Variant.from_flow(a.flow(FLOW))
    p = pseudonymise_identifiers(v, a)
    assert p.projection == ("nhs_number", "date_of_birth", "postcode")  # names, phone dropped
    assert p.transforms == (Pseudonymise(field="nhs_number"),)
    assert p.identifiability is Identifiability.pseudonymised and is_within(p, v)
    g = aggregate(v, a)
    assert "nhs_number" not in g.projection and g.identifiability is Identifiability.aggregate
    assert any(isinstance(t, SuppressSmall) for t in g.transforms) and is_within(g, p)


def _dispute(agreement, ground, offered, fields=()):
    current = Variant.from_flow(agreement.flow(FLOW))
    return open_dispute(
        dispute_id="dsp-narrow-0001",
        agreement=agreement,
        agreement_seq=1,
        flow_id=FLOW,
        original=current,
        raised_by=person(NHSE, ActorRole.siro),
        ground=ground,
        statement="test",
        offer=offer(NHSE, offered),
        disputed_fields=fields,
        now=T0,
    ).dispute


def test_tier0_starts_where_the_ground_points() -> None:
    a = Agreement.model_validate(example_document())
    current = Variant.from_flow(a.flow(FLOW))
    dropped = tier0(_dispute(a, Ground.excessive_data, current, ("phone",)), a, DAY)
    assert "phone" not in dropped.terms.projection and dropped.note == "drop the disputed fields"
    secure = tier0(_dispute(a, Ground.recipient_security, current), a, DAY)
    assert secure.terms.identifiability is Identifiability.pseudonymised
    assert tier0(_dispute(a, Ground.no_vires, current), a, DAY).terms is None
    # The discloser's own offer bounds tier 0: it never gives more than offered.
    narrow = current.model_copy(update={"projection": ("nhs_number", "postcode")})
    assert tier0(_dispute(a, Ground.other, narrow), a, DAY).terms == narrow


def test_tier0_goes_down_the_ladder_until_the_law_allows_it() -> None:
    doc = example_document()
    doc["parties"][1]["health_professional_or_duty_of_confidentiality"] = False  # Greenwich
    a = Agreement.model_validate(doc)
    current = Variant.from_flow(a.flow(FLOW))
    # Greenwich may not receive personal data under Sch 1 para 3: pseudonymised rows are still
    # personal data, so tier 0 goes on to counts. The "aggregate" variant still delivers one row
    # per person (age bands, LSOAs, clinical group) under an aggregate label, which the label
    # rule blocks (issue 12 item 2), so the flow is suspended rather than mislabelled.
    n = tier0(_dispute(a, Ground.confidentiality, current), a, DAY)
    assert n.note == "suspend the flow" and n.terms is None
    steps = [p.where.split(":")[0] for p in n.ruled_out]
    assert steps[0] == "pseudonymise identifiers" and set(steps[1:]) == {"aggregate"}
    assert "sch1.para3-recipient" in n.ruled_out[0].reason
    assert any("label.not-anonymous" in p.reason for p in n.ruled_out[1:])
    # The same finding is about a bystander for Middlesbrough's flow: it does not block that one.
    other = Agreement.model_validate(doc)
    d = open_dispute(
        dispute_id="dsp-narrow-0002",
        agreement=other,
        agreement_seq=1,
        flow_id="spl-e06000002",
        original=Variant.from_flow(other.flow("spl-e06000002")),
        raised_by=person("gss:E06000002", ActorRole.dpo),
        ground=Ground.other,
        statement="test",
        offer=offer("gss:E06000002", Variant.from_flow(other.flow("spl-e06000002"))),
        now=T0,
    ).dispute
    assert tier0(d, other, DAY).terms is not None
    assert GREENWICH not in d.parties
