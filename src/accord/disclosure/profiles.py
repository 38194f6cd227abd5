"""Disclosure-control profiles: data files, each with its source (``profiles/*.yaml``).

A :class:`Profile` says which counts may not be published (``suppress_at_or_below``, and
whether zeros are disclosive), how published counts are rounded, and where totals come from:
``from_true`` totals are computed from the unrounded values (then controlled like any cell, so
secondary suppression must protect the cells they sum), ``from_published`` totals are
recalculated from the published cells and marked partial where a cell is suppressed.

>>> p = profile("opensafely")
>>> (p.suppress_at_or_below, p.round_to, p.totals)
(7, 5, 'from_published')
>>> custom(suppress_at_or_below=4, round_to=None).id
'custom'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from accord.errors import ConfigError, Problem
from accord.model.enums import DisclosureProfile

Totals = Literal["from_true", "from_published"]
Zeros = Literal["keep", "suppress"]
Rounding = Literal["nearest", "midpoint"]


@dataclass(frozen=True)
class Profile:
    id: str
    title: str
    suppress_at_or_below: int
    zeros: Zeros
    round_to: int | None
    totals: Totals
    citation: str
    source_urls: tuple[str, ...] = ()
    confidence: str = "D"
    rounding: Rounding = "nearest"
    # Dominance rules for sums and means (accord.disclosure.measures): n-k and p%.
    dominance_n: int | None = None
    dominance_k: float | None = None
    p_percent: float | None = None

    def __post_init__(self) -> None:
        if self.suppress_at_or_below < 0:
            raise ConfigError(
                "a disclosure threshold cannot be negative",
                [Problem(f"profile.{self.id}.suppress_at_or_below", "negative")],
            )
        if self.round_to is not None and self.round_to < 1:
            raise ConfigError(
                "a rounding base is a positive whole number",
                [Problem(f"profile.{self.id}.round_to", "below 1")],
            )
        if (
            self.zeros not in ("keep", "suppress")
            or self.totals not in ("from_true", "from_published")
            or self.rounding not in ("nearest", "midpoint")
        ):
            raise ConfigError(
                "an unknown disclosure-control option",
                [
                    Problem(
                        f"profile.{self.id}",
                        f"zeros {self.zeros}, totals {self.totals}, rounding {self.rounding}",
                    )
                ],
            )
        if self.rounding == "midpoint" and self.round_to is None:
            raise ConfigError(
                "midpoint rounding needs a rounding base",
                [Problem(f"profile.{self.id}.round_to", "missing")],
            )
        if (self.dominance_n is None) != (self.dominance_k is None) or (
            self.dominance_n is not None
            and self.dominance_k is not None
            and (self.dominance_n < 1 or not 0 < self.dominance_k <= 1)
        ):
            raise ConfigError(
                "an n-k dominance rule needs both n (1 or more) and k (above 0, at most 1)",
                [Problem(f"profile.{self.id}.dominance", f"n {self.dominance_n}")],
            )
        if self.p_percent is not None and not 0 < self.p_percent < 1:
            raise ConfigError(
                "a p% rule's p is a fraction above 0 and below 1",
                [Problem(f"profile.{self.id}.p_percent", str(self.p_percent))],
            )
        if not self.citation.strip():
            raise ConfigError(
                "a disclosure-control profile names its source",
                [Problem(f"profile.{self.id}.citation", "empty")],
            )

    def disclosive(self, count: int) -> bool:
        """Whether ``count`` may not be published (primary suppression)."""
        if count == 0:
            return self.zeros == "suppress"
        return count <= self.suppress_at_or_below

    def rounded(self, count: int) -> int:
        """``count`` rounded to the nearest multiple of ``round_to`` (halves up); or, with
        ``midpoint`` rounding, to the midpoint of its band of ``round_to`` (OpenSAFELY's
        midpoint 6: 0 stays 0, 1-6 is 3, 7-12 is 9: ``ceil(x / r) * r - floor(r / 2)``)."""
        r = self.round_to
        if r is None:
            return count
        if self.rounding == "midpoint":
            return 0 if count == 0 else -(-count // r) * r - r // 2
        return ((2 * count + r) // (2 * r)) * r

    def rule(self) -> str:
        """The primary rule in words, for the suppression report."""
        zeros = " (zeros too)" if self.zeros == "suppress" else ""
        return f"{self.id}: counts of {self.suppress_at_or_below} or fewer{zeros}"


PACKAGED = (
    "opensafely",
    "opensafely_midpoint6",
    "nhs_secondary_care",
    "ons_srs_10",
    "uk_llc",
    "acro",
)


def _from(doc: dict[str, Any]) -> Profile:
    return Profile(
        id=str(doc["id"]),
        title=str(doc["title"]),
        suppress_at_or_below=int(doc["suppress_at_or_below"]),
        zeros=doc["zeros"],
        round_to=None if doc.get("round_to") is None else int(doc["round_to"]),
        totals=doc["totals"],
        citation=str(doc["citation"]),
        source_urls=tuple(doc.get("source_urls") or ()),
        confidence=str(doc.get("confidence", "D")),
        rounding=doc.get("rounding", "nearest"),
        dominance_n=doc.get("dominance_n"),
        dominance_k=doc.get("dominance_k"),
        p_percent=doc.get("p_percent"),
    )


@cache
def profile(profile_id: str | DisclosureProfile) -> Profile:
    """A packaged profile by id (one of :data:`PACKAGED`)."""
    pid = (
        DisclosureProfile(profile_id).value
        if isinstance(profile_id, DisclosureProfile)
        else profile_id
    )
    if pid not in PACKAGED:
        raise ConfigError(
            "no packaged disclosure-control profile of that name",
            [Problem("profile", f"{pid}; packaged: {', '.join(PACKAGED)}")],
        )
    text = resources.files("accord.disclosure").joinpath(f"profiles/{pid}.yaml").read_text("utf-8")
    return _from(yaml.safe_load(text))


def custom(
    *,
    suppress_at_or_below: int,
    round_to: int | None = None,
    zeros: Zeros = "keep",
    totals: Totals = "from_true",
    citation: str = "custom profile set by the agreement's parties",
    rounding: Rounding = "nearest",
) -> Profile:
    """A profile the parties set themselves (recorded with the release, like any other), its
    ``citation`` the rule or decision it follows."""
    return Profile(
        "custom",
        "Custom disclosure control",
        suppress_at_or_below,
        zeros,
        round_to,
        totals,
        citation,
        rounding=rounding,
    )
