"""accord: emergency data sharing between UK public bodies, safely and in minutes.

A data-sharing agreement is data: one versioned, hashed, signed document that accord checks
against the law, compiles into per-recipient flows, runs itself and records in a tamper-evident
log.
"""

from accord.errors import AccordError
from accord.model import Agreement, agreement_hash, load_agreement

__version__ = "0.1.0"

__all__ = ["AccordError", "Agreement", "__version__", "agreement_hash", "load_agreement"]
