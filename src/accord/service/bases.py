"""Legal bases with dates: which notice, approval or direction an agreement rests on, and when
each one ends.

The packaged history (the COVID-19 COPI notices, :mod:`accord.law.notices`) and the bases an
operator records here (a new reg 3(4) notice, an s251 support decision, a REC approval, a
direction) are looked up by id. An agreement names them in ``legal_basis.copi_notice_ref``,
``s251_ref`` or ``basis_refs``; :func:`basis_findings` says, on a given day, whether each is in
force. A basis that has ended is a blocking finding about the whole agreement (every flow rests on
the agreement's basis), so the daily sweep suspends it unless a new version on a basis in force
has been approved and activated first (re-papered).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from accord.errors import InputError, NotFound, Problem
from accord.law import Finding, Severity, default_registry
from accord.law.notices import packaged_bases
from accord.ledger.events import BasisRecorded
from accord.model import Agreement
from accord.model.bases import DatedBasis, Extension
from accord.service._ledger import iso, record
from accord.service._parts import parse_part
from accord.store.lifecycle import legal_bases
from accord.workspace import Workspace

ENDED = "basis.ended"
NOT_STARTED = "basis.not-started"
UNKNOWN = "basis.unknown"
CODES = frozenset({ENDED, NOT_STARTED, UNKNOWN})


@dataclass(frozen=True)
class BasisRef:
    """One place an agreement names a basis: the field and the id written there."""

    field: str
    ref: str


def _doc(basis: DatedBasis) -> str:
    return json.dumps(basis.model_dump(mode="json"), sort_keys=True)


def _event(basis: DatedBasis, actor: str, now_iso: str) -> BasisRecorded:
    end = basis.final_end
    return BasisRecorded(
        at=now_iso,
        basis_id=basis.id,
        kind=basis.kind.value,
        start=basis.start.isoformat(),
        end=end.isoformat() if end else None,
        document_sha256=hashlib.sha256(_doc(basis).encode()).hexdigest(),
        recorded_by=actor,
    )


def _check_source(basis: DatedBasis) -> None:
    if basis.source_url or (basis.gateway and default_registry().has_gateway(basis.gateway)):
        return
    raise InputError(
        "a recorded basis needs a source; nothing was recorded",
        [Problem("source_url", "give where the notice or approval is published, or its gateway")],
    )


def record_basis(ws: Workspace, data: DatedBasis | dict[str, Any], *, actor: str) -> DatedBasis:
    """Record a dated basis (its start and end); a ledger event commits with it."""
    basis = parse_part(DatedBasis, data, "legal basis")
    _check_source(basis)
    if basis.id in {b.id for b in packaged_bases()}:
        raise InputError(
            f"{basis.id} is a packaged basis; nothing was recorded",
            [Problem("id", "choose another id; the packaged history is not edited")],
        )
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        if conn.execute(select(legal_bases.c.id).where(legal_bases.c.id == basis.id)).first():
            raise InputError(
                f"a basis {basis.id} is already recorded; nothing was recorded",
                [Problem("id", "extend it with `accord basis extend`, or choose another id")],
            )
        conn.execute(
            legal_bases.insert().values(
                id=basis.id,
                kind=basis.kind.value,
                start=basis.start,
                final_end=basis.final_end,
                recorded_at=now,
                recorded_by=actor,
                document=_doc(basis),
            )
        )
        record(ws, _event(basis, actor, iso(now)), conn=conn)
    return basis


def extend_basis(
    ws: Workspace,
    basis_id: str,
    *,
    end: date,
    announced: date | None,
    source: str | None,
    actor: str,
) -> DatedBasis:
    """Move a recorded basis's end later (an extension notice); a ledger event commits with it."""
    now = ws.clock.now()
    with ws.engine.begin() as conn:
        row = conn.execute(select(legal_bases).where(legal_bases.c.id == basis_id)).first()
        if row is None:
            raise NotFound(f"no recorded basis {basis_id}")
        old = DatedBasis.model_validate_json(row.document)
        data = old.model_dump(mode="json")
        data["extensions"].append(
            Extension(announced=announced, end=end, source=source).model_dump(mode="json")
        )
        basis = parse_part(DatedBasis, data, "extension")
        conn.execute(
            update(legal_bases)
            .where(legal_bases.c.id == basis_id)
            .values(final_end=basis.final_end, document=_doc(basis))
        )
        record(ws, _event(basis, actor, iso(now)), conn=conn)
    return basis


