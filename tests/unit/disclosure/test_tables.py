"""Disclosure control of tables of counts: the S7 and S8 scenarios and each profile's rule."""

from __future__ import annotations

import pytest

from accord.disclosure import PACKAGED, custom, profile, protect
from accord.errors import ConfigError, InputError
from accord.model.enums import DisclosureProfile


def test_every_packaged_profile_has_its_source() -> None:
    for pid in PACKAGED:
        p = profile(pid)
        assert p.id == pid and p.citation and p.source_urls[0].startswith("http")
    assert profile(DisclosureProfile.opensafely) == profile("opensafely")
    # every profile an agreement can name is packaged, except none and custom
    named = {p.value for p in DisclosureProfile} - {"none", "custom"}
    assert named == set(PACKAGED)
    with pytest.raises(ConfigError):
        profile(DisclosureProfile.none)
    with pytest.raises(ConfigError):
        custom(suppress_at_or_below=-1)
    with pytest.raises(ConfigError):
        custom(suppress_at_or_below=5, round_to=0)


def test_s8_opensafely_redacts_6_and_rounds_12() -> None:
    # S8: a cell of 6 and another of 12 under OpenSAFELY rules: 6 redacted, all counts rounded,
    # totals recalculated from what is published and marked partial.
    t = protect([[6, 12]], profile("opensafely"), rows=("all",), columns=("men", "women"))
    assert t.cells == ((None, 10),)
    assert t.row_totals == (10,) and t.partial_rows == (True,)
    assert t.column_totals == (None, 10) and t.partial_columns == (True, False)
    (s,) = t.report
    assert (s.row, s.column, s.kind) == ("all", "men", "primary")
    assert s.rule == "opensafely: counts of 7 or fewer"
    assert "coarser bands" in s.advice


def test_s7_nhs_secondary_care_by_lsoa() -> None:
    # S7: 0 stays 0, 1-7 suppressed, 8 or more rounded to the nearest 5; the totals come from the
    # unrounded values, so one more cell is withheld wherever a total would give one away.
    counts = [[0, 3], [8, 22], [14, 41]]
    t = protect(
        counts, profile("nhs_secondary_care"), rows=("E01", "E02", "E03"), columns=("w1", "w2")
    )
    assert t.cells[0] == (0, None)
    assert t.cells[1][0] == 10 and t.cells[2][1] == 40
    kinds = {(s.row, s.column): s.kind for s in t.report}
    assert kinds[("E01", "w2")] == "primary"
    assert kinds[("E01", "Total")] == "primary"  # the row total, 3, describes 3 people
    # column w2 had exactly one suppressed cell: a second is withheld there
    assert sum(1 for i in range(3) if t.cells[i][1] is None) >= 2
    assert "secondary" in kinds.values()
    assert t.grand_total == 90  # 88 rounded


def test_rule_of_10_and_acro_zeros() -> None:
    t = protect([[9, 10], [0, 25]], profile("ons_srs_10"), rows=("a", "b"), columns=("x", "y"))
    primary = {(s.row, s.column) for s in t.report if s.kind == "primary"}
    assert primary == {("a", "x"), ("Total", "x")}  # 9, and the column total of 9
    assert t.row_totals == (19, 25) and t.grand_total == 44  # no rounding under the rule of 10
    acro = protect([[0, 30], [30, 30]], profile("acro"), rows=("a", "b"), columns=("x", "y"))
    assert acro.cells[0][0] is None  # zeros are disclosive under ACRO
    # a 2 x 2 table with all its totals: the whole rectangle must go (the classic pattern)
    assert acro.cells == ((None, None), (None, None)) and acro.row_totals == (30, 60)


def test_a_table_that_cannot_be_protected_is_withheld_whole_rather_than_leaked() -> None:
    t = protect([[3]], profile("opensafely"), rows=("a",), columns=("x",))
    assert t.cells == ((None,),)
    t = protect([[3, 2]], profile("nhs_secondary_care"), rows=("a",), columns=("x", "y"))
    assert t.cells == ((None, None),) and t.row_totals == (None,)


def test_bad_tables_are_refused() -> None:
    with pytest.raises(InputError):
        protect([[1, 2]], profile("opensafely"), rows=("a",), columns=("x",))
    with pytest.raises(InputError):
        protect([[-1]], profile("opensafely"), rows=("a",), columns=("x",))


def test_midpoint_6_rounding_is_opensafelys() -> None:
    # docs.opensafely.org/sdc "Midpoint 6 rounding": 0 -> 0, 1-6 -> 3, 7-12 -> 9, 13-18 -> 15.
    p = profile("opensafely_midpoint6")
    assert [p.rounded(x) for x in (0, 1, 6, 7, 12, 13, 18, 19)] == [0, 3, 3, 9, 9, 15, 15, 21]
    t = protect([[0, 5], [12, 40]], p, rows=("a", "b"), columns=("x", "y"))
    assert t.cells == ((0, 3), (9, 39)) and t.report == ()
    assert t.grand_total == p.rounded(57)


def test_a_custom_profile_is_checked() -> None:
    with pytest.raises(ConfigError, match="midpoint rounding needs a rounding base"):
        custom(suppress_at_or_below=5, rounding="midpoint")
    with pytest.raises(ConfigError, match="names its source"):
        custom(suppress_at_or_below=5, citation=" ")
    with pytest.raises(ConfigError, match="cannot be negative"):
        custom(suppress_at_or_below=-1)
    mid = custom(suppress_at_or_below=7, round_to=10, rounding="midpoint", citation="ISA 4.2")
    assert [mid.rounded(x) for x in (0, 8, 10, 11)] == [0, 5, 5, 15]


def test_uk_llc_withholds_counts_below_10_including_zero() -> None:
    p = profile("uk_llc")
    t = protect([[0, 25], [30, 40]], p, rows=("a", "b"), columns=("x", "y"))
    # The zero is withheld, and enough beside it that the totals do not give it back.
    assert t.cells[0][0] is None
    assert ("a", "x", "primary") in {(s.row, s.column, s.kind) for s in t.report}
    assert any(s.kind == "secondary" for s in t.report)
