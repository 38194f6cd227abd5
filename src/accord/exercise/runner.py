"""The shielding exercise: a whole emergency, end to end, on synthetic data.

Stages follow the playbook (domain/rules.md §c.2): declare the incident, instantiate the
pre-approved shielded-patient-list template (S1) for NHS England and every upper-tier English
authority plus a letters processor, check it against the law, collect the signed approvals,
go live and run the flows, publish the register, handle a dispute over an extra clinical field,
run the next day's delta, and verify the ledger offline. Every number in the result comes from
the run. Machine time is measured; the time people would take is simulated on the injected
clock so the report can set each stage against its deadline.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from accord.clock import FixedClock
from accord.disputes.model import Actor, ActorRole, Ground, Variant
from accord.engine import RunResult, get_backend
from accord.errors import ConfigError, Problem
from accord.exercise import push_stage
from accord.exercise.lifecycle_stage import LAPSING, dspt_lapse
from accord.exercise.result import (
    ExerciseResult,
    FindingRow,
    SimulatedUser,
    TimelineRow,
)
from accord.exercise.stages import StageTimer
from accord.law import check
from accord.ledger.verify import verify_export
from accord.model import Agreement, DataItem, Incident, Party
from accord.model.enums import Status
from accord.playbook import instantiate, required_approvals
from accord.playbook.examples import letters_processor, nhs_england
from accord.playbook.stages import playbook
from accord.refdata import Geography
from accord.service import agreements, approvals, incidents, push, runs, users
from accord.service import disputes as dispute_service
from accord.service.parties import upper_tier_parties
from accord.service.register import publish_register
from accord.synth import write_delta, write_population, write_postcode_directory
from accord.workspace import Workspace

TEMPLATE = "s1_shielded_patient_list"
DHSC = "gov-org:department-of-health-and-social-care"
CABINET_OFFICE = "gov-org:cabinet-office"
DISPUTING = "gss:E09000011"  # Greenwich asks for an extra clinical field
EXTRA_FIELD = DataItem(
    name="clinical_group",
    classification="special_category_health",
    justification="Prioritise welfare calls for the most clinically vulnerable residents",
)
SCENARIOS = ("shielding",)
ROLE_TITLES = {
    "siro": "SIRO",
    "caldicott_guardian": "Caldicott Guardian",
    "dpo": "DPO",
    "iao": "Information Asset Owner",
    "requester": "requester",
}
SPAN = timedelta(hours=31)
"""How long the exercise's simulated emergency lasts, declaration to the last stage. The CLI
starts it this long before now, so the workspace it leaves agrees with the wall clock: what was
published 24 hours after go-live is already public when ``accord serve`` shows it."""

Progress = Callable[[str, str], None]
"""``progress(stage_key, message)``: told when a stage starts and as it works."""


@dataclass(frozen=True)
class Options:
    out: Path
    rows: int = 200_000
    seed: int = 2020
    scenario: str = "shielding"
    fresh: bool = False
    # A MESH mailbox to send one council's delivery from (else it goes into the outbox).
    mesh: push_stage.MeshExercise | None = None
    engine: str = "duckdb"
    engine_settings: dict[str, str] | None = None
    """``engine`` runs the flows (``duckdb``, ``spark``, ``in_memory``); ``engine_settings``
    configure it (for Spark, ``spark.*`` settings such as ``spark.master``)."""


def _target(stage_id: str) -> timedelta | None:
    return playbook().stage(stage_id).target_offset


def _postcodes_for(rows: int) -> int:
    """About 1.3 million postcodes at the full 2.2 million people (S1), fewer for small runs."""
    return max(2_000, min(1_300_000, rows * 13 // 22))


def prepare_folder(options: Options) -> Path:
    """The exercise's own workspace folder; refuse to mix with an earlier run unless fresh."""
    if options.scenario not in SCENARIOS:
        raise ConfigError(
            f"unknown exercise scenario {options.scenario}",
            [Problem("scenario", "known: " + ", ".join(SCENARIOS))],
        )
    if options.rows < 1_000 or options.rows > 22_000_000:
        raise ConfigError(
            "the exercise runs between 1,000 and 22,000,000 synthetic people",
            [Problem("rows", f"{options.rows:,} is out of range")],
        )
    if options.out.exists() and any(options.out.iterdir()):
        if not options.fresh:
            raise ConfigError(
                f"{options.out} already holds an exercise",
                [Problem("out", "pass --fresh to replace it, or choose another --out folder")],
            )
        shutil.rmtree(options.out)
    options.out.mkdir(parents=True, exist_ok=True)
    return options.out / "workspace"


