"""Effective-dated English geography: postcode -> LSOA 2021 -> LAD -> upper-tier authority.

A :class:`Geography` combines the packaged reference files (296 LADs of the LAD 2024 set,
33,755 LSOAs, the 2023 reorganisation and the 2025 recodes; see
``accord/refdata/data/geography/README.md``) with an optional postcode directory in the
ONSPD/NSPL layout (read by :func:`accord.refdata.postcode_directory.read_postcode_directory`,
whose docstring lists the five columns used: ``pcds``, ``dointr``, ``doterm``, ``lsoa21``,
``laua``).

Every lookup takes the effective date ``on``:

* A postcode is live on ``on`` when ``dointr <= month(on)`` and ``doterm`` is empty or
  ``doterm > month(on)``: a postcode introduced in a later month, or terminated in the month of
  ``on`` or earlier, does not resolve.
* The directory's ``laua`` may be in any vintage this module knows (LAD 2024, an abolished
  2023 district, a LAD 2025 code); it must agree with the LAD of the postcode's LSOA, or the
  postcode does not resolve (it is never routed to a guessed authority).
* From 2023-04-01 the 17 abolished districts and their 3 counties map to their successor
  unitaries; before that date an LSOA in Cumberland, Westmorland and Furness, North Yorkshire
  or Somerset resolves to its old district and county (the district is the prefix of the LSOA
  name, which is the LAD 2021/22 name).
* From 2025-04-01 Barnsley and Sheffield carry their LAD 2025 codes (E08000038, E08000039),
  before it their LAD 2024 codes (E08000016, E08000019), whichever code the input used.
* Earlier reorganisations (before 2023) are not modelled: for earlier dates the LAD 2024 set
  (with the 2023 districts restored) is used.

Two-tier areas expose both tiers: ``lad_code`` is the district, ``utla_code`` the county.

>>> from datetime import date
>>> geo = Geography.load()
>>> geo.authority("E07000026", on=date(2024, 1, 1)).lad_name
'Cumberland'
>>> geo.authority("E08000016", on=date(2025, 4, 1)).lad_code
'E08000038'
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from os import PathLike
from typing import overload

import pyarrow as pa
import pyarrow.compute as pc

from accord.errors import ConfigError, InputError, NotFound, Problem
from accord.refdata import _packaged
from accord.refdata.gss import validate_gss_code
from accord.refdata.postcode import validate_postcode
from accord.refdata.postcode_directory import read_postcode_directory

__all__ = ["Area", "Authority", "Geography", "month_of"]

_AUTHORITY_COLUMNS = (
    "lad_code",
    "lad_name",
    "lad_type",
    "utla_code",
    "utla_name",
    "region_code",
    "region_name",
)


@dataclass(frozen=True)
class Authority:
    """A lower-tier or single-tier authority (LAD) as it stood on some date, with its upper tier."""

    lad_code: str
    lad_name: str
    lad_type: str
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str


@dataclass(frozen=True)
class Area:
    """Where a postcode or LSOA was on a date: LSOA, district (LAD) and upper-tier authority."""

    on: date
    postcode: str | None
    lsoa21_code: str
    lsoa21_name: str
    lad_code: str
    lad_name: str
    lad_type: str
    utla_code: str
    utla_name: str
    region_code: str
    region_name: str

    @property
    def authority(self) -> Authority:
        return Authority(**{name: getattr(self, name) for name in _AUTHORITY_COLUMNS})


def month_of(on: date) -> int:
    """The ``YYYYMM`` integer of a date, as used by ``dointr``/``doterm``."""
    return on.year * 100 + on.month


class _Strings(Sequence[str]):
    """A read-only view of an Arrow string array for :func:`bisect.bisect_left`."""

    def __init__(self, array: pa.Array) -> None:
        self._array = array

    def __len__(self) -> int:
        return len(self._array)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            values: list[str] = self._array[index].to_pylist()
            return values
        return str(self._array[index].as_py())

    def __iter__(self) -> Iterator[str]:
        return iter(self._array.to_pylist())


@dataclass(frozen=True)
class _Era:
    """The authority set and LSOA -> LAD assignment in force over a span of dates."""

    authorities: dict[str, Authority]
    lsoa_lad: pa.Array  # LAD code per LSOA index
    lsoa_utla: pa.Array  # upper-tier code per LSOA index


class Geography:
    """Effective-dated lookups over the packaged geography and an optional postcode directory.

    Build one with :meth:`load`. Instances are read-only after loading.
    """

    def __init__(self, postcodes: pa.Table | None = None) -> None:
        self._lad24 = {row.lad_code: Authority(**vars(row)) for row in _packaged.authorities()}
        lsoa_rows = _packaged.lsoas()
        self._lsoa_codes = [row.lsoa21_code for row in lsoa_rows]
        self._lsoa_names = [row.lsoa21_name for row in lsoa_rows]
        self._lsoa_lad24 = [row.lad_code for row in lsoa_rows]
        self._lsoa_index = {code: i for i, code in enumerate(self._lsoa_codes)}
        self._changes_2023 = _packaged.boundary_changes_2023()
        self._changes_2025 = _packaged.lad_code_changes_2025()
        self._old_districts = self._build_old_districts()
        self._lsoa_old_district = self._build_lsoa_old_districts()
        self._to_lad24: dict[str, str] = {code: code for code in self._lad24}
        for change in self._changes_2023:
            if change.old_code[:3] == "E07":
                self._to_lad24[change.old_code] = change.new_code
        for change in self._changes_2025:
            self._to_lad24[change.new_code] = change.old_code
        self._eras: dict[tuple[bool, ...], _Era] = {}
        self._postcodes = None if postcodes is None else self._index_postcodes(postcodes)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def load(
        cls, postcode_directory: str | PathLike[str] | None = None, *, fmt: str | None = None
    ) -> Geography:
        """Load the packaged reference data and, if given, a postcode directory file."""
        table = (
            None
            if postcode_directory is None
            else read_postcode_directory(postcode_directory, fmt=fmt)
        )
        return cls(table)

    def _build_old_districts(self) -> dict[str, Authority]:
        counties = {
            change.new_code: change for change in self._changes_2023 if change.old_code[:3] == "E10"
        }
        old: dict[str, Authority] = {}
        for change in self._changes_2023:
            if change.old_code[:3] != "E07":
                continue
            successor = self._lad24[change.new_code]
            county = counties[change.new_code]
            old[change.old_code] = Authority(
                lad_code=change.old_code,
                lad_name=change.old_name,
                lad_type="non_metropolitan_district",
                utla_code=county.old_code,
                utla_name=county.old_name,
                region_code=successor.region_code,
                region_name=successor.region_name,
            )
        return old

    def _build_lsoa_old_districts(self) -> dict[int, str]:
        by_name = {
            (a.lad_name, self._to_successor(code)): code for code, a in self._old_districts.items()
        }
        successors = {change.new_code for change in self._changes_2023}
        found: dict[int, str] = {}
        for i, (name, lad) in enumerate(zip(self._lsoa_names, self._lsoa_lad24, strict=True)):
            if lad in successors:
                prefix = name[: -len(" 001A")]
                code = by_name.get((prefix, lad))
                if code is None:
                    raise ConfigError(
                        "packaged geography is inconsistent",
                        [Problem(f"lsoa21_to_lad.csv row {i + 2}", "no pre-2023 district")],
                    )
                found[i] = code
        return found

    def _to_successor(self, old_code: str) -> str:
        for change in self._changes_2023:
            if change.old_code == old_code:
                return change.new_code
        raise NotFound("not an abolished district", [Problem("lad_code", "unknown")])

    def _index_postcodes(self, table: pa.Table) -> pa.Table:
        lsoa_idx = pc.index_in(table["lsoa21"], value_set=pa.array(self._lsoa_codes))
        lsoa_lad = pc.take(pa.array(self._lsoa_lad24), lsoa_idx)
        known = pa.array(list(self._to_lad24))
        canonical = pa.array(list(self._to_lad24.values()))
        laua_lad = pc.take(canonical, pc.index_in(table["laua"], value_set=known))
        agree = pc.fill_null(pc.equal(lsoa_lad, laua_lad), False)
        resolvable = pc.if_else(agree, lsoa_idx, pa.scalar(None, pa.int32()))
        return pa.table(
            {
                "postcode": table["postcode"],
                "dointr": table["dointr"],
                "doterm": table["doterm"],
                "lsoa_idx": resolvable,
            }
        )

    # -- eras --------------------------------------------------------------------------------

    def _era(self, on: date) -> _Era:
        if not isinstance(on, date):
            raise InputError("effective date is not a date", [Problem("on", "not a date")])
        key = tuple(on >= c.effective_date for c in self._changes_2023) + tuple(
            on >= c.effective_date for c in self._changes_2025
        )
        era = self._eras.get(key)
        if era is None:
            era = self._eras[key] = self._build_era(on)
        return era

    def _build_era(self, on: date) -> _Era:
        authorities = dict(self._lad24)
        restored: set[str] = set()
        for change in self._changes_2023:
            if on < change.effective_date and change.old_code in self._old_districts:
                authorities.pop(change.new_code, None)
                authorities[change.old_code] = self._old_districts[change.old_code]
                restored.add(change.new_code)
        recoded: dict[str, str] = {}
        for change in self._changes_2025:
            if on >= change.effective_date:
                before = authorities.pop(change.old_code)
                recoded[change.old_code] = change.new_code
                # Both recoded LADs are metropolitan boroughs: their own upper tier.
                single_tier = before.utla_code == change.old_code
                authorities[change.new_code] = Authority(
                    lad_code=change.new_code,
                    lad_name=change.new_name,
                    lad_type=before.lad_type,
                    utla_code=change.new_code if single_tier else before.utla_code,
                    utla_name=change.new_name if single_tier else before.utla_name,
                    region_code=before.region_code,
                    region_name=before.region_name,
                )
        lads: list[str] = []
        for i, lad in enumerate(self._lsoa_lad24):
            if lad in restored:
                lads.append(self._lsoa_old_district[i])
            else:
                lads.append(recoded.get(lad, lad))
        utlas = [authorities[lad].utla_code for lad in lads]
        return _Era(
            authorities=dict(sorted(authorities.items())),
            lsoa_lad=pa.array(lads, pa.string()),
            lsoa_utla=pa.array(utlas, pa.string()),
        )

    # -- single lookups ----------------------------------------------------------------------

    def authority(self, lad_code: str, *, on: date) -> Authority:
        """The authority a LAD code denotes on ``on``, in the codes in force that day.

        Accepts LAD 2024 codes, abolished 2023 district codes and LAD 2025 codes. Raises
        :class:`NotFound` for an unknown code, or for a 2023 unitary asked about before it
        existed (its area was then several districts: resolve by LSOA or postcode instead).
        """
        code = validate_gss_code(lad_code, entities={"E06", "E07", "E08", "E09"}, where="lad_code")
        era = self._era(on)
        lad24 = self._to_lad24.get(code)
        if lad24 is None:
            raise NotFound("unknown LAD code", [Problem("lad_code", "not a known English LAD")])
        if code in self._old_districts and code in era.authorities:
            return era.authorities[code]
        if lad24 in era.authorities:
            return era.authorities[lad24]
        for change in self._changes_2025:
            if change.old_code == lad24 and change.new_code in era.authorities:
                return era.authorities[change.new_code]
        raise NotFound(
            "LAD did not exist on that date",
            [Problem("lad_code", "created 2023-04-01 from several districts; resolve by LSOA")],
        )

    def _area(self, index: int, *, on: date, postcode: str | None) -> Area:
        era = self._era(on)
        authority = era.authorities[era.lsoa_lad[index].as_py()]
        return Area(
            on=on,
            postcode=postcode,
            lsoa21_code=self._lsoa_codes[index],
            lsoa21_name=self._lsoa_names[index],
            **{name: getattr(authority, name) for name in _AUTHORITY_COLUMNS},
        )

    def resolve_lsoa(self, lsoa21_code: str, *, on: date) -> Area | None:
        """The area of an LSOA 2021 on ``on``, or ``None`` if the code is not an English LSOA."""
        code = validate_gss_code(lsoa21_code, entities={"E01", "W01"}, where="lsoa21")
        index = self._lsoa_index.get(code)
        return None if index is None else self._area(index, on=on, postcode=None)

    def resolve(self, postcode: str, *, on: date) -> Area | None:
        """The area of a postcode on ``on``, or ``None`` if it is unknown or not live that day.

        Raises :class:`InputError` if the postcode is malformed, :class:`ConfigError` if no
        postcode directory was loaded.
        """
        table = self._require_postcodes()
        normalised = validate_postcode(postcode)
        self._era(on)
        keys = table["postcode"].chunk(0)
        i = bisect_left(_Strings(keys), normalised)
        if i >= len(keys) or keys[i].as_py() != normalised:
            return None
        month = month_of(on)
        dointr = table["dointr"][i].as_py()
        doterm = table["doterm"][i].as_py()
        index = table["lsoa_idx"][i].as_py()
        if dointr > month or (doterm is not None and doterm <= month) or index is None:
            return None
        return self._area(index, on=on, postcode=normalised)

    def _require_postcodes(self) -> pa.Table:
        if self._postcodes is None:
            raise ConfigError(
                "no postcode directory loaded",
                [Problem("postcode_directory", "pass one to Geography.load()")],
            )
        return self._postcodes

    # -- tables for the engine ---------------------------------------------------------------

    def postcode_table(self, on: date) -> pa.Table:
        """The postcodes live on ``on`` that resolve, with their codes in force that day.

        Columns: ``postcode`` (normalised, unique, sorted), ``lsoa21``, ``lad_code``,
        ``utla_code``. Register it in DuckDB and join on the normalised postcode.
        """
        table = self._require_postcodes()
        era = self._era(on)
        month = month_of(on)
        live = pc.and_(
            pc.less_equal(table["dointr"], month),
            pc.or_kleene(pc.is_null(table["doterm"]), pc.greater(table["doterm"], month)),
        )
        live = pc.and_(pc.fill_null(live, False), pc.is_valid(table["lsoa_idx"]))
        kept = table.filter(live)
        index = kept["lsoa_idx"]
        return pa.table(
            {
                "postcode": kept["postcode"],
                "lsoa21": pc.take(pa.array(self._lsoa_codes, pa.string()), index),
                "lad_code": pc.take(era.lsoa_lad, index),
                "utla_code": pc.take(era.lsoa_utla, index),
            }
        )

    def lsoa_table(self, on: date) -> pa.Table:
        """Every English LSOA 2021 with its ``lad_code`` and ``utla_code`` on ``on``."""
        era = self._era(on)
        return pa.table(
            {
                "lsoa21": pa.array(self._lsoa_codes, pa.string()),
                "lad_code": era.lsoa_lad,
                "utla_code": era.lsoa_utla,
            }
        )

    def authorities(self, on: date | None = None) -> pa.Table:
        """The authorities in force on ``on``, one row per LAD, sorted by ``lad_code``.

        Columns: lad_code, lad_name, lad_type, utla_code, utla_name, region_code, region_name.
        With ``on=None`` this is the packaged LAD 2024 set (in force 2023-04-01 to 2025-03-31).
        """
        rows = (
            sorted(self._lad24.values(), key=lambda a: a.lad_code)
            if on is None
            else list(self._era(on).authorities.values())
        )
        return pa.table(
            {
                name: pa.array([getattr(a, name) for a in rows], pa.string())
                for name in _AUTHORITY_COLUMNS
            }
        )

    @property
    def postcode_count(self) -> int:
        """Rows in the loaded postcode directory (0 if none was loaded)."""
        return 0 if self._postcodes is None else self._postcodes.num_rows

    @property
    def unresolvable_postcode_count(self) -> int:
        """Directory rows whose LSOA is not English or disagrees with their ``laua``."""
        if self._postcodes is None:
            return 0
        return int(self._postcodes["lsoa_idx"].null_count)