def all_bases(ws: Workspace | None) -> dict[str, DatedBasis]:
    """Every dated basis accord knows: the packaged history, then those recorded in ``ws``
    (none without a workspace)."""
    known = {b.id: b for b in packaged_bases()}
    if ws is None:
        return known
    with ws.engine.connect() as conn:
        for row in conn.execute(select(legal_bases.c.document).order_by(legal_bases.c.id)):
            basis = DatedBasis.model_validate_json(row.document)
            known[basis.id] = basis
    return known


def refs(agreement: Agreement) -> Iterator[BasisRef]:
    lb = agreement.legal_basis
    if lb.copi_notice_ref:
        yield BasisRef("legal_basis.copi_notice_ref", lb.copi_notice_ref.strip())
    if lb.s251_ref:
        yield BasisRef("legal_basis.s251_ref", lb.s251_ref.strip())
    for i, ref in enumerate(lb.basis_refs):
        yield BasisRef(f"legal_basis.basis_refs.{i}", ref.strip())


def dated_refs(
    agreement: Agreement, known: dict[str, DatedBasis]
) -> Iterator[tuple[BasisRef, DatedBasis]]:
    """The agreement's references that name a dated basis accord knows."""
    for r in refs(agreement):
        if r.ref in known:
            yield r, known[r.ref]


def _cite(basis: DatedBasis) -> tuple[str, str]:
    citation = basis.instrument or basis.title
    url = basis.source_url
    if not url and basis.gateway:
        registry = default_registry()
        if registry.has_gateway(basis.gateway):
            url = registry.gateway(basis.gateway).source_url
    return citation, url or "https://www.legislation.gov.uk/"


def basis_findings(ws: Workspace | None, agreement: Agreement, on: date) -> list[Finding]:
    """Whether each dated basis the agreement names is in force on ``on``.

    A reference in ``basis_refs`` must name a known basis; free text in ``copi_notice_ref`` or
    ``s251_ref`` that names none is left to the law check (accord cannot date it).
    """
    known = all_bases(ws)
    out: list[Finding] = []
    for r in refs(agreement):
        basis = known.get(r.ref)
        if basis is None:
            if r.field.startswith("legal_basis.basis_refs"):
                out.append(
                    Finding(
                        UNKNOWN,
                        Severity.blocking,
                        r.field,
                        f"{r.ref!r} names no dated basis accord knows; record it first.",
                        "accord dated legal bases",
                        "https://www.legislation.gov.uk/",
                    )
                )
            continue
        citation, url = _cite(basis)
        end = basis.end_known_on(on)
        if on < basis.start:
            out.append(
                Finding(
                    NOT_STARTED,
                    Severity.blocking,
                    r.field,
                    f"{basis.title} does not start until {basis.start.isoformat()}.",
                    citation,
                    url,
                )
            )
        elif end is not None and on > end:
            out.append(
                Finding(
                    ENDED,
                    Severity.blocking,
                    r.field,
                    f"{basis.title} ended on {end.isoformat()}: the flows resting on it have no "
                    "basis until the agreement is re-papered onto a basis in force.",
                    citation,
                    url,
                )
            )
        else:
            until = f"until {end.isoformat()}" if end else "with no end date"
            out.append(
                Finding(
                    "basis.in-force",
                    Severity.info,
                    r.field,
                    f"{basis.title} is in force {until}.",
                    citation,
                    url,
                )
            )
    return out
