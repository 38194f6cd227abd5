"""The row-filter language: a small declarative predicate, parsed safely (never ``eval``).

A flow's ``row_filter`` says which rows its recipient is entitled to::

    utla(postcode) == recipient.gss
    age(date_of_birth) >= 70 and clinical_group in ('A', 'B')
    not (lad(postcode) == 'E07000008') or recipient.org_id == 'gss:E10000003'

Grammar (keywords are lower case; whitespace is free)::

    predicate  := or
    or         := and ('or' and)*
    and        := not ('and' not)*
    not        := 'not' not | '(' predicate ')' | comparison
    comparison := operand (CMP operand | ['not'] 'in' '(' literal (',' literal)* ')')?
    operand    := literal | 'recipient' '.' NAME | NAME '(' NAME ')' | NAME
    literal    := STRING | NUMBER | 'true' | 'false'
    CMP        := '==' | '!=' | '<' | '<=' | '>' | '>='

Strings are single- or double-quoted; a quote is doubled to escape it. A bare operand is a
predicate only when it is boolean (``true`` alone selects every row). The parser is a recursive-
descent parser over tokens cut by one regular expression; :class:`PredicateError` names the
character position of the first problem. Parsing gives an untyped tree; :func:`check` types it
against the fields a flow may use. Agreements are checked with both when they are validated
(``accord.model.Agreement``), so a stored agreement's filters always parse.

Limits, each a :class:`PredicateError` at its position: a filter of at most
:data:`MAX_LENGTH` characters, :data:`MAX_DEPTH` nested ``not`` and parentheses, numbers of at
most :data:`MAX_DIGITS` digits, strings of at most :data:`MAX_STRING` characters.

>>> parse("utla(postcode) == recipient.gss")
Compare(op='==', left=Call(func='utla', field='postcode'), right=RecipientRef(attr='gss'))
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import date

from accord.errors import PredicateError, Problem

FUNCTIONS = {"utla": "postcode", "lad": "postcode", "lsoa": "postcode", "age": "date"}
"""Functions of the language and the kind of field each takes."""

GEOGRAPHY_FUNCTIONS = frozenset({"utla", "lad", "lsoa"})
RECIPIENT_ATTRS = frozenset({"gss", "ods", "org_id", "code"})
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
_KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "recipient"})

MAX_LENGTH = 100_000
"""Characters in one filter (a list of every LSOA of a large county fits)."""
MAX_DEPTH = 32
"""Nested ``not`` and parentheses."""
MAX_DIGITS = 18
"""Digits of a number literal, integer and fraction together (a 64-bit integer has 19)."""
MAX_STRING = 1_000
"""Characters of a string literal."""

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<number>-?[0-9]+(?:\.[0-9]+)?)
  | (?P<op>==|!=|<=|>=|<|>)
  | (?P<punct>[(),.])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    """,
    re.VERBOSE,
)


# -- the tree ----------------------------------------------------------------------------------
# ``pos`` is kept for error messages and ignored by equality, so two flows with the same filter
# text in different spacing compile to equal trees.


@dataclass(frozen=True)
class FieldRef:
    name: str
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | date
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class RecipientRef:
    attr: str
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Call:
    func: str
    field: str
    pos: int = dataclasses.field(default=0, compare=False, repr=False)


Operand = FieldRef | Literal | RecipientRef | Call


@dataclass(frozen=True)
class Compare:
    op: str
    left: Operand
    right: Operand
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class InList:
    operand: Operand
    values: tuple[Literal, ...]
    negated: bool = False
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Truth:
    """A boolean field, or the literal ``true``/``false``, used on its own as a predicate.

    ``true`` alone means every row (a processor that receives the whole list)."""

    operand: FieldRef | Literal
    pos: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class And:
    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Predicate, ...]


@dataclass(frozen=True)
class Not:
    item: Predicate


Predicate = Compare | InList | Truth | And | Or | Not


# -- tokens ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    pos: int


def _shown(text: str) -> str:
    """A token as an error quotes it: short, so an error line stays one line."""
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _error(source: str, pos: int, reason: str) -> PredicateError:
    return PredicateError(
        f"row filter cannot be parsed: {reason} at position {pos}",
        [Problem(f"row_filter:{pos}", reason)],
    )