def run_exercise(
    options: Options, *, start: datetime, progress: Progress | None = None
) -> ExerciseResult:
    """Run the whole exercise into ``options.out``; return what it measured."""
    tell = progress or (lambda stage, message: None)
    began = time.perf_counter()
    engine = get_backend(options.engine, options.engine_settings)  # refuses an unknown engine
    home = prepare_folder(options)
    clock = FixedClock(start.replace(microsecond=0))
    data = options.out / "data"
    data.mkdir(exist_ok=True)
    with Workspace.init(home, clock=clock) as ws:
        # -- Stage 0, peacetime: reference data, the discloser's extract, the contact rota. --
        tell("prepare", "preparing synthetic data and the contact rota (peacetime)")
        directory = runs.postcode_directory(ws)
        write_postcode_directory(
            directory, postcodes=_postcodes_for(options.rows), seed=options.seed
        )
        geography = Geography.load(directory)
        population = data / "population-day0.parquet"
        write_population(
            population,
            rows=options.rows,
            seed=options.seed,
            postcode_directory=directory,
            geography=geography,
        )
        discloser = nhs_england()
        recipients = upper_tier_parties(geography, on=clock.now().date())
        processor = letters_processor()
        rota = _contact_rota(ws, discloser, recipients)

        declared_at = clock.now()
        incident_id = f"EX-{declared_at:%Y%m%d-%H%M%S}"
        timer = StageTimer(clock, declared_at, on_stage=lambda s: tell(s.key, "done"))
        result = ExerciseResult(
            scenario=options.scenario,
            incident_id=incident_id,
            agreement_id="",
            rows=options.rows,
            seed=options.seed,
            declared_at=declared_at,
            users=list(rota.shown),
        )
        t0 = time.perf_counter()

        # -- Stage 1: declare. --
        tell("trigger", f"declaring incident {incident_id}")
        with timer.stage(
            "trigger",
            "Declare the incident",
            people_time=timedelta(0),
            target=_target("trigger"),
        ):
            incident = Incident(
                incident_id=incident_id,
                title="Exercise: pandemic wave, shielding support for the clinically vulnerable",
                declared_by_party=CABINET_OFFICE,
                declared_by_role="emergency_commander",
                declared_at=declared_at,
                cca_emergency=True,
                review_by=declared_at + timedelta(days=28),
                arbiter=DHSC,
            )
            incidents.declare(ws, incident, scenario=options.scenario)

        # -- Stages 2-4 and 7: the pre-approved template does request, gateway and design. --
        tell("draft", f"instantiating {TEMPLATE} for {len(recipients)} authorities")
        with timer.stage(
            "draft",
            "Draft the agreement from the template",
            people_time=timedelta(minutes=30),
            target=_target("draft"),
        ):
            agreement = instantiate(
                TEMPLATE,
                incident=incident,
                discloser=discloser,
                recipients=recipients,
                processor=processor,
                now=clock.now(),
            )
            pushed = push_stage.pushed_party(recipients, avoid={DISPUTING, LAPSING})
            agreement = push_stage.with_push(agreement, pushed, options.mesh)
            stored = agreements.create(ws, agreement, actor=rota.requester.email)
            result.agreement_id = agreement.id
            result.recipients_total = len(recipients)

        # -- Stage 5: the rules check and DPIA screening. --
        tell("dpia", "checking the agreement against the law")
        with timer.stage(
            "dpia",
            "Rules check and DPIA screening",
            people_time=timedelta(minutes=30),
            target=_target("dpia"),
        ):
            findings = check(stored.agreement, at=clock.now())
            result.findings = [
                FindingRow(f.severity.value, f.code, f.field, f.message, f.citation)
                for f in findings
            ]
            findings.raise_if_blocking()

        # -- Stage 8: sign-off by each party's role holders, signed with their party keys. --
        needed = [r for r in required_approvals(stored.agreement) if r.kind == "approve"]
        tell("sign_off", f"collecting {len(needed)} signed approvals")
        with timer.stage(
            "sign_off",
            "Sign-off by every party",
            people_time=timedelta(minutes=50),
            target=_target("sign_off"),
        ):
            approvals.move(ws, agreement.id, rota.requester, Status.in_review, "exercise")
            for need in needed:
                user = rota.holder(need.party_org_id, need.role.value)
                approvals.approve(ws, agreement.id, user, "approve", role=need.role.value)
                clock.advance(timedelta(seconds=10))
            result.approvals = [
                TimelineRow(a.at, f"{a.role.value} of {a.party}", a.decision.value)
                for a in approvals.recorded(ws, agreement.id)
            ]

        # -- Stage 10: go live; accord runs the flows itself. --
        tell("go_live", f"activating and running the flows over {options.rows:,} people")
        with timer.stage(
            "go_live",
            "Go live: enforced flows delivered",
            people_time=timedelta(minutes=5),
            target=_target("go_live"),
        ):
            approvals.move(ws, agreement.id, rota.discloser_siro, Status.active, "go live")
            if options.mesh is not None:
                push.configure_mesh(ws, options.mesh.sender)
            run = runs.run(ws, agreement.id, source=population, geography=geography, backend=engine)
            result.seconds_to_first_delivery = time.perf_counter() - t0
        _take_run(result, run, stored.agreement)
        if options.mesh is not None:
            tell("go_live", "the council collects its MESH message")
            for sent in push.listing(ws, state="sent", agreement_id=agreement.id):
                push_stage.collect_as_council(ws, options.mesh, sent)
        result.push_summary = push_stage.summary(ws, stored.agreement, pushed, options.mesh)

        # -- Stage 9: transparency. --
        tell("transparency", "publishing the register")
        with timer.stage(
            "transparency",
            "Publish the register",
            people_time=timedelta(minutes=20),
            target=_target("transparency"),
        ):
            published = publish_register(ws)
            result.register_rows = published.entry_count

        # -- A dispute: a council asks for an extra clinical field; the arbiter decides. --
        tell("dispute", "a council disputes the field list; the ladder runs")
        with timer.stage("dispute", "Dispute raised and decided", people_time=timedelta(0)):
            _dispute(ws, clock, rota, agreement.id, result)

        # -- Stage 11: the next day's changes as a delta. --
        tell("monitor", "running the next day's delta")
        with timer.stage(
            "monitor",
            "Daily delta (day 1)",
            people_time=timedelta(minutes=5),
        ):
            clock.set(declared_at + timedelta(days=1, hours=6))
            day1 = data / "population-day1.parquet"
            write_delta(
                day1,
                rows=options.rows,
                seed=options.seed,
                day=1,
                postcode_directory=directory,
                geography=geography,
            )
            started = time.perf_counter()
            delta = runs.run(
                ws,
                agreement.id,
                source=day1,
                geography=geography,
                previous=run.run_id,
                backend=engine,
            )
            result.delta_machine_seconds = time.perf_counter() - started
            result.delta_additions = sum(d.additions or 0 for d in delta.deliveries)
            result.delta_removals = sum(d.removals or 0 for d in delta.deliveries)
            result.anomalies = [
                f"{a.recipient}: {a.previous_rows:,} to {a.rows:,} records" for a in delta.flagged
            ]

        # -- Day 2: a council's DSPT lapses; only its flow pauses, the others deliver. --
        tell("assurance", "day 2: a council's DSPT lapses; the sweep pauses its flow")
        with timer.stage("assurance", "A council's DSPT lapses (day 2)", people_time=timedelta(0)):
            clock.set(declared_at + timedelta(days=2, hours=6))
            lapse = dspt_lapse(
                ws,
                agreement.id,
                source=day1,
                geography=geography,
                previous=delta.run_id,
                backend=engine,
            )
            result.assurance_lapse = lapse.summary()
            result.assurance_paused = lapse.paused_flows
            result.assurance_delivered_to = lapse.delivered_to

        # -- Verify the ledger offline, as an outsider would. --
        tell("verify", "exporting and verifying the ledger offline")
        with timer.stage("verify", "Ledger exported and verified", people_time=timedelta(0)):
            export = options.out / "ledger-export"
            ws.ledger.export(export, now=clock.now())
            verified = verify_export(export)
            result.ledger_size = ws.ledger.size()
            head = ws.ledger.latest_head()
            result.ledger_root = head.root_hash.hex() if head else ""
            result.ledger_verdict = verified.verdict()

        result.stages = timer.stages
        result.total_machine_seconds = time.perf_counter() - began
    return result


