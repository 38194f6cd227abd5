"""accord.refdata: UK data standards and effective-dated English geography.

Owns the validators for the identifiers that flows carry (NHS number, ODS code, GSS code,
postcode, UPRN, ISO 8601 date), each in two forms that accept exactly the same values: a
Python function that returns the normalised value or raises :class:`accord.errors.InputError`,
and a builder of a DuckDB SQL expression for the engine to embed. It also owns the packaged
ONS reference geography and the :class:`Geography` lookups postcode -> LSOA 2021 -> LAD ->
upper-tier authority at an effective date.

The SQL-text helpers the builders use are public too, for the engine's own SQL:
:func:`quote_identifier`, :func:`string_literal` and :data:`WHITESPACE_CLASS`.

Imports nothing from accord except :mod:`accord.errors`.

>>> validate_nhs_number("943 476 5919")
'9434765919'
>>> validate_postcode("sw1a1aa")
'SW1A 1AA'
"""

from accord.refdata._sql import WHITESPACE_CLASS, quote_identifier, string_literal
from accord.refdata.dates import iso_date_sql, validate_iso_date
from accord.refdata.geography import Area, Authority, Geography, month_of
from accord.refdata.gss import ENTITIES, LOWER_TIER, UPPER_TIER, gss_code_sql, validate_gss_code
from accord.refdata.nhs_number import (
    check_digit,
    nhs_number_normalise_sql,
    nhs_number_sql,
    validate_nhs_number,
)
from accord.refdata.ods import ODS_FRAMES, ods_code_sql, validate_ods_code
from accord.refdata.postcode import postcode_normalise_sql, postcode_sql, validate_postcode
from accord.refdata.postcode_directory import read_postcode_directory
from accord.refdata.uprn import uprn_sql, validate_uprn

__all__ = [
    "ENTITIES",
    "WHITESPACE_CLASS",
    "LOWER_TIER",
    "ODS_FRAMES",
    "UPPER_TIER",
    "Area",
    "Authority",
    "Geography",
    "check_digit",
    "gss_code_sql",
    "iso_date_sql",
    "month_of",
    "nhs_number_normalise_sql",
    "nhs_number_sql",
    "ods_code_sql",
    "postcode_normalise_sql",
    "postcode_sql",
    "quote_identifier",
    "read_postcode_directory",
    "string_literal",
    "uprn_sql",
    "validate_gss_code",
    "validate_iso_date",
    "validate_nhs_number",
    "validate_ods_code",
    "validate_postcode",
    "validate_uprn",
]