def _tokens(source: str) -> list[_Token]:
    out: list[_Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise _error(source, pos, "unexpected character")
        kind = m.lastgroup or ""
        if kind != "ws":
            text = m.group()
            if kind == "name" and text in _KEYWORDS:
                kind = text
            if kind == "number" and sum(c.isdigit() for c in text) > MAX_DIGITS:
                raise _error(source, pos, f"a number has more than {MAX_DIGITS} digits")
            if kind == "string" and len(text) - 2 > MAX_STRING:
                raise _error(source, pos, f"a string is longer than {MAX_STRING} characters")
            out.append(_Token(kind, text, pos))
        pos = m.end()
    out.append(_Token("end", "", len(source)))
    return out


# -- parser ------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = _tokens(source)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def take(self, kind: str, text: str | None = None) -> _Token:
        t = self.tok
        if t.kind != kind or (text is not None and t.text != text):
            want = repr(text) if text is not None else kind
            got = _shown(t.text) if t.text else "end of filter"
            raise _error(self.source, t.pos, f"expected {want}, found {got}")
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        return self.tok.kind == kind and (text is None or self.tok.text == text)

    def parse(self) -> Predicate:
        if self.at("end"):
            raise _error(self.source, 0, "the filter is empty")
        pred = self.or_()
        if not self.at("end"):
            raise _error(self.source, self.tok.pos, f"unexpected {_shown(self.tok.text)}")
        return pred

    def or_(self) -> Predicate:
        items = [self.and_()]
        while self.at("or"):
            self.i += 1
            items.append(self.and_())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_(self) -> Predicate:
        items = [self.not_()]
        while self.at("and"):
            self.i += 1
            items.append(self.not_())
        return items[0] if len(items) == 1 else And(tuple(items))

    def not_(self) -> Predicate:
        if self.at("not") or self.at("punct", "("):
            if self.depth >= MAX_DEPTH:
                raise _error(
                    self.source, self.tok.pos, f"more than {MAX_DEPTH} nested 'not' or brackets"
                )
            self.depth += 1
            try:
                if self.at("not"):
                    self.i += 1
                    return Not(self.not_())
                self.i += 1
                inner = self.or_()
                self.take("punct", ")")
                return inner
            finally:
                self.depth -= 1
        return self.comparison()

    def comparison(self) -> Predicate:
        left = self.operand()
        t = self.tok
        if t.kind == "op":
            self.i += 1
            return Compare(t.text, left, self.operand(), pos=t.pos)
        negated = False
        if self.at("not") and self.tokens[self.i + 1].kind == "in":
            negated = True
            self.i += 1
        if self.at("in"):
            self.i += 1
            self.take("punct", "(")
            values = [self.literal()]
            while self.at("punct", ","):
                self.i += 1
                values.append(self.literal())
            self.take("punct", ")")
            return InList(left, tuple(values), negated, pos=t.pos)
        if isinstance(left, FieldRef) or (
            isinstance(left, Literal) and isinstance(left.value, bool)
        ):
            return Truth(left, pos=left.pos)
        raise _error(self.source, t.pos, "expected a comparison")

    def literal(self) -> Literal:
        t = self.tok
        if t.kind == "string":
            self.i += 1
            quote = t.text[0]
            return Literal(t.text[1:-1].replace(quote * 2, quote), pos=t.pos)
        if t.kind == "number":
            self.i += 1
            return Literal(float(t.text) if "." in t.text else int(t.text), pos=t.pos)
        if t.kind in {"true", "false"}:
            self.i += 1
            return Literal(t.kind == "true", pos=t.pos)
        got = _shown(t.text) if t.text else "end of filter"
        raise _error(self.source, t.pos, f"expected a literal value, found {got}")

    def operand(self) -> Operand:
        t = self.tok
        if t.kind in {"string", "number", "true", "false"}:
            return self.literal()
        if t.kind == "recipient":
            self.i += 1
            self.take("punct", ".")
            attr = self.take("name")
            if attr.text not in RECIPIENT_ATTRS:
                raise _error(
                    self.source,
                    attr.pos,
                    f"recipient has no attribute {_shown(attr.text)} "
                    f"(known: {', '.join(sorted(RECIPIENT_ATTRS))})",
                )
            return RecipientRef(attr.text, pos=t.pos)
        if t.kind == "name":
            self.i += 1
            if self.at("punct", "("):
                if t.text not in FUNCTIONS:
                    raise _error(
                        self.source,
                        t.pos,
                        f"unknown function {_shown(t.text)} "
                        f"(known: {', '.join(sorted(FUNCTIONS))})",
                    )
                self.i += 1
                arg = self.take("name")
                self.take("punct", ")")
                return Call(t.text, arg.text, pos=t.pos)
            return FieldRef(t.text, pos=t.pos)
        got = _shown(t.text) if t.text else "end of filter"
        raise _error(
            self.source, t.pos, f"expected a field, function, literal or recipient, found {got}"
        )


def parse(source: str) -> Predicate:
    """Parse a row filter into a tree, or raise :class:`PredicateError` naming the position."""
    if not isinstance(source, str):
        raise PredicateError("row filter is not text", [Problem("row_filter", "not a string")])
    if len(source) > MAX_LENGTH:
        raise _error(source, MAX_LENGTH, f"the filter is longer than {MAX_LENGTH} characters")
    return _Parser(source).parse()


# -- typing ------------------------------------------------------------------------------------

_NUMERIC = frozenset({"integer", "number", "year"})


def operand_type(node: Operand, fields: dict[str, str]) -> str:
    """The value type of an operand: a Table Schema type, or ``string``/``integer``/..."""
    if isinstance(node, Literal):
        v = node.value
        if isinstance(v, bool):
            return "boolean"
        if isinstance(v, int):
            return "integer"
        if isinstance(v, float):
            return "number"
        if isinstance(v, date):
            return "date"
        return "string"
    if isinstance(node, RecipientRef):
        return "string"
    if isinstance(node, Call):
        return "integer" if node.func == "age" else "string"
    return fields[node.name]


def _compatible(a: str, b: str) -> bool:
    return a == b or (a in _NUMERIC and b in _NUMERIC)


def _bad(pos: int, reason: str) -> PredicateError:
    return PredicateError(
        f"row filter is not valid: {reason} at position {pos}",
        [Problem(f"row_filter:{pos}", reason)],
    )


def _check_operand(node: Operand, fields: dict[str, str]) -> None:
    if isinstance(node, FieldRef) and node.name not in fields:
        raise _bad(node.pos, f"unknown field {node.name!r}")
    if isinstance(node, Call):
        if node.field not in fields:
            raise _bad(node.pos, f"unknown field {node.field!r}")
        want = FUNCTIONS[node.func]
        kind = fields[node.field]
        if want == "date" and kind != "date":
            raise _bad(node.pos, f"{node.func}() needs a date field, {node.field!r} is {kind}")
        if want == "postcode" and kind != "string":
            raise _bad(node.pos, f"{node.func}() needs a postcode field, {node.field!r} is {kind}")


def _as_date_literal(node: Literal) -> Literal:
    """:func:`_as_date` for a literal of an ``in`` list."""
    out = _as_date(node)
    assert isinstance(out, Literal)  # a literal stays a literal
    return out


def _as_date(node: Operand) -> Operand:
    """A string literal compared with a date field becomes a date literal (ISO 8601)."""
    if isinstance(node, Literal) and isinstance(node.value, str):
        try:
            return Literal(date.fromisoformat(node.value), pos=node.pos)
        except ValueError:
            raise _bad(node.pos, "a date must be written 'YYYY-MM-DD'") from None
    return node


def check(pred: Predicate, fields: dict[str, str]) -> Predicate:
    """Type the tree against ``fields`` (name -> Table Schema type); return it with date
    literals resolved, or raise :class:`PredicateError` naming the position."""
    if isinstance(pred, And):
        return And(tuple(check(p, fields) for p in pred.items))
    if isinstance(pred, Or):
        return Or(tuple(check(p, fields) for p in pred.items))
    if isinstance(pred, Not):
        return Not(check(pred.item, fields))
    if isinstance(pred, Truth):
        if isinstance(pred.operand, Literal):
            return pred
        _check_operand(pred.operand, fields)
        if fields[pred.operand.name] != "boolean":
            raise _bad(pred.pos, f"{pred.operand.name!r} is not boolean; compare it with a value")
        return pred
    if isinstance(pred, Compare):
        left, right = pred.left, pred.right
        _check_operand(left, fields)
        _check_operand(right, fields)
        if isinstance(left, Literal) and isinstance(right, Literal):
            raise _bad(pred.pos, "a comparison must involve a field, function or recipient")
        lt, rt = operand_type(left, fields), operand_type(right, fields)
        if lt == "date":
            right, rt = _as_date(right), operand_type(_as_date(right), fields)
        if rt == "date":
            left, lt = _as_date(left), operand_type(_as_date(left), fields)
        if not _compatible(lt, rt):
            raise _bad(pred.pos, f"cannot compare {lt} with {rt}")
        if lt == "boolean" and pred.op not in {"==", "!="}:
            raise _bad(pred.pos, "booleans can only be compared with == or !=")
        return Compare(pred.op, left, right, pos=pred.pos)
    # InList
    _check_operand(pred.operand, fields)
    if isinstance(pred.operand, Literal):
        raise _bad(pred.pos, "'in' needs a field, function or recipient on its left")
    kind = operand_type(pred.operand, fields)
    values = tuple(_as_date_literal(v) if kind == "date" else v for v in pred.values)
    for v in values:
        if not _compatible(kind, operand_type(v, fields)):
            raise _bad(v.pos, f"cannot compare {kind} with {operand_type(v, fields)}")
    return InList(pred.operand, values, pred.negated, pos=pred.pos)


def fields_used(pred: Predicate) -> frozenset[str]:
    """The source fields a predicate reads (directly or through a function)."""
    return frozenset(f for node in operands(pred) for f in _operand_fields(node))


def _operand_fields(node: Operand) -> tuple[str, ...]:
    if isinstance(node, FieldRef):
        return (node.name,)
    if isinstance(node, Call):
        return (node.field,)
    return ()


def operands(pred: Predicate) -> list[Operand]:
    """Every operand in the tree, in source order."""
    if isinstance(pred, And | Or):
        return [o for p in pred.items for o in operands(p)]
    if isinstance(pred, Not):
        return operands(pred.item)
    if isinstance(pred, Truth):
        return [pred.operand]
    if isinstance(pred, Compare):
        return [pred.left, pred.right]
    return [pred.operand, *pred.values]