def _take_run(result: ExerciseResult, run: RunResult, agreement: Agreement) -> None:
    names = {p.org_id: p.name for p in agreement.parties}
    result.population = run.input_rows
    result.exception_rows = run.exception_rows
    result.exceptions_by_reason = dict(sorted(run.exceptions_by_reason.items()))
    result.opted_out = run.opted_out_rows
    result.not_entitled = run.not_entitled_rows
    result.delivered_rows = run.delivered_rows
    result.rows_per_recipient = {
        names.get(d.recipient, d.recipient): d.rows
        for d in run.deliveries
        if d.recipient.startswith("gss:")
    }
    result.recipients_served = sum(1 for n in result.rows_per_recipient.values() if n > 0)
    decision = agreement.opt_out_policy
    result.opt_out_applied = bool(decision and (decision.apply_ndoo or decision.apply_type1))
    result.opt_out_rationale = decision.rationale if decision else "no opt-out decision"


def _dispute(
    ws: Workspace, clock: FixedClock, rota: _Rota, agreement_id: str, result: ExerciseResult
) -> None:
    active = agreements.active_version(ws, agreement_id)
    flow = next(f for f in active.agreement.flows if f.recipient == DISPUTING)
    current = Variant.from_flow(flow)
    asks = current.model_copy(update={"projection": (*current.projection, EXTRA_FIELD.name)})
    la_dpo = Actor(party=DISPUTING, role=ActorRole.dpo, name=rota.name_for(DISPUTING) + " DPO")
    dispute = dispute_service.raise_dispute(
        ws,
        agreement_id=agreement_id,
        flow_id=flow.id,
        actor=la_dpo,
        ground=Ground.other,
        statement="We need each resident's clinical group to prioritise welfare calls.",
        offer=asks,
        offer_items=[EXTRA_FIELD],
        disputed_fields=[EXTRA_FIELD.name],
        evidence=["doc:exercise-welfare-call-plan"],
        arbiter=DHSC,
    )
    clock.advance(timedelta(minutes=45))
    nhse_dpo = Actor(party="ods:X26", role=ActorRole.dpo, name="NHS England DPO")
    dispute_service.offer(
        ws,
        dispute.id,
        actor=nhse_dpo,
        terms=current,
        note="Clinical detail is not necessary to offer support (Caldicott principle 3).",
    )
    clock.advance(timedelta(hours=4, minutes=30))  # tiers 1 and 2 run out
    dispute_service.sweep(ws)
    clock.advance(timedelta(hours=4))
    dispute_service.sweep(ws)
    arbiter = Actor(party=DHSC, role=ActorRole.arbiter, name="DHSC incident arbiter")
    decided = dispute_service.decide(
        ws,
        dispute.id,
        decider=arbiter,
        chosen_party="ods:X26",
        reasons=(
            "NHS England's offer is chosen. Councils can prioritise calls from the list itself; "
            "clinical groups add special category detail without a necessity shown "
            "(UK GDPR Art 5(1)(c); Caldicott principle 3)."
        ),
    )
    record_ = dispute_service.show(ws, dispute.id)
    result.dispute_timeline = [
        TimelineRow(s.at, s.name, _step_detail(s.actor, s.detail)) for s in record_.steps
    ]
    if decided.decision is None:
        raise ConfigError("the exercise's dispute ended without a decision")
    hours = (decided.decision.decided_at - decided.raised_at).total_seconds() / 3600
    result.dispute_outcome = (
        f"decided for NHS England's final offer by the DHSC arbiter {hours:.1f} h after it was "
        "raised, with written reasons"
    )


