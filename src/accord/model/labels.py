"""What a flow's identifiability label claims against what physically leaves.

A flow labelled ``aggregate`` or ``anonymised_ico_compliant`` claims that nothing in it
identifies anyone, and the label relaxes other rules (opt-outs, the data protection checks).
A label must never weaken protection, so the claim is checked against the fields the flow
delivers: a labelled flow that delivers a direct identifier, or one row per person, is a
:class:`LabelProblem` naming the flow and the field. A flow that delivers a personal field
delivers one row per person, unless it leaves through the aggregate stage (``Flow.aggregate``:
disclosure-controlled counts by one or two fields, none of them a direct identifier).

Direct identifiers are the data items classified ``direct_identifier``, items whose standard
identifies a person or a home (NHS number, full postcode, telephone number, UPRN), and items
named as a date of birth or an email address. The list follows the identifiers NHS practice
treats as making data identifiable (name, address, full postcode, date of birth, NHS number;
Caldicott Committee report 1997) and the ICO's anonymisation guidance (March 2025: direct
identifiers such as names, contact details and unique reference numbers; pseudonymised data is
still personal data).

>>> from accord.model import example_agreement
>>> a = example_agreement()
>>> flow = a.flows[0].model_copy(update={"identifiability": Identifiability.aggregate})
>>> [p.field for p in label_problems(flow, a.data_items)][:2]
['nhs_number', 'given_name']
>>> label_problems(a.flows[0], a.data_items)
()
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.model.enums import Classification, Identifiability, ItemTransform, Standard
from accord.model.flows import DataItem, Drop, Flow, Generalise, PostcodeTo, Pseudonymise

NOT_IDENTIFYING = frozenset({Identifiability.anonymised_ico_compliant, Identifiability.aggregate})
"""The labels that claim a flow identifies no one."""

IDENTIFYING_STANDARDS = frozenset(
    {Standard.NHS_NUMBER, Standard.POSTCODE, Standard.PHONE, Standard.UPRN}
)
"""Standards whose values point at one person or one home."""

IDENTIFYING_NAMES = frozenset(
    {"date_of_birth", "dob", "birth_date", "email", "email_address", "full_name", "name"}
)
"""Field names that are direct identifiers whatever their classification says."""


@dataclass(frozen=True)
class LabelProblem:
    """One way a labelled flow is not what its label says when it leaves.

    ``what`` says what ``field`` is as it leaves ("a direct identifier", ...); :attr:`message`
    is the sentence for people (field names only, never a value).
    """

    flow: str
    label: Identifiability
    field: str
    what: str

    @property
    def message(self) -> str:
        return f"flow {self.flow} is labelled {self.label.value} but {self.field} is {self.what}"


def direct_identifier(item: DataItem) -> bool:
    """Whether ``item`` on its own points at a person (see the module docstring)."""
    return (
        item.classification is Classification.direct_identifier
        or item.standard in IDENTIFYING_STANDARDS
        or item.name in IDENTIFYING_NAMES
    )


def _leaves_as(flow: Flow, item: DataItem) -> str:
    """How ``item`` leaves in ``flow``: ``dropped``, ``coarsened``, ``pseudonym`` or ``as is``
    (the flow's own transform first, then the item's default, as the engine applies them)."""
    for t in flow.transforms:
        if isinstance(t, Drop | Generalise | PostcodeTo | Pseudonymise) and t.field == item.name:
            if isinstance(t, Drop):
                return "dropped"
            return "pseudonym" if isinstance(t, Pseudonymise) else "coarsened"
    match item.transform:
        case ItemTransform.drop:
            return "dropped"
        case ItemTransform.pseudonymise:
            return "pseudonym"
        case ItemTransform.generalise:
            return "coarsened"
        case _:
            return "as is"


def label_problems(flow: Flow, items: Iterable[DataItem]) -> tuple[LabelProblem, ...]:
    """Every way ``flow``'s label claims more than what leaves (empty when it claims nothing).

    A direct identifier that leaves as it is, or as a pseudonym, is one problem each; then, if
    any other personal field leaves, one problem naming the first of them: the flow delivers
    one row per person, which no aggregate or anonymous label allows.
    """
    if flow.identifiability not in NOT_IDENTIFYING:
        return ()
    by_name = {i.name: i for i in items}
    problems: list[LabelProblem] = []
    personal: list[str] = []
    if flow.aggregate is not None:
        # Only the counted-by fields leave, as disclosure-controlled counts: counting by a
        # direct identifier (or its pseudonym) is still one row per person.
        for name in flow.aggregate.group_by:
            item = by_name.get(name)
            if item is None or not direct_identifier(item):
                continue
            how = _leaves_as(flow, item)
            if how in ("as is", "pseudonym"):
                what = "a direct identifier the flow counts by, one row per person"
                problems.append(LabelProblem(flow.id, flow.identifiability, name, what))
        return tuple(problems)
    for name in flow.projection:
        item = by_name.get(name)
        if item is None:
            continue  # the agreement's own validation names an undeclared field
        how = _leaves_as(flow, item)
        if how == "dropped":
            continue
        if direct_identifier(item) and how != "coarsened":
            what = (
                "a pseudonym of a direct identifier (still personal data)"
                if how == "pseudonym"
                else "a direct identifier"
            )
            problems.append(LabelProblem(flow.id, flow.identifiability, name, what))
        elif direct_identifier(item) or item.classification is not Classification.non_personal:
            personal.append(name)
    if personal:
        problems.append(
            LabelProblem(
                flow.id,
                flow.identifiability,
                personal[0],
                f"personal data delivered one row per person ({', '.join(personal)}); count it "
                "through the aggregate stage (aggregate.group_by) instead",
            )
        )
    return tuple(problems)


def treated_as_anonymous(flow: Flow, items: Iterable[DataItem]) -> bool:
    """Whether ``flow`` may be treated as identifying no one: its label says so and nothing it
    delivers contradicts the label. Every rule that relaxes protection for anonymous or
    aggregate flows asks this, never the label alone."""
    return flow.identifiability in NOT_IDENTIFYING and not label_problems(flow, items)
