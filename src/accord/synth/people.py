"""Build one batch of synthetic people as Arrow arrays, vectorised (no loop per person).

A batch is a run of person indices and one seeded generator. Everything about a person that
does not depend on where they live is drawn here once (:func:`draw_people`); the columns that
follow from the postcode (address, UPRN, GP practice) are spelled by :func:`spell_people`
after any moves, so a person who moves gets a new address in the new area.

Every column is text, as a raw extract arrives: ``nhs_number``, ``given_name``,
``family_name``, ``date_of_birth`` (ISO 8601), ``sex`` (``F``, ``M`` or ``U``),
``address_line_1``, ``postcode``, ``uprn``, ``phone``, ``gp_practice_ods``, ``clinical_group``,
``diagnosis_snomed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.synth.directory import ResidentialPostcodes
from accord.synth.nhs_numbers import NhsNumberSpace
from accord.synth.vocabulary import (
    CLINICAL_GROUPS,
    FAMILY_NAMES,
    FEMALE_NAMES,
    MALE_NAMES,
    PHONE_RANGES,
    PRACTICE_LETTERS,
    STREET_ENDINGS,
    STREET_NAMES,
)

COLUMNS = (
    "nhs_number",
    "given_name",
    "family_name",
    "date_of_birth",
    "sex",
    "address_line_1",
    "postcode",
    "uprn",
    "phone",
    "gp_practice_ods",
    "clinical_group",
    "diagnosis_snomed",
)
SCHEMA = pa.schema([(name, pa.string()) for name in COLUMNS])
POSTCODE_FAULTS = ("known", "unknown_postcode", "malformed_postcode", "missing_postcode")

# Ages are counted back from the start of shielding in England.
AGE_REFERENCE = date(2020, 3, 23)
_EPOCH = date(1970, 1, 1)
_NULL = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class DataQuality:
    """Shares of deliberately imperfect values (each a fraction of all people).

    ``malformed_postcode_share`` and ``missing_postcode_share`` come on top of the unknown
    postcodes; ``messy_postcode_share`` writes a known postcode in lower case or without its
    space (it still resolves after normalisation). The phone shares follow S1 point 11.
    """

    malformed_nhs_share: float = 0.0005
    malformed_postcode_share: float = 0.0005
    missing_postcode_share: float = 0.0005
    messy_postcode_share: float = 0.01
    missing_phone_share: float = 0.12
    invalid_phone_share: float = 0.06
    missing_uprn_share: float = 0.03


def _weights(n: int, bend: float) -> np.ndarray:
    w = 1.0 / (np.arange(n) + bend)
    normalised: np.ndarray = w / w.sum()
    return normalised


_FEMALE = pa.array(FEMALE_NAMES)
_MALE = pa.array(MALE_NAMES)
_FAMILY = pa.array(FAMILY_NAMES)
_FEMALE_P = _weights(len(FEMALE_NAMES), 8.0)
_MALE_P = _weights(len(MALE_NAMES), 8.0)
_FAMILY_P = _weights(len(FAMILY_NAMES), 4.0)
_STREETS = pa.array([f"{n} {e}" for n in STREET_NAMES for e in STREET_ENDINGS])
_GROUPS = pa.array([g for g, _, _ in CLINICAL_GROUPS])
_GROUP_P = np.array([p for _, p, _ in CLINICAL_GROUPS]) / sum(p for _, p, _ in CLINICAL_GROUPS)
_CODES = pa.array([c for _, _, codes in CLINICAL_GROUPS for c in codes])
_CODE_COUNT = np.array([len(codes) for _, _, codes in CLINICAL_GROUPS])
_CODE_START = np.concatenate(([0], np.cumsum(_CODE_COUNT)[:-1]))
_PHONE_PREFIX = pa.array([p for p, _ in PHONE_RANGES])
_LETTERS = pa.array(list(PRACTICE_LETTERS))


@dataclass
class Batch:
    """People of one batch: fixed attributes, and where each lives (mutable by moves)."""

    indices: np.ndarray
    nhs_number: pa.Array
    given_name: pa.Array
    family_name: pa.Array
    date_of_birth: pa.Array
    sex: pa.Array
    phone: pa.Array
    clinical_group: pa.Array
    diagnosis_snomed: pa.Array
    house: np.ndarray  # house number
    flat: np.ndarray  # flat number, 0 when not a flat
    messy: np.ndarray  # bool: known postcode written untidily
    no_uprn: np.ndarray  # bool
    home: np.ndarray  # int64 index into the residential postcodes, -1 when not known
    unplaced: pa.Array  # postcode text for people with home == -1 (null otherwise)
    spare_street: np.ndarray  # street index for people with no known postcode
    postcode_fault: np.ndarray  # int8 index into POSTCODE_FAULTS (0: a known postcode)
    flags: dict[str, np.ndarray]  # named boolean masks of deliberate faults


def _pad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values, pa.int64()), pa.string()), width, "0")


def _nhs_numbers(
    rng: np.random.Generator,
    indices: np.ndarray,
    space: NhsNumberSpace,
    share: float,
    q: DataQuality,
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    numbers = space.numbers(indices)
    n = len(indices)
    u = rng.random(n)
    wrong = u < share
    malformed = (u >= share) & (u < share + q.malformed_nhs_share)
    shift = rng.integers(1, 10, size=n)
    body = pc.utf8_slice_codeunits(numbers, 0, 9)
    last = pc.cast(pc.utf8_slice_codeunits(numbers, 9, 10), pa.int64()).to_numpy()
    wrong_check = pc.cast(pa.array((last + shift) % 10), pa.string())
    bad = pc.binary_join_element_wise(body, wrong_check, "")
    numbers = pc.if_else(pa.array(wrong), bad, numbers)
    numbers = pc.if_else(pa.array(malformed), body, numbers)
    return numbers, wrong, malformed


def _phones(
    rng: np.random.Generator, n: int, q: DataQuality
) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    which = rng.integers(0, len(PHONE_RANGES), size=n)
    tail = _pad(rng.integers(0, 1000, size=n), 3)
    phone = pc.binary_join_element_wise(_PHONE_PREFIX.take(pa.array(which)), tail, "")
    u = rng.random(n)
    missing = u < q.missing_phone_share
    invalid = (u >= q.missing_phone_share) & (u < q.missing_phone_share + q.invalid_phone_share)
    phone = pc.if_else(pa.array(invalid), pc.utf8_slice_codeunits(phone, 0, -4), phone)
    phone = pc.if_else(pa.array(missing), _NULL, phone)
    return phone, missing, invalid


def _unplaced(
    rng: np.random.Generator,
    n: int,
    homes: ResidentialPostcodes,
    unknown_share: float,
    q: DataQuality,
) -> tuple[np.ndarray, pa.Array, np.ndarray]:
    """Choose homes; a controlled share get an unknown, malformed or missing postcode instead."""
    home = rng.integers(0, len(homes), size=n)
    u = rng.random(n)
    cut1 = unknown_share
    cut2 = cut1 + q.malformed_postcode_share
    cut3 = cut2 + q.missing_postcode_share
    unknown = u < cut1
    malformed = (u >= cut1) & (u < cut2)
    missing = (u >= cut2) & (u < cut3)
    spelled = homes.unknown(rng, int(unknown.sum()))
    slot = pa.array(np.cumsum(unknown) - 1, mask=~unknown)
    text = spelled.take(slot)
    # malformed: a real postcode missing its last letter, or with the inward code doubled
    known_text = homes.postcodes.take(pa.array(home))
    broken = pc.if_else(
        pa.array(rng.random(n) < 0.5),
        pc.utf8_slice_codeunits(known_text, 0, -1),
        pc.binary_join_element_wise(known_text, pc.utf8_slice_codeunits(known_text, -3), ""),
    )
    text = pc.if_else(pa.array(malformed), broken, text)
    text = pc.if_else(pa.array(missing), _NULL, text)
    placed = ~(unknown | malformed | missing)
    text = pc.if_else(pa.array(placed), _NULL, text)
    home = np.where(placed, home, -1)
    fault = np.zeros(n, dtype=np.int8)
    fault[unknown] = 1
    fault[malformed] = 2
    fault[missing] = 3
    return home, text, fault


def draw_people(
    rng: np.random.Generator,
    indices: np.ndarray,
    *,
    space: NhsNumberSpace,
    homes: ResidentialPostcodes,
    invalid_nhs_share: float,
    unknown_postcode_share: float,
    quality: DataQuality,
) -> Batch:
    """Draw a batch of people for the given person indices."""
    n = len(indices)
    nhs, wrong, malformed_nhs = _nhs_numbers(rng, indices, space, invalid_nhs_share, quality)
    u = rng.random(n)
    female = u < 0.51
    unknown_sex = u >= 0.995
    sex = pc.if_else(
        pa.array(female), pa.scalar("F"), pc.if_else(pa.array(unknown_sex), pa.scalar("U"), "M")
    )
    as_female = female | (unknown_sex & (rng.random(n) < 0.5))
    given = pc.if_else(
        pa.array(as_female),
        _FEMALE.take(pa.array(rng.choice(len(FEMALE_NAMES), size=n, p=_FEMALE_P))),
        _MALE.take(pa.array(rng.choice(len(MALE_NAMES), size=n, p=_MALE_P))),
    )
    family = _FAMILY.take(pa.array(rng.choice(len(FAMILY_NAMES), size=n, p=_FAMILY_P)))
    older = rng.random(n) < 0.75
    age = np.where(older, rng.normal(68.0, 13.0, size=n), rng.uniform(0.0, 95.0, size=n))
    age_days = (np.clip(age, 0.0, 104.0) * 365.25).astype(np.int64)
    born = (AGE_REFERENCE - _EPOCH).days - age_days
    dob = pc.cast(pa.array(born.astype(np.int32), pa.date32()), pa.string())
    phone, missing_phone, invalid_phone = _phones(rng, n, quality)
    group = rng.choice(len(_GROUP_P), size=n, p=_GROUP_P)
    code = _CODE_START[group] + (rng.random(n) * _CODE_COUNT[group]).astype(np.int64)
    house = rng.integers(1, 181, size=n)
    flat = np.where(rng.random(n) < 0.08, rng.integers(1, 25, size=n), 0)
    messy = rng.random(n) < quality.messy_postcode_share
    no_uprn = rng.random(n) < quality.missing_uprn_share
    spare_street = rng.integers(0, len(_STREETS), size=n)
    home, unplaced, fault = _unplaced(rng, n, homes, unknown_postcode_share, quality)
    flags = {
        "invalid_nhs_number": wrong,
        "malformed_nhs_number": malformed_nhs,
        "missing_phone": missing_phone,
        "invalid_phone": invalid_phone,
        "missing_uprn": no_uprn,
    }
    return Batch(
        indices=indices,
        nhs_number=nhs,
        given_name=given,
        family_name=family,
        date_of_birth=dob,
        sex=sex,
        phone=phone,
        clinical_group=_GROUPS.take(pa.array(group)),
        diagnosis_snomed=_CODES.take(pa.array(code)),
        house=house,
        flat=flat,
        messy=messy,
        no_uprn=no_uprn,
        home=home,
        unplaced=unplaced,
        spare_street=spare_street,
        postcode_fault=fault,
        flags=flags,
    )


def count_faults(batch: Batch, keep: np.ndarray) -> dict[str, int]:
    """How many of the kept people carry each deliberate fault."""
    counts = {name: int(mask[keep].sum()) for name, mask in batch.flags.items()}
    placed = batch.home[keep] >= 0
    counts["missing_uprn"] = int((batch.flags["missing_uprn"][keep] | ~placed).sum())
    counts["messy_postcode"] = int((batch.messy[keep] & placed).sum())
    fault = batch.postcode_fault[keep]
    for code, name in enumerate(POSTCODE_FAULTS[1:], start=1):
        counts[name] = int((fault == code).sum())
    return counts


def spell_people(batch: Batch, homes: ResidentialPostcodes, keep: np.ndarray) -> pa.RecordBatch:
    """The output rows of the people in ``batch`` selected by the boolean mask ``keep``."""
    rows = pa.array(np.flatnonzero(keep))
    home = batch.home[keep]
    placed = home >= 0
    safe_home = np.where(placed, home, 0)
    known = homes.postcodes.take(pa.array(safe_home))
    messy = batch.messy[keep]
    lower = pc.utf8_lower(known)
    squashed = pc.replace_substring(known, " ", "")
    untidy = pc.if_else(pa.array(batch.indices[keep] % 2 == 0), lower, squashed)
    known = pc.if_else(pa.array(messy), untidy, known)
    postcode = pc.if_else(pa.array(placed), known, batch.unplaced.take(rows))

    street_index = np.where(
        placed, (safe_home * 2654435761) % len(_STREETS), batch.spare_street[keep]
    )
    street = _STREETS.take(pa.array(street_index))
    house = batch.house[keep]
    flat = batch.flat[keep]
    line = pc.binary_join_element_wise(pc.cast(pa.array(house), pa.string()), street, " ")
    flat_prefix = pc.binary_join_element_wise(
        pa.scalar("Flat "), pc.cast(pa.array(flat), pa.string()), pa.scalar(", "), ""
    )
    line = pc.if_else(pa.array(flat > 0), pc.binary_join_element_wise(flat_prefix, line, ""), line)

    uprn_value = 100_000_000_000 + ((safe_home * 200 + house) * 32 + flat) % 899_999_999_999
    uprn = pc.cast(pa.array(uprn_value), pa.string())
    uprn = pc.if_else(pa.array(placed & ~batch.no_uprn[keep]), uprn, _NULL)

    lsoa = homes.lsoa21.take(pa.array(safe_home))
    lsoa_number = pc.cast(pc.utf8_slice_codeunits(lsoa, 3), pa.int64()).to_numpy()
    practice = np.where(placed, lsoa_number // 5, batch.spare_street[keep] % 7000)
    letter = _LETTERS.take(pa.array((practice * 7) % len(PRACTICE_LETTERS)))
    ods = pc.binary_join_element_wise(letter, _pad((practice * 7919 + 10007) % 100_000, 5), "")

    return pa.record_batch(
        [
            batch.nhs_number.take(rows),
            batch.given_name.take(rows),
            batch.family_name.take(rows),
            batch.date_of_birth.take(rows),
            batch.sex.take(rows),
            line,
            postcode,
            uprn,
            batch.phone.take(rows),
            ods,
            batch.clinical_group.take(rows),
            batch.diagnosis_snomed.take(rows),
        ],
        schema=SCHEMA,
    )
