"""The one exception tree of accord.

Every error accord raises on purpose is a child of :class:`AccordError`. Errors meant for
people carry a plain-English :meth:`AccordError.diagnostics` and a fixed CLI exit code; the
server maps them to HTTP status codes in one handler.

::

    AccordError                      exit 1   (raised as itself only for a blocking finding)
    +-- InputError                   exit 2   bad input: a file, a CSV, a request, a predicate
    |   +-- AgreementInvalid         exit 2   an agreement document fails validation
    |   +-- PredicateError           exit 2   a row-filter expression cannot be parsed
    |   +-- SourceError              exit 2   a source file: missing columns, wrong types or format
    +-- NotFound                     exit 3   an unknown agreement, version, event, dispute...
    +-- NotPermitted                 exit 4   the action is not allowed (state, role, party)
    |   +-- NotAuthenticated         exit 4   no valid sign-in, session or API token (HTTP 401)
    |   +-- IllegalTransition        exit 4   a lifecycle transition that the state machine forbids
    |   +-- NotActive                exit 4   a run on an agreement version that is not active
    |   +-- TooManyRequests          exit 4   too many attempts; try again later (HTTP 429)
    +-- UnsupportedClause            exit 5   a backend cannot enforce a clause of the plan
    +-- VerificationError            exit 6   a proof, signature or log failed to verify
    |   +-- Equivocation             exit 6   two validly signed heads of one size, two roots
    |   +-- WitnessConflict          exit 6   a witness saw another size (HTTP 409)
    +-- DisputeError                 exit 7   a dispute step is invalid
    +-- ConfigError                  exit 8   the workspace or settings are unusable
    +-- StorageFull                  exit 9   a write was refused: the disk or a size limit is full
    +-- StoreUnavailable             exit 10  the database went away mid-change; nothing was saved
    +-- PushError                    exit 11  a delivery could not be sent (MESH, outbox); it stays
                                              queued and is tried again

Any other exception is a defect in accord: the command line prints its class name only (never
its text, which may quote a value) and exits with :data:`EXIT_INTERNAL` (70), so a crash is
never read as exit 1, "a blocking finding". Exit 130 is an interrupt (Ctrl-C).

Row values never appear in any message: only field names, row numbers, counts and hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

EXIT_INTERNAL = 70
"""The exit code of an unexpected error: a defect in accord, to be reported (BSD EX_SOFTWARE)."""
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a dotted field path or row number) and why."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" if self.where else self.reason


class AccordError(Exception):
    """Base of every error accord raises on purpose."""

    exit_code = 1
    http_status = 500

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def diagnostics(self) -> str:
        """A plain-English explanation, one problem per line after the summary."""
        lines = [self.message]
        lines.extend(f"  - {p}" for p in self.problems)
        return "\n".join(lines)


class InputError(AccordError):
    exit_code = 2
    http_status = 422


class AgreementInvalid(InputError):
    pass


class PredicateError(InputError):
    pass


class SourceError(InputError):
    pass


class NotFound(AccordError):
    exit_code = 3
    http_status = 404


class NotPermitted(AccordError):
    exit_code = 4
    http_status = 403


class NotAuthenticated(NotPermitted):
    http_status = 401


class IllegalTransition(NotPermitted):
    http_status = 409


class NotActive(NotPermitted):
    http_status = 409


class TooManyRequests(NotPermitted):
    """Too many sign-in attempts or token uses from one account, token or address."""

    http_status = 429

    def __init__(
        self, message: str, problems: Sequence[Problem] = (), *, retry_after: int = 1
    ) -> None:
        super().__init__(message, problems)
        self.retry_after = retry_after


class UnsupportedClause(AccordError):
    exit_code = 5
    http_status = 422


class VerificationError(AccordError):
    exit_code = 6
    http_status = 422


class Equivocation(VerificationError):
    """Two validly signed tree heads of the same size with different roots: the log forked."""


class WitnessConflict(VerificationError):
    """A witness's last cosigned head is not the one the request builds on."""

    http_status = 409

    def __init__(self, message: str, known_size: int) -> None:
        super().__init__(message)
        self.known_size = known_size


class DisputeError(AccordError):
    exit_code = 7
    http_status = 409


class ConfigError(AccordError):
    exit_code = 8
    http_status = 500


class StorageFull(AccordError):
    """The disk, a quota or a file-size limit refused a write; nothing partial is published."""

    exit_code = 9
    http_status = 507


class StoreUnavailable(AccordError):
    """The database connection was lost (or refused) mid-call; the transaction rolled back.

    Nothing of the change it carried was stored, its ledger events included: retry it when the
    database answers again (HTTP 503).
    """

    exit_code = 10
    http_status = 503


class PushError(AccordError):
    """Sending a delivery to its recipient (by MESH, or into the outbox) failed this time."""

    exit_code = 11
    http_status = 502


__all__ = [
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "AccordError",
    "AgreementInvalid",
    "ConfigError",
    "DisputeError",
    "Equivocation",
    "IllegalTransition",
    "InputError",
    "NotActive",
    "NotAuthenticated",
    "NotFound",
    "NotPermitted",
    "PushError",
    "PredicateError",
    "Problem",
    "SourceError",
    "StorageFull",
    "StoreUnavailable",
    "TooManyRequests",
    "UnsupportedClause",
    "VerificationError",
    "WitnessConflict",
]
