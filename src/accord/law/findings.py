"""Findings: what the rules engine says about an agreement, one cited statement at a time.

A :class:`Finding` names the agreement field it concerns, says in plain English what is wrong
(or worth knowing), and cites the rule with a source URL. :class:`Findings` is an ordered,
immutable sequence of them, in the evaluation order of domain/rules.md §b.1.

>>> f = Finding("art26.missing", Severity.blocking, "art26_arrangement_ref",
...             "Joint controllers need an Article 26 arrangement.", "UK GDPR Art 26",
...             "https://www.legislation.gov.uk/eur/2016/679/article/26")
>>> Findings([f]).blocking[0].code
'art26.missing'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any, overload

from accord.errors import NotPermitted, Problem


class Severity(StrEnum):
    """How much a finding matters: ``blocking`` stops approval and activation."""

    blocking = "blocking"
    warning = "warning"
    info = "info"


@dataclass(frozen=True)
class Finding:
    """One cited statement about an agreement.

    ``code`` is stable (other packages key on it); ``field`` is a dotted path into the agreement
    document (``legal_basis.art9``, ``flows.2.onward_sharing``, ``parties.1``).
    """

    code: str
    severity: Severity
    field: str
    message: str
    citation: str
    source_url: str

    def __post_init__(self) -> None:
        if not self.code or not self.message or not self.citation or not self.source_url:
            raise ValueError(f"finding {self.code!r} needs a code, message, citation and URL")

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["severity"] = self.severity.value
        return out


class Findings(Sequence[Finding]):
    """An ordered, immutable list of findings with the views callers need."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Finding] = ()) -> None:
        self._items: tuple[Finding, ...] = tuple(items)

    @overload
    def __getitem__(self, index: int) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> Findings: ...
    def __getitem__(self, index: int | slice) -> Finding | Findings:
        if isinstance(index, slice):
            return Findings(self._items[index])
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Findings):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return self._items == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Findings({list(self._items)!r})"

    def __add__(self, other: Iterable[Finding]) -> Findings:
        return Findings((*self._items, *other))

    def with_severity(self, severity: Severity) -> Findings:
        return Findings(f for f in self._items if f.severity is severity)

    @property
    def blocking(self) -> Findings:
        return self.with_severity(Severity.blocking)

    @property
    def warnings(self) -> Findings:
        return self.with_severity(Severity.warning)

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self._items]

    def by_code(self, code: str) -> Findings:
        return Findings(f for f in self._items if f.code == code)

    def raise_if_blocking(self) -> Findings:
        """Return ``self`` when nothing blocks; otherwise raise :class:`NotPermitted`."""
        blocking = self.blocking
        if blocking:
            raise NotPermitted(
                f"the agreement has {len(blocking)} blocking finding(s)",
                [Problem(f.field, f"{f.message} ({f.citation})") for f in blocking],
            )
        return self

    def as_dicts(self) -> list[dict[str, Any]]:
        return [f.as_dict() for f in self._items]

    def to_json(self) -> str:
        """The findings as a JSON document: counts per severity and the list in order."""
        counts = {s.value: len(self.with_severity(s)) for s in Severity}
        return json.dumps({"counts": counts, "findings": self.as_dicts()}, indent=2)
