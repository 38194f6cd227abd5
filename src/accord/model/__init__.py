"""accord.model: the data-sharing agreement as data.

Owns the pydantic models of an agreement and its parts, typed identifiers, canonical JSON and the
agreement hash, the row-filter language (``predicate``, checked when an agreement is validated),
and the lifecycle state machine. Imports nothing from accord except ``errors``.

>>> from accord.model import example_agreement, agreement_hash
>>> a = example_agreement()
>>> a.mode.value, len(a.flows), len(agreement_hash(a))
('emergency', 2, 64)
"""

from accord.model.agreement import Agreement, Purpose
from accord.model.canonical import agreement_hash, canonical_bytes, canonical_json, document
from accord.model.examples import example_agreement, example_document
from accord.model.flows import (
    Aggregate,
    DataItem,
    Drop,
    Flow,
    Generalise,
    PostcodeTo,
    Pseudonymise,
    SuppressSmall,
    Transform,
)
from accord.model.governance import (
    Approval,
    CcaRequest,
    Incident,
    Retention,
    Review,
    RightsHandling,
    Security,
    Termination,
    Transparency,
)
from accord.model.io import dump_yaml, load_agreement, load_agreement_text, parse_agreement
from accord.model.legal import DPIARef, LegalBasis, OptOutDecision
from accord.model.lifecycle import check_transition, expiry_due
from accord.model.parties import Contacts, Party

__all__ = [
    "Aggregate",
    "Agreement",
    "Approval",
    "CcaRequest",
    "Contacts",
    "DPIARef",
    "DataItem",
    "Drop",
    "Flow",
    "Generalise",
    "Incident",
    "LegalBasis",
    "OptOutDecision",
    "Party",
    "PostcodeTo",
    "Pseudonymise",
    "Purpose",
    "Retention",
    "Review",
    "RightsHandling",
    "Security",
    "SuppressSmall",
    "Termination",
    "Transform",
    "Transparency",
    "agreement_hash",
    "canonical_bytes",
    "canonical_json",
    "check_transition",
    "document",
    "dump_yaml",
    "example_agreement",
    "example_document",
    "expiry_due",
    "load_agreement",
    "load_agreement_text",
    "parse_agreement",
]
