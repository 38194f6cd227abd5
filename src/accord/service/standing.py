"""An agreement's findings as the world stands on a day: the one rule behind the daily sweep's
re-check, activation, ``accord check`` and the web agreement page.

The law check alone judges the document as written. On a given day the world may say more: a
dated legal basis the agreement names (a COPI notice, s251 support) may have ended, and a
recipient's recorded assurance (its DSPT status, an improvement plan that lapsed, a certificate)
may be below what the agreement requires. :func:`findings_on` puts each party's recorded
assurance into the agreement (:func:`accord.service.assurance.effective_agreement`), runs
:func:`accord.law.check` at the day, and adds the dated bases' findings
(:func:`accord.service.bases.basis_findings`) and the certificates the agreement requires.

Without a workspace (``accord check`` on a file, with no workspace on this machine) only what
accord packages is known: the COPI notice history, and no party's assurance records.
"""

from __future__ import annotations

from datetime import date

from accord.law import Findings, check
from accord.law.context import OrganisationLookup
from accord.model import Agreement
from accord.service import assurance, bases
from accord.workspace import Workspace


def findings_on(
    ws: Workspace | None,
    agreement: Agreement,
    on: date,
    *,
    organisations: OrganisationLookup | None = None,
) -> Findings:
    """Every finding about ``agreement`` on ``on``, with the dated records of ``ws``.

    ``organisations`` (see :func:`accord.service.parties.organisation_lookup`) adds whether each
    recipient exists on ``on``.
    """
    effective = agreement if ws is None else assurance.effective_agreement(ws, agreement, on)
    findings = check(effective, on, organisations=organisations)
    findings += bases.basis_findings(ws, agreement, on)
    if ws is not None:
        findings += assurance.certificate_findings(ws, agreement, on)
    return findings


__all__ = ["findings_on"]
