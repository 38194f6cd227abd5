"""An agreement's hash survives a release of accord that adds optional fields.

A field at its default is left out of the hashed bytes (:mod:`accord.model.canonical`), so the
hash holds only while no default changes: ``hash_defaults.json`` pins every default of every
model an agreement is made of. A new optional field is added to that file (run this module as a
script to rewrite it); a changed or removed default fails here, because stored, signed documents
that leave the field out would change meaning under the same hash.
"""

from __future__ import annotations

import json
import sys
import typing
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, create_model

from accord.engine import compile_plan
from accord.model import Agreement, agreement_hash, example_agreement
from accord.model.canonical import hashes_of, legacy_agreement_hash

SNAPSHOT = Path(__file__).with_name("hash_defaults.json")


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found.extend(_models(arg))
    return found


def defaults() -> dict[str, str]:
    """``Model.field`` -> the JSON of its default, for every optional field under Agreement."""
    seen: set[type[BaseModel]] = set()
    out: dict[str, str] = {}
    todo: list[type[BaseModel]] = [Agreement]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            todo.extend(_models(field.annotation))
            if field.is_required():
                continue
            value = field.get_default(call_default_factory=True, validated_data={})
            dumped = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
            out[f"{model.__name__}.{name}"] = json.dumps(dumped, sort_keys=True, default=str)
    return dict(sorted(out.items()))


def test_no_released_default_has_changed() -> None:
    pinned: dict[str, str] = json.loads(SNAPSHOT.read_text())
    now = defaults()
    changed = {k: (v, now.get(k)) for k, v in pinned.items() if now.get(k) != v}
    assert not changed, (
        "a default changed or went away; stored agreements that leave the field out would mean"
        f" something else under the same hash. Add a new field instead: {changed}"
    )
    added = sorted(set(now) - set(pinned))
    assert not added, f"new optional fields: pin their defaults (python {__file__}): {added}"


def test_a_new_optional_field_at_its_default_leaves_the_hash_alone() -> None:
    """What a later release adding ``push: str | None = None`` does to a stored agreement."""
    a = example_agreement()
    later = create_model("Agreement", __base__=Agreement, push=(str | None, None))
    upgraded = later.model_validate(a.model_dump(mode="json"))
    assert "push" in upgraded.model_dump()
    assert agreement_hash(upgraded) == agreement_hash(a)
    using_it = later.model_validate({**a.model_dump(mode="json"), "push": "mesh"})
    assert agreement_hash(using_it) != agreement_hash(a)


def test_the_first_scheme_stays_known_for_versions_stored_under_it() -> None:
    a = example_agreement()
    assert legacy_agreement_hash(a) != agreement_hash(a)
    assert hashes_of(a) == {legacy_agreement_hash(a), agreement_hash(a)}


def test_a_plan_carries_the_stored_hash_of_its_version() -> None:
    a = example_agreement()
    legacy = legacy_agreement_hash(a)
    plan = compile_plan(a, effective_date=date(2026, 3, 20), stored_hash=legacy)
    assert plan.agreement_hash == legacy
    assert compile_plan(a, effective_date=date(2026, 3, 20)).agreement_hash == agreement_hash(a)


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(defaults(), indent=1, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {len(defaults())} defaults to {SNAPSHOT.name}\n")
