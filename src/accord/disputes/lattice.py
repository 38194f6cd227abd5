"""Ordering flow terms by how much they give the recipient, and the operations tier 0 uses.

``is_within(a, b)`` holds when terms ``a`` give the recipient nothing that ``b`` does not: no
field outside ``b``'s projection, every one of ``b``'s row conditions (and perhaps more), each
field transformed at least as strongly, and identifiability at least as strong. ``None`` (the
flow does not run) is within everything. :func:`meet` is the most generous terms within both.

Row conditions are compared as sets of predicates: a variant with more conditions delivers a
subset of the rows, whatever the predicates say. That is sufficient, never generous.

>>> from accord.disputes.model import Variant
>>> a = Variant(projection=("nhs_number", "postcode"), row_conditions=("utla(postcode) == 'X'",))
>>> b = Variant(projection=("postcode", "ethnicity"), row_conditions=("age(dob) >= 70",))
>>> m = meet(a, b)
>>> m.projection, m.row_filter
(('postcode',), "(age(dob) >= 70) and (utla(postcode) == 'X')")
>>> is_within(m, a) and is_within(m, b) and not is_within(a, m)
True
"""

from __future__ import annotations

from collections.abc import Iterable

from accord.disputes.model import Terms, Variant
from accord.model.agreement import Agreement
from accord.model.enums import (
    AgeBand,
    Classification,
    DisclosureProfile,
    Identifiability,
    KeyScope,
    PostcodeLevel,
    Standard,
)
from accord.model.flows import Drop, Generalise, PostcodeTo, Pseudonymise, SuppressSmall, Transform

IDENTIFIABILITY_RANK = {
    Identifiability.identifiable: 0,
    Identifiability.pseudonymised: 1,
    Identifiability.anonymised_ico_compliant: 2,
    Identifiability.aggregate: 3,
}
_KEY_SCOPE_RANK = {KeyScope.global_: 0, KeyScope.agreement: 1, KeyScope.recipient: 2}
_POSTCODE_RANK = {PostcodeLevel.lsoa: 0, PostcodeLevel.district: 1, PostcodeLevel.upper_tier: 2}
_AGE_RANK = {AgeBand.age_band_5y: 0, AgeBand.age_band_10y: 1}


def transform_rank(t: Transform | None) -> tuple[int, int]:
    """How strongly a transform hides a field: (kind, degree); higher hides more."""
    match t:
        case None:
            return (0, 0)
        case Generalise():
            return (1, _AGE_RANK[t.to])
        case PostcodeTo():
            return (2, _POSTCODE_RANK[t.level])
        case Pseudonymise():
            return (3, _KEY_SCOPE_RANK[t.key_scope])
        case Drop():
            return (4, 0)
    raise TypeError(f"not a field transform: {t!r}")  # pragma: no cover (SuppressSmall excluded)


def _by_field(v: Variant) -> dict[str, Transform]:
    return {t.field: t for t in v.transforms if not isinstance(t, SuppressSmall)}


def _suppression(v: Variant) -> SuppressSmall | None:
    for t in v.transforms:
        if isinstance(t, SuppressSmall):
            return t
    return None


def _stronger(a: Transform | None, b: Transform | None) -> Transform | None:
    return a if transform_rank(a) >= transform_rank(b) else b


def is_within(a: Terms, b: Terms) -> bool:
    """Whether ``a`` gives the recipient nothing that ``b`` does not."""
    if a is None:
        return True
    if b is None:
        return False
    if not set(a.projection) <= set(b.projection):
        return False
    if not set(b.row_conditions) <= set(a.row_conditions):
        return False
    ta, tb = _by_field(a), _by_field(b)
    if any(transform_rank(ta.get(f)) < transform_rank(tb.get(f)) for f in a.projection):
        return False
    if _suppression(b) is not None and _suppression(a) is None:
        return False
    return IDENTIFIABILITY_RANK[a.identifiability] >= IDENTIFIABILITY_RANK[b.identifiability]


