"""Reading agreement documents from YAML or JSON, with every problem named by its field path.

>>> load_agreement_text('{"id": 1}', source="inline.json")
Traceback (most recent call last):
...
accord.errors.AgreementInvalid: inline.json is not a valid agreement (... problems)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from accord.errors import AgreementInvalid, InputError, Problem
from accord.model.agreement import PROBLEMS_ERROR, Agreement


def _path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(document)"


def problems_from(error: ValidationError) -> list[Problem]:
    """One :class:`Problem` per failure, located by dotted field path."""
    out: list[Problem] = []
    for e in error.errors():
        if e["type"] == PROBLEMS_ERROR:  # already located, reasons free to hold any text
            prefix = f"{_path(e['loc'])}." if e["loc"] else ""
            out.extend(Problem(prefix + w, r) for w, r in e.get("ctx", {}).get("problems", ()))
            continue
        msg = e["msg"].removeprefix("Value error, ")
        where = _path(e["loc"])
        if e["type"] == "value_error" and ": " in msg:
            # Cross-field rules report "path: reason; path: reason".
            prefix = f"{where}." if e["loc"] else ""
            for part in msg.split("; "):
                sub, _, reason = part.partition(": ")
                out.append(Problem(prefix + sub, reason))
            continue
        out.append(Problem(where, msg))
    return out


MAX_DEPTH = 32
"""The deepest nesting of lists and mappings an agreement document may have (it needs about 6)."""


def _too_deep(source: str) -> AgreementInvalid:
    return AgreementInvalid(
        f"{source} is nested too deeply",
        [Problem("(document)", f"more than {MAX_DEPTH} levels of lists and mappings")],
    )


def _depth_at_most(data: Any, limit: int) -> bool:
    """Whether ``data`` nests lists and mappings at most ``limit`` deep (without recursion)."""
    todo: list[tuple[Any, int]] = [(data, 1)]
    while todo:
        node, depth = todo.pop()
        if isinstance(node, dict | list | tuple):
            if depth > limit:
                return False
            children = node.values() if isinstance(node, dict) else node
            todo.extend((child, depth + 1) for child in children)
    return True


def parse_agreement(data: Any, *, source: str = "agreement") -> Agreement:
    if not isinstance(data, dict):
        raise AgreementInvalid(
            f"{source} is not a valid agreement",
            [Problem("(document)", "the document must be a mapping of fields")],
        )
    if not _depth_at_most(data, MAX_DEPTH):
        raise _too_deep(source)
    try:
        return Agreement.model_validate(data)
    except (TypeError, RecursionError):
        # A value of a kind no validator expected: a clear error, never a crash.
        raise AgreementInvalid(
            f"{source} is not a valid agreement",
            [Problem("(document)", "a field holds a value of the wrong kind")],
        ) from None
    except ValidationError as exc:
        problems = problems_from(exc)
        raise AgreementInvalid(
            f"{source} is not a valid agreement ({len(problems)} problems)", problems
        ) from None


def load_agreement_text(text: str, *, source: str) -> Agreement:
    try:
        data = json.loads(text) if source.endswith(".json") else yaml.safe_load(text)
    except RecursionError:
        raise _too_deep(source) from None
    except json.JSONDecodeError as exc:
        raise AgreementInvalid(
            f"{source} cannot be read as JSON",
            [Problem(f"line {exc.lineno}, column {exc.colno}", exc.msg)],
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or "not valid YAML"
        raise AgreementInvalid(
            f"{source} cannot be read as YAML", [Problem(where, reason)]
        ) from None
    return parse_agreement(data, source=source)


def load_agreement(path: Path) -> Agreement:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise AgreementInvalid(f"{path} is not UTF-8 text") from None
    return load_agreement_text(text, source=str(path))


def dump_yaml(agreement: Agreement) -> str:
    text: str = yaml.safe_dump(
        agreement.model_dump(mode="json"), sort_keys=False, allow_unicode=True
    )
    return text
