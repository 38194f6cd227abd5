"""The conformance cases: one agreement per topic, one flow per clause, run on every engine.

Each :class:`Case` names the clause each of its flows exercises (the flow id says which), so a
failure points at the clause. Inputs are small CSV tables written here; the postcode table and
the people are those of the spec suite (``tests/spec/engine_spec.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine_spec import CAMBS, GREENWICH, MIDDLESBROUGH, NHS, agreement, item

ROUTED = "utla(postcode) == recipient.gss"
RECIPIENTS = (f"gss:{GREENWICH}", f"gss:{MIDDLESBROUGH}", f"gss:{CAMBS}")


def items() -> list[dict[str, Any]]:
    return [
        item("nhs_number", standard="NHS_NUMBER"),
        item("given_name"),
        item("date_of_birth", type="date"),
        item("postcode", standard="POSTCODE"),
        item("group"),
        item("score", type="integer"),
        item("weight", type="number"),
        item("flag", type="boolean"),
        item("seen", type="datetime"),
        item("born_year", type="year"),
    ]


def person(i: int, postcode: str, **extra: str) -> dict[str, str]:
    row = {
        "nhs_number": NHS[i % len(NHS)],
        "given_name": f"Person{i}",
        "date_of_birth": "1950-06-15",
        "postcode": postcode,
        "group": "A",
        "score": str(i),
        "weight": f"{60 + i}.5",
        "flag": "true" if i % 2 else "false",
        "seen": f"2026-03-0{1 + i % 9}T10:00:00",
        "born_year": "1950",
    }
    return {**row, **extra}


PEOPLE = [
    person(0, "SE10 9AA"),
    person(1, "ts1 1aa", group="B", date_of_birth="1956-03-20"),  # 70 on the run date
    person(2, "SE109BB", group="", score="", date_of_birth="1956-03-21"),  # 69 until tomorrow
    person(3, "CB2 1TN", group="C", flag="", weight="", date_of_birth="1930-01-01"),
    person(4, "SE10 9BB", group="B", given_name="O'Brien", date_of_birth="2019-12-31"),
    person(5, "TS1 1AA", score="-3", seen="", born_year="", date_of_birth=""),
]


def flow(fid: str, recipient: str, projection: list[str], row_filter: str, **extra: Any):
    return {
        "id": fid,
        "recipient": recipient,
        "projection": projection,
        "row_filter": row_filter,
        **extra,
    }


@dataclass(frozen=True)
class Case:
    id: str
    flows: list[dict[str, Any]]
    rows: list[dict[str, str]] = field(default_factory=lambda: PEOPLE)
    data_items: list[dict[str, Any]] | None = None
    opt_outs: dict[str, Any] | None = None
    lists: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def agreement(self):
        return agreement(flows=self.flows, items=self.data_items or items(), opt_outs=self.opt_outs)


def _filters(cases: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """One flow per (clause, filter), round-robin over the recipients."""
    return [
        flow(f"f-{name}", RECIPIENTS[i % len(RECIPIENTS)], ["nhs_number", "group"], text)
        for i, (name, text) in enumerate(cases)
    ]


COMPARISONS = [
    ("eq-text", "group == 'B'"),
    ("ne-text", "group != 'B'"),
    ("lt-integer", "score < 2"),
    ("le-integer", "score <= 2"),
    ("gt-number", "weight > 62.5"),
    ("ge-number", "weight >= 62.5"),
    ("lt-date", "date_of_birth < '1956-03-21'"),
    ("eq-year", "born_year == 1950"),
    ("eq-boolean", "flag == true"),
    ("eq-quote", "given_name == 'O''Brien'"),
    ("literal-left", "'B' == group"),
]
LISTS_AND_LOGIC = [
    ("in", "group in ('A', 'C')"),
    ("not-in", "group not in ('A', 'C')"),
    ("and", "group == 'A' and score >= 0"),
    ("or", "group == 'C' or score < 1"),
    ("not", "not group == 'A'"),
    ("not-unknown", "not score > 100"),
    ("parentheses", "(group == 'B' or group == 'C') and not (score == 4)"),
    ("truth-field", "flag"),
    ("truth-not-field", "not flag"),
    ("true", "true"),
    ("false", "false"),
    ("not-true", "not true"),
]
FUNCTIONS = [
    ("utla", ROUTED),
    ("lad", f"lad(postcode) == '{GREENWICH}'"),
    ("lsoa", "lsoa(postcode) in ('E01001002', 'E01002001')"),
    ("age-ge", "age(date_of_birth) >= 70"),
    ("age-lt", "age(date_of_birth) < 70"),
    ("recipient-code", "utla(postcode) == recipient.code"),
    ("recipient-org-id", "recipient.org_id == 'gss:E09000011'"),
    ("recipient-ne", "recipient.gss != utla(postcode)"),
]

_ALL = ["nhs_number", "date_of_birth", "postcode", "group", "score", "seen", "born_year"]


def _transform_flows() -> list[dict[str, Any]]:
    def t(fid: str, projection: list[str], transforms: list[dict[str, Any]], **extra: Any):
        return flow(fid, f"gss:{GREENWICH}", projection, "true", transforms=transforms, **extra)

    return [
        t(
            "f-pseudonymise",
            ["nhs_number", "group"],
            [{"op": "pseudonymise", "field": "nhs_number"}],
        ),
        t("f-pseudonymise-text", ["given_name"], [{"op": "pseudonymise", "field": "given_name"}]),
        t("f-pseudonymise-integer", ["score"], [{"op": "pseudonymise", "field": "score"}]),
        t(
            "f-pseudonymise-date",
            ["date_of_birth"],
            [{"op": "pseudonymise", "field": "date_of_birth"}],
        ),
        t("f-pseudonymise-year", ["born_year"], [{"op": "pseudonymise", "field": "born_year"}]),
        t(
            "f-age-band-5",
            ["nhs_number", "date_of_birth"],
            [{"op": "generalise", "field": "date_of_birth", "to": "age_band_5y"}],
        ),
        t(
            "f-age-band-10",
            ["nhs_number", "date_of_birth"],
            [{"op": "generalise", "field": "date_of_birth", "to": "age_band_10y"}],
        ),
        t("f-lsoa", ["postcode"], [{"op": "postcode_to", "field": "postcode", "level": "lsoa"}]),
        t(
            "f-district",
            ["postcode"],
            [{"op": "postcode_to", "field": "postcode", "level": "district"}],
        ),
        t(
            "f-upper-tier",
            ["postcode"],
            [{"op": "postcode_to", "field": "postcode", "level": "upper_tier"}],
        ),
        t("f-drop", ["nhs_number", "group"], [{"op": "drop", "field": "group"}]),
        t("f-typed", _ALL + ["weight", "flag"], []),
    ]


def _linked_flows() -> list[dict[str, Any]]:
    shared = [{"op": "pseudonymise", "field": "nhs_number", "key_scope": "agreement"}]
    return [
        flow(
            f"f-linked-{c.split(':')[1].lower()}",
            c,
            ["nhs_number"],
            "true",
            transforms=shared,
            linkage_permitted=["tt"],
        )  # fmt: skip
        for c in RECIPIENTS[:2]
    ]


def _default_items() -> list[dict[str, Any]]:
    out = items()
    for it in out:
        if it["name"] == "given_name":
            it["transform"] = "drop"
        if it["name"] == "nhs_number":
            it["transform"] = "pseudonymise"
        if it["name"] == "date_of_birth":
            it["transform"] = "generalise"
        if it["name"] == "postcode":
            it["transform"] = "generalise"
    return out


VALIDATION_ITEMS = [
    item("nhs_number", standard="NHS_NUMBER", constraints={"required": True}),
    item("given_name", constraints={"minLength": 2, "maxLength": 8, "pattern": "[A-Za-z']+"}),
    item("postcode", standard="POSTCODE"),
    item("group", constraints={"enum": ["A", "B"]}),
    item("score", type="integer", constraints={"minimum": 0, "maximum": 10}),
    item("weight", type="number", constraints={"minimum": 1.5}),
    item("flag", type="boolean"),
    item("born", type="date", constraints={"maximum": "2020-01-01"}),
    item("seen", type="datetime"),
    item("born_year", type="year"),
    item("area", standard="GSS_CODE"),
    item("practice", standard="ODS_CODE"),
    item("uprn", standard="UPRN"),
    item("listed", standard="DATE_ISO8601"),
]
_GOOD = {
    "nhs_number": NHS[0],
    "given_name": "Ann",
    "postcode": "SE10 9AA",
    "group": "A",
    "score": "3",
    "weight": "70.5",
    "flag": "TRUE",
    "born": "2001-02-03",
    "seen": "2026-01-02 03:04:05",
    "born_year": "2001",
    "area": " E09000011 ",
    "practice": "a81001",
    "uprn": "10023336956",
    "listed": "2024-02-29",
}
_BAD = [
    {"nhs_number": "9434765918"},
    {"nhs_number": "943 476 5919"},
    {"nhs_number": ""},
    {"given_name": "A"},
    {"given_name": "Ann-Marie9"},
    {"group": "Z"},
    {"score": "eleven"},
    {"score": "11"},
    {"score": "+7"},
    {"weight": "1e400"},
    {"weight": "1.0"},
    {"weight": "2."},
    {"flag": "yes"},
    {"flag": "0"},
    {"born": "2021-02-29"},
    {"born": "2021-13-01"},
    {"born": "0000-01-01"},
    {"born": "1900-02-29"},  # not a leap year in the Gregorian calendar (it was in the Julian)
    {"born": "2019-04-31"},
    {"born": "2019-1-01"},
    {"born": "2021-01-01"},
    {"seen": "2026-01-02T03:04:05"},
    {"seen": "2026-01-02 25:04:05"},
    {"seen": "2026-01-02 23:60:00"},
    {"seen": "2026-01-02 23:59:60"},
    {"seen": "2026-02-29 00:00:00"},
    {"seen": "2026-01-02 03:04:05.5"},
    {"born_year": "99"},
    {"area": "X09000011"},
    {"area": "e09000011"},
    {"practice": "TOOLONGCODE"},
    {"uprn": "0"},
    {"uprn": "000"},
    {"uprn": " 0042 "},
    {"uprn": "1234567890123"},
    {"listed": "2023-02-29"},
    {"postcode": "NOT A POSTCODE"},
    {"postcode": "ZZ9 9ZZ"},
    {"postcode": ""},
    {"postcode": " cb2\t1tn "},
]
VALIDATION_ROWS = [_GOOD] + [{**_GOOD, **bad} for bad in _BAD]

NDOO = [{"nhs_number": NHS[2], "list_version": "NDOO-1", "list_kind": "ndoo"}]
TYPE1 = [{"nhs_number": NHS[0], "list_version": "T1-7", "list_kind": "type1"}]

CASES = [
    Case("comparisons", _filters(COMPARISONS)),
    Case("lists-and-logic", _filters(LISTS_AND_LOGIC)),
    Case("functions", _filters(FUNCTIONS)),
    Case("transforms", _transform_flows()),
    Case("linked-pseudonyms", _linked_flows()),
    Case(
        "data-item-defaults",
        [
            flow(
                "f-defaults",
                f"gss:{GREENWICH}",
                ["nhs_number", "given_name", "date_of_birth", "postcode"],
                ROUTED,
            )
        ],
        data_items=_default_items(),
    ),
    Case(
        "validation",
        [flow("f-validation", f"gss:{GREENWICH}", [v["name"] for v in VALIDATION_ITEMS], "true")],
        rows=VALIDATION_ROWS,
        data_items=VALIDATION_ITEMS,
    ),
    Case(
        "opt-outs",
        [
            flow(f"f-optouts-{c.split(':')[1].lower()}", c, ["nhs_number"], "true")
            for c in RECIPIENTS
        ],
        opt_outs={"apply_ndoo": True, "apply_type1": True, "rationale": "s251 standard condition"},
        lists={"ndoo": NDOO, "type1": TYPE1},
    ),
    Case(
        "opt-outs-per-flow",
        [
            flow("f-ndoo-only", RECIPIENTS[0], ["nhs_number"], "true"),
            flow(
                "f-no-optouts",
                RECIPIENTS[1],
                ["nhs_number"],
                "true",
                opt_outs={"apply_ndoo": False, "apply_type1": False, "rationale": "COPI reg 3"},
            ),
        ],
        opt_outs={"apply_ndoo": True, "apply_type1": False, "rationale": "s251 standard condition"},
        lists={"ndoo": NDOO},
    ),
    Case(
        "csv-delivery",
        [
            flow(
                "f-csv",
                RECIPIENTS[0],
                ["nhs_number", "score", "seen"],
                ROUTED,
                delivery_format="csv",
            )
        ],
    ),
]
