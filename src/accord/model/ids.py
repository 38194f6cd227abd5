"""Typed organisation identifiers used for parties (domain/rules.md §a.3 Party.org_id, §h).

An identifier is ``scheme:value``:

- ``ods:<code>`` NHS bodies, 1-9 alphanumerics (Organisation Data Service)
- ``gss:<code>`` local authorities and areas, ``^[ENSW]\\d{8}$`` (ONS GSS)
- ``gov-org:<id>`` departments and agencies: a GOV.UK organisation slug or analytics id
  (``D2``, ``EA26``)
- ``ch:<number>`` companies, by Companies House number (8 digits, or 2 letters and 6 digits)

>>> parse_org_id("gss:E09000011")
'gss:E09000011'
>>> parse_org_id("ods: x26 ")
'ods:X26'
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_SCHEMES: dict[str, re.Pattern[str]] = {
    "ods": re.compile(r"^[A-Z0-9]{1,9}$"),
    "gss": re.compile(r"^[ENSW]\d{8}$"),
    "gov-org": re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*|(D|EA|PB|PC|OT|GB|CO|MA|IG)\d{1,4})$"),
    "ch": re.compile(r"^(\d{8}|[A-Z]{2}\d{6})$"),
}
_UPPER = {"ods", "gss", "ch"}


def parse_org_id(raw: str) -> str:
    """Normalise and check a typed identifier; raise ``ValueError`` naming the rule broken."""
    scheme, sep, value = raw.strip().partition(":")
    scheme = scheme.strip().lower()
    if not sep or scheme not in _SCHEMES:
        raise ValueError(
            f"organisation id must be scheme:value with scheme one of {', '.join(_SCHEMES)}"
        )
    value = value.strip()
    if scheme in _UPPER:
        value = value.upper()
    if not _SCHEMES[scheme].match(value):
        rules = {
            "ods": "an ODS code is 1-9 letters or digits",
            "gss": "a GSS code is a letter E, N, S or W and 8 digits",
            "gov-org": "a GOV.UK organisation id is a slug or an analytics id such as D2 or EA26",
            "ch": "a Companies House number is 8 digits, or 2 letters and 6 digits",
        }
        raise ValueError(rules[scheme])
    return f"{scheme}:{value}"


def org_scheme(org_id: str) -> str:
    return org_id.partition(":")[0]


def org_code(org_id: str) -> str:
    return org_id.partition(":")[2]


OrgId = Annotated[str, AfterValidator(parse_org_id)]
