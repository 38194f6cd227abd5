"""Step 2: vires and legal gateways.

A public authority discloser needs a statutory power. Every gateway named must be registered,
in force on the date of evaluation, usable by the parties, for the agreement's purposes, with its
own preconditions met (each a named check from the registry).
"""

from __future__ import annotations

from collections.abc import Iterator

from accord.law.context import Context, describe, is_public_authority, meets
from accord.law.findings import Finding, Severity
from accord.law.records import Gateway

B = Severity.blocking


def evaluate(ctx: Context) -> Iterator[Finding]:
    lb = ctx.agreement.legal_basis
    pa = [p for p in ctx.disclosers if is_public_authority(p)]
    if ctx.personal and pa and not lb.gateways and not (lb.statutory_power or "").strip():
        yield ctx.finding(
            "vires.missing",
            B,
            "legal_basis.gateways",
            f"{pa[0].name} is a public authority: name the legal gateway or statutory power that "
            "lets it share this data.",
            "vires",
        )
    for i, gid in enumerate(lb.gateways):
        if not ctx.registry.has_gateway(gid):
            known = ", ".join(g.id for g in ctx.registry.gateways)
            yield ctx.finding(
                "gateway.unknown",
                B,
                f"legal_basis.gateways.{i}",
                f"{gid!r} is not a registered legal gateway (known: {known}).",
                "vires",
            )
            continue
        yield from _gateway(ctx, ctx.registry.gateway(gid), f"legal_basis.gateways.{i}")


def _gateway(ctx: Context, gw: Gateway, field: str) -> Iterator[Finding]:
    a = ctx.agreement
    if gw.in_force_from and ctx.at < gw.in_force_from:
        yield ctx.finding(
            "gateway.not-in-force",
            B,
            field,
            f"{gw.title} is not in force until {gw.in_force_from.isoformat()} "
            f"(evaluated at {ctx.at.isoformat()}).",
            gw,
        )
    if gw.in_force_until and ctx.at > gw.in_force_until:
        yield ctx.finding(
            "gateway.not-in-force",
            B,
            field,
            f"{gw.title} ceased to have effect on {gw.in_force_until.isoformat()}.",
            gw,
        )
    for side, parties, req in (
        ("discloser", ctx.disclosers, gw.users.disclosers),
        ("recipient", ctx.controller_recipients, gw.users.recipients),
    ):
        for p in parties:
            if not meets(p, req):
                yield ctx.finding(
                    "gateway.party-not-eligible",
                    B,
                    ctx.party_field(p),
                    f"{p.name} cannot be a {side} under {gw.title}: a {side} must be "
                    f"{describe(req)}.",
                    gw,
                )
    some = gw.users.some_controller
    if some is not None and not any(meets(p, some) for p in ctx.controllers):
        yield ctx.finding(
            "gateway.party-not-eligible",
            B,
            "parties",
            f"No party can rely on {gw.title}: it is available only to a controller that is "
            f"{describe(some)}.",
            gw,
        )
    if gw.purposes is not None:
        for j, purpose in enumerate(a.purposes):
            if purpose.category not in gw.purposes:
                allowed = ", ".join(p.value for p in gw.purposes)
                yield ctx.finding(
                    "gateway.purpose",
                    B,
                    f"purposes.{j}.category",
                    f"Purpose {purpose.id} ({purpose.category.value}) is outside {gw.title}, "
                    f"which covers: {allowed}.",
                    gw,
                )
    for ref in gw.preconditions:
        yield from ctx.registry.precondition(ref.check)(ctx, gw, ref.params)
    yield ctx.finding("gateway.used", Severity.info, field, f"{gw.title}: {gw.summary}", gw)
