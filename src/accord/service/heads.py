"""Signed tree heads leaving the instance: signing on the instance's schedule, sending each new
head to the configured witnesses, and acting as a witness for other parties' logs.

Heads are signed by :func:`sign_head`, which ``accord ledger sign-head``, ``accord sweep``,
``accord ledger export`` and the server's scheduler (each tick, when the log has grown) call;
nothing that answers a GET signs or stores anything. Each new
head goes to every witness configured with :func:`add_witness` (C2SP tlog-witness
``add-checkpoint``), and each witness's cosignature is kept with the head, so the register's
tree-head feed serves heads the instance cannot take back.

As a witness, :func:`add_checkpoint` answers another instance's ``add-checkpoint`` for a log
followed with :func:`follow_log`: it cosigns only a head consistent with the last one it
cosigned for that log, and records the new one in the same compare-and-set update.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from accord.errors import InputError, NotFound, NotPermitted, VerificationError, WitnessConflict
from accord.ledger.checkpoint import NoteSignature, NoteVerifier, SignedTreeHead, format_timestamp
from accord.ledger.witness import (
    AddCheckpoint,
    CosignatureVerifier,
    WitnessedLog,
    check_add_checkpoint,
)
from accord.store.witness import ledger_witnesses, witness_logs
from accord.workspace import Workspace

__all__ = [
    "Post",
    "SignedHead",
    "WitnessOutcome",
    "add_checkpoint",
    "add_witness",
    "follow_log",
    "publish",
    "sign_head",
]

Post = Callable[[str, str], tuple[int, str]]
"""Send ``body`` to ``url`` as an HTTP POST; return the status code and the response text."""


def http_post(url: str, body: str) -> tuple[int, str]:
    """POST over HTTP(S) with httpx (the default transport to witnesses)."""
    import httpx

    response = httpx.post(
        url, content=body.encode(), headers={"Content-Type": "text/plain"}, timeout=10.0
    )
    return response.status_code, response.text


@dataclass(frozen=True)
class WitnessOutcome:
    """What one witness said about a head: ``cosigned``, ``refused`` or ``unreachable``."""

    witness: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class SignedHead:
    head: SignedTreeHead
    witnesses: tuple[WitnessOutcome, ...]

    @property
    def refused(self) -> tuple[WitnessOutcome, ...]:
        return tuple(w for w in self.witnesses if w.outcome == "refused")


def sign_head(ws: Workspace, *, now: datetime | None = None, post: Post = http_post) -> SignedHead:
    """Sign a head over the whole log (refused if inconsistent with the last), then publish it.

    The head's timestamp is ``now`` (default: the workspace's clock). A log that has not grown
    since the last head gets that head back, unsigned again.
    """
    head = ws.ledger.tree_head(now or ws.clock.now())
    outcomes = publish(ws, head, post=post)
    return SignedHead(ws.ledger.head_at(head.size), outcomes)


# -- the instance's witnesses ----------------------------------------------------------------


def add_witness(ws: Workspace, verifier_key: str, url: str) -> CosignatureVerifier:
    """Send every new head to the witness with cosigner key ``verifier_key`` at ``url``."""
    verifier = CosignatureVerifier.from_string(verifier_key)
    if not url.startswith(("https://", "http://")):
        raise InputError(f"a witness URL is http(s)://...add-checkpoint, not {url!r}")
    with ws.engine.begin() as conn:
        conn.execute(ledger_witnesses.delete().where(ledger_witnesses.c.name == verifier.name))
        conn.execute(
            insert(ledger_witnesses).values(
                name=verifier.name, url=url, verifier_key=verifier.to_string(), cosigned_size=0
            )
        )
    return verifier


def _instance_only(head: SignedTreeHead) -> SignedTreeHead:
    return SignedTreeHead(
        head.origin, head.size, head.root_hash, head.timestamp, head.signatures[:1], head.extra
    )


def _request(ws: Workspace, head: SignedTreeHead, old: int) -> str:
    proof: list[str] = []
    if 0 < old < head.size:
        proof = ws.ledger.consistency(old, head.size)["proof"]
    hashes = tuple(bytes.fromhex(h) for h in proof)
    return AddCheckpoint(old, hashes, _instance_only(head)).to_text()


def _ask(ws: Workspace, head: SignedTreeHead, row: Any, post: Post) -> WitnessOutcome:
    name, url, key, old = row.name, row.url, row.verifier_key, int(row.cosigned_size)
    verifier = CosignatureVerifier.from_string(key)
    try:
        status, text = post(url, _request(ws, head, old if old <= head.size else 0))
        if status == 409 and text.strip().isdigit() and int(text) != old:
            old = int(text)  # the witness knows another size: build the proof from that one
            if old > head.size:
                return WitnessOutcome(name, "refused", f"it has cosigned size {old} already")
            status, text = post(url, _request(ws, head, old))
    except Exception as exc:  # noqa: BLE001 - any transport failure means "not reached"
        return WitnessOutcome(name, "unreachable", type(exc).__name__)
    if status != 200:
        return WitnessOutcome(name, "refused", f"HTTP {status}: {text.strip()[:200]}")
    for line in text.splitlines(keepends=True):
        try:
            signature = NoteSignature.from_line(line.rstrip("\n"))
            verifier.verify(head.body(), signature)
        except VerificationError:
            continue  # ignore lines from keys we do not know (C2SP)
        ws.ledger.add_cosignature(head.size, name, signature.to_line())
        with ws.engine.begin() as conn:
            conn.execute(
                update(ledger_witnesses)
                .where(ledger_witnesses.c.name == name)
                .values(cosigned_size=head.size)
            )
        return WitnessOutcome(name, "cosigned", f"size {head.size}")
    return WitnessOutcome(name, "refused", "no valid cosignature in its answer")


def publish(
    ws: Workspace, head: SignedTreeHead, *, post: Post = http_post
) -> tuple[WitnessOutcome, ...]:
    """Send ``head`` to every configured witness; keep each valid cosignature."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(ledger_witnesses).order_by(ledger_witnesses.c.name)).all()
    if head.size == 0:
        return ()
    return tuple(_ask(ws, head, row, post) for row in rows)