def _build(
    projection: list[str],
    conditions: Iterable[str],
    by_field: dict[str, Transform | None],
    suppress: SuppressSmall | None,
    identifiability: Identifiability,
) -> Terms:
    if not projection:
        return None
    transforms: list[Transform] = [t for f in projection if (t := by_field.get(f)) is not None]
    if suppress is not None:
        transforms.append(suppress)
    return Variant(
        projection=tuple(projection),
        row_conditions=tuple(conditions),
        transforms=tuple(transforms),
        identifiability=identifiability,
    )


def meet(a: Terms, b: Terms) -> Terms:
    """The most generous terms within both ``a`` and ``b`` (``None`` if no field is common)."""
    if a is None or b is None:
        return None
    ta, tb = _by_field(a), _by_field(b)
    projection = [f for f in a.projection if f in b.projection]
    suppress = _suppression(a) or _suppression(b)
    ident = max(a.identifiability, b.identifiability, key=IDENTIFIABILITY_RANK.__getitem__)
    return _build(
        projection,
        (*a.row_conditions, *b.row_conditions),
        {f: _stronger(ta.get(f), tb.get(f)) for f in projection},
        suppress,
        ident,
    )


def meet_all(terms: Iterable[Terms], start: Terms) -> Terms:
    out = start
    for t in terms:
        out = meet(out, t)
    return out


def drop_fields(v: Terms, fields: Iterable[str]) -> Terms:
    """``v`` without the named fields (``None`` if nothing is left)."""
    if v is None:
        return None
    gone = set(fields)
    by_field: dict[str, Transform | None] = dict(_by_field(v))
    return _build(
        [f for f in v.projection if f not in gone],
        v.row_conditions,
        by_field,
        _suppression(v),
        v.identifiability,
    )


def _classification(agreement: Agreement, name: str) -> tuple[Classification, Standard | None]:
    item = agreement.item(name)
    return item.classification, item.standard


KEY_STANDARDS = frozenset({Standard.NHS_NUMBER, Standard.UPRN})


def pseudonymise_identifiers(v: Terms, agreement: Agreement) -> Terms:
    """Keep identifier keys (NHS number, UPRN) only as per-recipient pseudonyms; drop the other
    direct identifiers (names, phone numbers); the flow becomes pseudonymised."""
    if v is None:
        return None
    by_field: dict[str, Transform | None] = dict(_by_field(v))
    projection: list[str] = []
    for f in v.projection:
        classification, standard = _classification(agreement, f)
        if classification is Classification.direct_identifier:
            if standard not in KEY_STANDARDS:
                continue
            by_field[f] = _stronger(by_field.get(f), Pseudonymise(field=f))
        projection.append(f)
    ident = max(
        v.identifiability, Identifiability.pseudonymised, key=IDENTIFIABILITY_RANK.__getitem__
    )
    return _build(projection, v.row_conditions, by_field, _suppression(v), ident)


def aggregate(v: Terms, agreement: Agreement) -> Terms:
    """Counts only: no direct identifiers, dates of birth as 10-year bands, postcodes as LSOAs,
    small numbers suppressed under the agreement's profile (NHS secondary care by default)."""
    if v is None:
        return None
    by_field: dict[str, Transform | None] = dict(_by_field(v))
    projection: list[str] = []
    for f in v.projection:
        classification, standard = _classification(agreement, f)
        if classification is Classification.direct_identifier:
            continue
        if standard is Standard.DATE_ISO8601:
            by_field[f] = _stronger(by_field.get(f), Generalise(field=f, to=AgeBand.age_band_10y))
        elif standard is Standard.POSTCODE:
            by_field[f] = _stronger(by_field.get(f), PostcodeTo(field=f))
        projection.append(f)
    profile = agreement.disclosure_control_profile
    if profile is DisclosureProfile.none:
        profile = DisclosureProfile.nhs_secondary_care
    return _build(
        projection,
        v.row_conditions,
        by_field,
        _suppression(v) or SuppressSmall(profile=profile),
        Identifiability.aggregate,
    )


def clamp(terms: Terms, ceiling: Terms) -> Terms:
    """``terms`` cut down to ``ceiling``: equal to ``terms`` whenever it is already within."""
    return terms if is_within(terms, ceiling) else meet(terms, ceiling)
