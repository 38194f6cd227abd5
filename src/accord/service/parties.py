"""Parties built from reference data: every English upper-tier authority as a recipient."""

from __future__ import annotations

from datetime import date

from accord.model import Contacts, Party
from accord.model.enums import OrgType
from accord.refdata import Geography

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
