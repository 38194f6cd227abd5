"""accord.engine: the data plane. The agreement is the enforcement.

Owns compiling an agreement's flows into an immutable plan (:mod:`~accord.engine.plan`,
:mod:`~accord.engine.compile`), the row-filter language (:mod:`~accord.engine.predicate`), the
backends that run a plan (``backends/``: ``in_memory`` reference, ``duckdb`` default, ``spark``
for scale, with the ``spark`` extra), pseudonym keys, atomic deliveries with manifests, deltas,
exceptions and per-recipient volume anomalies.

Imports only :mod:`accord.model`, :mod:`accord.refdata` and :mod:`accord.errors` from accord;
never ``law``, ``store``, ``server`` or ``cli``. It does not write to the ledger: callers record
events from the :class:`RunResult`. Row values never reach a log or an error message.

>>> from accord.engine import parse_predicate
>>> parse_predicate("utla(postcode) == recipient.gss").op
'=='
"""

from accord.engine.anomalies import DEFAULT_THRESHOLD
from accord.engine.backends.base import Backend, Counts, RunInputs
from accord.engine.compile import compile_plan
from accord.engine.plan import Plan
from accord.engine.predicate import parse as parse_predicate
from accord.engine.pseudonym import derive_key, pseudonym
from accord.engine.result import Anomaly, Delivery, RunResult
from accord.engine.run import get_backend, run_agreement

__all__ = [
    "DEFAULT_THRESHOLD",
    "Anomaly",
    "Backend",
    "Counts",
    "Delivery",
    "Plan",
    "RunInputs",
    "RunResult",
    "compile_plan",
    "derive_key",
    "get_backend",
    "parse_predicate",
    "pseudonym",
    "run_agreement",
]
