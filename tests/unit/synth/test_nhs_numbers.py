"""Synthetic NHS numbers: valid, unique, in the 9xx test range, a bijection onto a prefix."""

from __future__ import annotations

import pytest

from accord.errors import InputError
from accord.refdata import check_digit, validate_nhs_number
from accord.synth import NhsNumberSpace, nhs_numbers


def test_default_numbers_are_valid_unique_and_start_999() -> None:
    numbers = nhs_numbers(20_000, seed=5)
    assert len(set(numbers)) == 20_000
    assert all(n.startswith("999") and validate_nhs_number(n) == n for n in numbers)


def test_a_small_space_is_exactly_every_valid_number_with_its_prefix() -> None:
    space = NhsNumberSpace(prefix="99999", seed=3)
    assert space.capacity == 9_000
    generated = nhs_numbers(space.capacity, seed=3, prefix="99999")
    every_valid = set()
    for tail in range(10_000):
        body = f"99999{tail:04d}"
        check = check_digit(body)
        if check is not None:
            every_valid.add(body + str(check))
    assert len(every_valid) >= 9_000
    assert set(generated) <= every_valid
    assert len(set(generated)) == 9_000


def test_same_seed_same_numbers_other_seed_other_order() -> None:
    assert nhs_numbers(50, seed=1) == nhs_numbers(50, seed=1)
    assert nhs_numbers(50, seed=1) != nhs_numbers(50, seed=2)
    assert nhs_numbers(10, seed=1, start=40) == nhs_numbers(50, seed=1)[40:]


def test_capacity_and_arguments_are_checked() -> None:
    with pytest.raises(InputError, match="too many people"):
        nhs_numbers(2, seed=1, start=8_999, prefix="99999")
    with pytest.raises(InputError):
        NhsNumberSpace(prefix="0", seed=1)
    with pytest.raises(InputError):
        NhsNumberSpace(prefix="9x", seed=1)
    with pytest.raises(InputError):
        nhs_numbers(-1, seed=1)
    with pytest.raises(InputError):
        nhs_numbers(1, seed=-1)
