"""Parsing outside input into validated model parts, with errors that name the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from accord.errors import InputError, Problem

P = TypeVar("P", bound=BaseModel)


def parse_part(cls: type[P], data: P | dict[str, Any], what: str) -> P:
    """``data`` as a ``cls``; raise :class:`InputError` naming each field that is wrong.

    A model validator's message starts with the field it concerns (``ends: ...``); that field
    becomes the problem's place.
    """
    if isinstance(data, cls):
        return data
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            message = str(err["msg"]).removeprefix("Value error, ")
            head, sep, tail = message.partition(": ")
            if not where and sep and " " not in head:
                where, message = head, tail
            problems.append(Problem(where or "(document)", message))
        raise InputError(f"the {what} is not valid; nothing was recorded", problems) from None
