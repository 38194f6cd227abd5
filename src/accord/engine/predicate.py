"""The row-filter language, as the engine uses it: :mod:`accord.model.predicate`, re-exported.

The parser and type checker live in ``accord.model`` so that an agreement's filters are checked
when the agreement is validated, in every entry point; the engine compiles the checked tree.

>>> from accord.engine import predicate
>>> predicate.parse("age(date_of_birth) >= 70").op
'>='
"""

from accord.model.predicate import (
    COMPARISONS,
    FUNCTIONS,
    GEOGRAPHY_FUNCTIONS,
    MAX_DEPTH,
    MAX_DIGITS,
    MAX_LENGTH,
    MAX_STRING,
    RECIPIENT_ATTRS,
    And,
    Call,
    Compare,
    FieldRef,
    InList,
    Literal,
    Not,
    Operand,
    Or,
    Predicate,
    RecipientRef,
    Truth,
    check,
    fields_used,
    operand_type,
    operands,
    parse,
)

__all__ = [
    "COMPARISONS",
    "FUNCTIONS",
    "GEOGRAPHY_FUNCTIONS",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_LENGTH",
    "MAX_STRING",
    "RECIPIENT_ATTRS",
    "And",
    "Call",
    "Compare",
    "FieldRef",
    "InList",
    "Literal",
    "Not",
    "Operand",
    "Or",
    "Predicate",
    "RecipientRef",
    "Truth",
    "check",
    "fields_used",
    "operand_type",
    "operands",
    "parse",
]
