"""A workspace: the database, the keys folder and the deliveries folder of one accord instance.

The embedded default is a folder holding ``accord.sqlite``, ``keys/`` and ``deliveries/``;
a shared deployment points ``database_url`` at PostgreSQL and keeps the folders for keys and
deliveries. Settings arrive as arguments: only entry points read the environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from accord.clock import Clock, SystemClock
from accord.errors import ConfigError, Problem
from accord.ledger.keys import KeyStore
from accord.ledger.log import Ledger
from accord.store import open_store
from accord.store.base import DEFAULT_SQLITE_NAME

MARKER = "accord-workspace.txt"
PSEUDONYM_SECRET = "pseudonym.secret"
PERSON_INDEX_KEY = "person-index.key"
SECRET_BYTES = 32


@dataclass
class Workspace:
    root: Path
    database_url: str
    clock: Clock = field(default_factory=SystemClock)

    @property
    def keys_dir(self) -> Path:
        return self.root / "keys"

    @property
    def deliveries_dir(self) -> Path:
        return self.root / "deliveries"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def refdata_dir(self) -> Path:
        return self.root / "refdata"

    @cached_property
    def engine(self) -> Engine:
        return open_store(self.database_url)

    def close(self) -> None:
        """Release database connections (the workspace can be used again afterwards)."""
        self.__dict__.pop("ledger", None)
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pseudonym_secret(self) -> bytes:
        """The instance secret pseudonym keys are derived from; it never leaves the instance."""
        return (self.keys_dir / PSEUDONYM_SECRET).read_bytes()

    def person_index_key(self) -> bytes:
        """The instance key of the per-person index (keyed hashes of person keys); like the
        pseudonym secret it never leaves the instance. Made on first use (0600), so a workspace
        made before it gets one too."""
        path = self.keys_dir / PERSON_INDEX_KEY
        if not path.exists():
            _new_secret(path)
        key = path.read_bytes()
        if len(key) != SECRET_BYTES:
            raise ConfigError(
                "the person-index key is damaged", [Problem(f"keys/{PERSON_INDEX_KEY}", "")]
            )
        return key

    @classmethod
    def init(
        cls, root: Path, *, database_url: str | None = None, clock: Clock | None = None
    ) -> Workspace:
        """Create (or complete) a workspace; running it twice changes nothing already there."""
        root = root.resolve()
        for sub in ("", "keys", "deliveries", "reports", "refdata"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(root / "keys", 0o700)
        if not (root / "keys" / PSEUDONYM_SECRET).exists():
            _new_secret(root / "keys" / PSEUDONYM_SECRET)
        (root / MARKER).write_text("This folder is an accord workspace.\n", encoding="utf-8")
        ws = cls(root, database_url or sqlite_url(root), clock or SystemClock())
        _ = ws.engine  # create the schema now
        ws.on_init()
        return ws

    @classmethod
    def open(
        cls, root: Path, *, database_url: str | None = None, clock: Clock | None = None
    ) -> Workspace:
        root = root.resolve()
        if not (root / MARKER).exists():
            raise ConfigError(
                f"{root} is not an accord workspace",
                [Problem("workspace", "run `accord init` first, or set ACCORD_HOME")],
            )
        return cls(root, database_url or sqlite_url(root), clock or SystemClock())

    @cached_property
    def keystore(self) -> KeyStore:
        return KeyStore(self.keys_dir)

    @cached_property
    def ledger(self) -> Ledger:
        return Ledger(self.engine, self.keystore)

    def on_init(self) -> None:
        """Create the instance signing key (and anything else a fresh instance needs)."""
        self.keystore.instance_key()


def _new_secret(path: Path) -> None:
    """32 random bytes in a file only the instance's user reads, never overwritten and never
    left half-written: written beside it, then linked into place (a concurrent first use that
    linked first wins; a refused write leaves nothing)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(SECRET_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)


def sqlite_url(root: Path) -> str:
    return f"sqlite:///{root / DEFAULT_SQLITE_NAME}"
