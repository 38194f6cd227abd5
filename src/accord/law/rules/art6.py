"""Step 3: the Art 6 lawful basis (domain/rules.md §b.2).

Public authorities cannot rely on (ea) or (f) for their tasks; (c) and (e) need a basis in law;
(f) needs a legitimate interests assessment; (ea) needs an Annex 1 condition (``data/annex1.yaml``:
a request stating a public task, national security, an emergency in the CCA Part 2 sense, crime,
safeguarding) and is in force only from 5 February 2026.
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context, is_public_authority
from accord.law.findings import Finding, Severity
from accord.law.records import AnnexCondition
from accord.model.enums import Art6Basis

B = Severity.blocking


def annex_condition(ctx: Context, annex: int) -> tuple[AnnexCondition, str] | None:
    """The first condition of UK GDPR Annex 1 or 2 the agreement shows for some purpose, with
    the reason."""
    for cond in ctx.registry.annex_conditions(annex):
        detect = ctx.registry.condition_detector(cond.detector)
        for purpose in ctx.agreement.purposes:
            reason = detect(ctx, purpose)
            if reason:
                return cond, reason
    return None


def annex1_condition(ctx: Context) -> str | None:
    """The Annex 1 recognised legitimate interest the agreement shows, if any."""
    found = annex_condition(ctx, 1)
    if found is None:
        return None
    cond, reason = found
    return f"{cond.title.lower()} (Annex 1 para {cond.paragraph}): {reason}"


def evaluate(ctx: Context) -> Iterator[Finding]:
    if not ctx.personal:
        return
    lb = ctx.agreement.legal_basis
    reg = ctx.registry
    for basis in lb.art6:
        rule = reg.art6(basis)
        if rule.in_force_from and ctx.at < rule.in_force_from:
            yield ctx.finding(
                "art6.not-in-force",
                B,
                "legal_basis.art6",
                f"Art 6(1)({basis.value}) {rule.title.lower()} is not in force until "
                f"{rule.in_force_from.isoformat()}.",
                rule,
            )
        if rule.needs_basis_in_law and not (lb.art6_function or lb.statutory_power or "").strip():
            yield ctx.finding(
                "art6.basis-in-law-missing",
                B,
                "legal_basis.art6_function",
                f"Art 6(1)({basis.value}) needs a basis in law: name the function, power or "
                "obligation relied on.",
                "art6.3",
            )
        if rule.needs_lia and not (lb.lia_ref or "").strip():
            yield ctx.finding(
                "art6.lia-missing",
                B,
                "legal_basis.lia_ref",
                "Art 6(1)(f) needs a recorded legitimate interests assessment.",
                rule,
            )
        if rule.needs_annex1_condition:
            found = annex_condition(ctx, 1)
            if found is None:
                yield ctx.finding(
                    "art6.ea-no-annex1-condition",
                    B,
                    "legal_basis.art6",
                    "Art 6(1)(ea) needs an Annex 1 condition: a request stating the requester "
                    "needs the data for its public task, national security, public security or "
                    "defence, an emergency in the Civil Contingencies Act 2004 Part 2 sense, "
                    "crime, or safeguarding a vulnerable individual; none is shown.",
                    "art6.annex1",
                )
            else:
                cond, reason = found
                yield ctx.finding(
                    "art6.ea-condition",
                    Severity.info,
                    "legal_basis.art6",
                    f"Art 6(1)(ea) rests on {cond.title.lower()} (Annex 1 para "
                    f"{cond.paragraph}): {reason}.",
                    cond,
                )
    pa_bases = [b for b in lb.art6 if reg.art6(b).public_authority_may_rely]
    restricted = [b for b in lb.art6 if not reg.art6(b).public_authority_may_rely]
    for party in ctx.controllers:
        if is_public_authority(party) and not pa_bases:
            listed = ", ".join(f"({b.value})" for b in restricted)
            yield ctx.finding(
                "art6.public-authority-ea-f",
                B,
                ctx.party_field(party),
                f"{party.name} is a public authority: points (ea) and (f) do not apply to "
                f"processing in performance of its tasks, and only {listed} is listed. Use "
                "(e) public task or (c) legal obligation.",
                "art6.public-authority",
            )
    if restricted and pa_bases and not any(not is_public_authority(p) for p in ctx.controllers):
        yield ctx.finding(
            "art6.ea-f-unused",
            Severity.warning,
            "legal_basis.art6",
            "Art 6(1)(ea)/(f) is listed but every controller is a public authority, so no one can "
            "rely on it.",
            "art6.public-authority",
        )
    if Art6Basis.a in lb.art6 and any(is_public_authority(p) for p in ctx.controllers):
        yield ctx.finding(
            "art6.consent-public-authority",
            Severity.warning,
            "legal_basis.art6",
            "Consent is rarely freely given to a public authority; prefer (e) or (c).",
            "art6.consent-public",
        )