def _step_detail(actor: str, detail: dict[str, object]) -> str:
    for key in ("reasons", "note", "statement", "reason", "to_state"):
        value = detail.get(key)
        if value:
            return f"{actor}: {value}"
    return actor


@dataclass
class _Rota:
    """The simulated people of the exercise, by party and role."""

    by_role: dict[tuple[str, str], users.User]
    names: dict[str, str]
    requester: users.User
    discloser_siro: users.User
    shown: list[SimulatedUser]

    def holder(self, party: str, role: str) -> users.User:
        try:
            return self.by_role[(party, role)]
        except KeyError:
            raise ConfigError(
                "the exercise has no simulated holder of a role the playbook asks for",
                [Problem("role", f"{role} of {party}")],
            ) from None

    def name_for(self, party: str) -> str:
        return self.names.get(party, party)


def _contact_rota(ws: Workspace, discloser: Party, recipients: list[Party]) -> _Rota:
    """Create the simulated users: every role holder the playbook may ask for, per party."""
    password = "exercise-" + ws.pseudonym_secret()[:6].hex()
    people: list[users.NewUser] = []
    nhse = discloser.org_id
    for role in ("siro", "caldicott_guardian", "dpo", "iao", "requester"):
        people.append(
            users.NewUser(
                f"{role.replace('_', '-')}@nhs-england.example",
                f"NHS England {ROLE_TITLES[role]}",
                nhse,
                (role,),
            )
        )
    people.append(
        users.NewUser("arbiter@dhsc.example", "DHSC incident arbiter", DHSC, ("arbiter",))
    )
    for party in recipients:
        code = party.org_id.split(":")[1].lower()
        for role in ("siro", "caldicott_guardian", "dpo"):
            people.append(
                users.NewUser(
                    f"{role.replace('_', '-')}@{code}.example",
                    f"{party.name} {ROLE_TITLES[role]}",
                    party.org_id,
                    (role,),
                )
            )
        people.append(
            users.NewUser(
                f"collector@{code}.example",
                f"{party.name} collector",
                party.org_id,
                ("recipient_service",),
            )
        )
    created = users.add_users(ws, people, password)
    for org_id in sorted({p.party_org_id for p in people}):
        ws.keystore.ensure_party(org_id)  # parties hold their signing keys before any incident
    by_role = {(u.party_org_id, r.value): u for u in created for r in u.roles}
    names = {p.org_id: p.name for p in [discloser, *recipients]}
    shown_emails = {
        "siro@nhs-england.example",
        "caldicott-guardian@nhs-england.example",
        "arbiter@dhsc.example",
        "siro@e09000011.example",
        "dpo@e09000011.example",
        "collector@e09000011.example",
    }
    shown = [
        SimulatedUser(
            u.email,
            password,
            u.party_org_id,
            names.get(u.party_org_id, "DHSC"),
            tuple(sorted(r.value for r in u.roles)),
        )
        for u in created
        if u.email in shown_emails
    ]
    return _Rota(
        by_role,
        names,
        requester=by_role[(nhse, "requester")],
        discloser_siro=by_role[(nhse, "siro")],
        shown=shown,
    )