# -- this instance as a witness --------------------------------------------------------------


def follow_log(ws: Workspace, verifier_key: str, origin: str) -> NoteVerifier:
    """Witness the log ``origin`` signed by ``verifier_key`` (shown on its tree-head page)."""
    verifier = NoteVerifier.from_string(verifier_key)
    key_id = f"{verifier.name}+{verifier.key_hash.hex()}"
    with ws.engine.begin() as conn:
        known = conn.execute(
            select(witness_logs.c.tree_size).where(
                witness_logs.c.origin == origin, witness_logs.c.key_id == key_id
            )
        ).first()
        if known is None:
            conn.execute(
                insert(witness_logs).values(
                    origin=origin, key_id=key_id, verifier_key=verifier.to_string(), tree_size=0
                )
            )
    return verifier


def add_checkpoint(ws: Workspace, body: str) -> str:
    """Answer a C2SP ``add-checkpoint`` request: the cosignature line, or raise.

    NotFound (404) for an origin this witness does not follow, NotPermitted (403) when no
    followed key signed it, InputError (400) for a malformed body, WitnessConflict (409, with
    the size it knows) and VerificationError (422) when the head does not extend the last.
    """
    request = AddCheckpoint.from_text(body)
    origin = request.checkpoint.origin
    with ws.engine.connect() as conn:
        rows = conn.execute(select(witness_logs).where(witness_logs.c.origin == origin)).all()
    if not rows:
        raise NotFound(f"this witness does not follow a log called {origin!r}")
    for row in rows:
        log = WitnessedLog(
            origin,
            NoteVerifier.from_string(row.verifier_key),
            int(row.tree_size),
            None if row.root_hash is None else bytes(row.root_hash),
        )
        try:
            request.checkpoint.verify(log.verifier)
        except VerificationError:
            continue
        head = check_add_checkpoint(request, log)
        if head.size != log.size:
            now = ws.clock.now()
            with ws.engine.begin() as conn:
                done = conn.execute(
                    update(witness_logs)
                    .where(
                        witness_logs.c.origin == origin,
                        witness_logs.c.key_id == row.key_id,
                        witness_logs.c.tree_size == log.size,
                    )
                    .values(
                        tree_size=head.size,
                        root_hash=head.root_hash,
                        checkpoint=head.to_text(),
                        updated_at=format_timestamp(now),
                    )
                )
                if done.rowcount != 1:  # another request moved it first
                    size = conn.execute(
                        select(witness_logs.c.tree_size).where(
                            witness_logs.c.origin == origin, witness_logs.c.key_id == row.key_id
                        )
                    ).scalar_one()
                    raise WitnessConflict(f"this witness now has size {size}", int(size))
        cosigner = ws.keystore.witness_cosigner()
        return cosigner.cosign(head.body(), int(ws.clock.now().timestamp())).to_line()
    raise NotPermitted(f"the checkpoint is not signed by a key this witness follows for {origin}")
