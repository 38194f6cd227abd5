"""Parties and reference data: every English upper-tier authority as a recipient, and whether
an organisation exists on a date.

:func:`organisation_lookup` answers the law's question "does this party exist on this date?"
(``accord.law.context.OrganisationLookup``) from the packaged ONS geography, which knows the
2023 reorganisation and the 2025 Barnsley and Sheffield recodes; :func:`recipient_existence`
binds it to a date and lists an agreement's recipients that do not exist then. Organisations
the geography does not know (ODS codes, government departments) are not judged.

>>> from datetime import date
>>> lookup = organisation_lookup()
>>> lookup("gss:E08000016", date(2025, 4, 1))
Existence(org_id='gss:E08000016', exists=False, name='Barnsley', in_its_place=('gss:E08000038',))
>>> lookup("gss:E08000016", date(2025, 3, 31)).exists
True
>>> lookup("ods:X26", date(2025, 4, 1)) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from accord.errors import NotFound
from accord.law.context import Existence, OrganisationLookup
from accord.model import Agreement, Contacts, Party
from accord.model.enums import OrgType, PartyRole
from accord.refdata import Geography
from accord.workspace import Workspace

_TYPE_BY_PREFIX = {
    "E06": OrgType.la_unitary,
    "E08": OrgType.la_metropolitan,
    "E09": OrgType.la_london_borough,
    "E10": OrgType.la_county,
}


def upper_tier_parties(
    geography: Geography | None = None, *, on: date | None = None
) -> list[Party]:
    """One recipient party per upper-tier authority in force ``on`` (153 for LAD 2024), by code.

    Each is a Category 1 responder whose Director of Public Health owes a duty of confidentiality
    (DPA 2018 Sch 1 para 3), with DSPT "standards met" assumed until the real status is loaded.
    """
    table = (geography or Geography()).authorities(on)
    names = dict(zip(table["utla_code"].to_pylist(), table["utla_name"].to_pylist(), strict=True))
    return [
        Party(
            org_id=f"gss:{code}",
            name=names[code],
            org_type=_TYPE_BY_PREFIX[code[:3]],
            role="recipient",
            cca_category="cat1",
            dspt_status="standards_met",
            health_professional_or_duty_of_confidentiality=True,
            contacts=Contacts(
                dpo=f"dpo@{code.lower()}.example", siro=f"siro@{code.lower()}.example"
            ),
        )
        for code in sorted(names)
    ]


# Dates either side of every change the packaged geography knows: its earliest and latest sets.
_EARLIEST, _LATEST = date(2000, 1, 1), date(2100, 1, 1)
_AUTHORITY_ENTITIES = frozenset({"E06", "E07", "E08", "E09", "E10"})


@dataclass
class _GeographyRegister:
    """Existence of English councils (LADs and counties) by GSS code, from a Geography."""

    geography: Geography
    _eras: dict[date, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def _era(self, on: date) -> dict[str, tuple[str, str]]:
        """Every council in force on ``on``: code -> (name, upper-tier code)."""
        era = self._eras.get(on)
        if era is None:
            t = self.geography.authorities(on).to_pydict()
            era = {
                lad: (name, utla)
                for lad, name, utla in zip(
                    t["lad_code"], t["lad_name"], t["utla_code"], strict=True
                )
            }
            for utla, name in zip(t["utla_code"], t["utla_name"], strict=True):
                era.setdefault(utla, (name, utla))
            self._eras[on] = era
        return era

    @cached_property
    def _known(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for on in (_EARLIEST, _LATEST):
            names.update({code: name for code, (name, _) in self._era(on).items()})
        names.update({k: v[0] for k, v in self._era_lad24().items()})
        return names

    def _era_lad24(self) -> dict[str, tuple[str, str]]:
        t = self.geography.authorities(None).to_pydict()
        return {
            lad: (name, utla)
            for lad, name, utla in zip(t["lad_code"], t["lad_name"], t["utla_code"], strict=True)
        }

    def __call__(self, org_id: str, on: date) -> Existence | None:
        scheme, _, code = org_id.partition(":")
        if scheme != "gss" or code[:3] not in _AUTHORITY_ENTITIES or code not in self._known:
            return None
        now = self._era(on)
        if code in now:
            return Existence(org_id, True, now[code][0])
        return Existence(org_id, False, self._known[code], self._in_its_place(code, on))

    def _in_its_place(self, code: str, on: date) -> tuple[str, ...]:
        now = self._era(on)
        if code[:3] == "E10":  # an abolished county: the unitaries its districts became
            districts = [d for d, (_, utla) in self._era(_EARLIEST).items() if utla == code]
            places = {now[self._lad_on(d, on)][1] for d in districts if d != code}
        else:
            try:
                places = {self._lad_on(code, on)}
            except NotFound:  # a unitary asked about before it existed: the councils it replaced
                places = {
                    utla
                    for d, (_, utla) in now.items()
                    if d[:3] == "E07" and self._lad_on(d, _LATEST) == code
                }
        return tuple(f"gss:{c}" for c in sorted(places))

    def _lad_on(self, code: str, on: date) -> str:
        return self.geography.authority(code, on=on).lad_code


def _geography(source: Workspace | Geography | None) -> Geography:
    # A workspace's postcode directory does not change which councils exist: the packaged
    # geography answers for every workspace.
    return source if isinstance(source, Geography) else Geography()


def organisation_lookup(source: Workspace | Geography | None = None) -> OrganisationLookup:
    """The law's ``lookup(org_id, on)`` for ``accord check``: councils by GSS code."""
    return _GeographyRegister(_geography(source))


@dataclass(frozen=True)
class RecipientExistence:
    """Existence of organisations on one date; :meth:`missing` for an agreement's recipients."""

    at: date
    lookup: OrganisationLookup

    def __call__(self, org_id: str) -> Existence | None:
        return self.lookup(org_id, self.at)

    def missing(self, agreement: Agreement) -> list[Existence]:
        """The agreement's recipients that do not exist on ``at`` (with who stands in place)."""
        found = (
            self(p.org_id)
            for p in agreement.parties
            if p.role in {PartyRole.recipient, PartyRole.both}
        )
        return [e for e in found if e is not None and not e.exists]


def recipient_existence(
    ws_or_geo: Workspace | Geography | None, at: date | datetime
) -> RecipientExistence:
    """Which organisations exist on ``at`` (the ``recipient-not-in-existence`` finding's source).

    Call it with an organisation id for its :class:`~accord.law.context.Existence`, or use
    ``.missing(agreement)`` for the recipients a boundary change or recode has left without a
    body; ``.lookup`` is what :func:`accord.law.check` takes as ``organisations``.
    """
    on = at.date() if isinstance(at, datetime) else at
    return RecipientExistence(on, organisation_lookup(ws_or_geo))


__all__ = [
    "RecipientExistence",
    "organisation_lookup",
    "recipient_existence",
    "upper_tier_parties",
]
