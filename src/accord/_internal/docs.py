"""Generate the reference pages under ``docs/reference/`` from the code, and check them.

Every page is built from something a test or the program itself already uses: the Typer app
(``cli.md``), the law registry (``gateways.md``), the playbook (``templates.md``), the agreement's
JSON Schema (``agreement-fields.md``) and the row-filter parser (``row-filter-language.md``).
``docs/reference/openapi.json`` is written by :mod:`accord.server.openapi`, not here.

Regenerate from the project root::

    python -m accord._internal.docs          # write the pages
    python -m accord._internal.docs --check  # exit 1, naming each stale page

>>> pages = generate(Path("."))
>>> sorted(p.name for p in pages)[:2]
['agreement-fields.md', 'cli.md']
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import typer

REFERENCE = Path("docs") / "reference"
COMMAND = "python -m accord._internal.docs"
HELP_WIDTH = 100
"""Help text is wrapped at this width whatever the terminal, so the page is the same anywhere."""


def _header(title: str, source: str) -> str:
    return f"# {title}\n\n<!-- Generated from {source} by `{COMMAND}`. Do not edit by hand. -->\n\n"


def _cell(value: object) -> str:
    """Text safe inside one Markdown table cell."""
    text = " ".join(str(value).split())
    return text.replace("|", "\\|") if text else "—"


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# -- cli.md ------------------------------------------------------------------------------------


def _commands(command: Any, path: list[str], parent: Any) -> Iterator[tuple[list[str], Any, Any]]:
    # Typer ships its own copy of click, so the context class is taken from the command.
    ctx = command.context_class(
        command,
        info_name=path[-1],
        parent=parent,
        terminal_width=HELP_WIDTH,
        max_content_width=HELP_WIDTH,
    )
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _commands(sub, [*path, name], ctx)


def _plain(command: Any) -> None:
    """Typer renders help with Rich at the terminal's width; ask it for click's plain text."""
    if hasattr(command, "rich_markup_mode"):
        command.rich_markup_mode = None


def cli_reference() -> str:
    from accord.cli import app

    out = [_header("Command-line reference", "`accord.cli.app`")]
    out.append(
        "Every `accord` command and its `--help` text. Settings come from two environment "
        "variables: `ACCORD_HOME` (the workspace folder, default `./accord-workspace`) and "
        "`ACCORD_DATABASE_URL` (a PostgreSQL URL instead of the workspace's SQLite file).\n\n"
        "Exit codes: 0 success; 1 the agreement is not permitted as it stands (`accord check` "
        "found a blocking finding); 2 bad input; 3 not found; 4 not permitted; 5 a clause the "
        "backend cannot enforce; 6 verification failed; 7 a dispute step is invalid; 8 the "
        "workspace or settings are unusable; 9 the disk is full; 10 the database went away "
        "(nothing was saved: retry); 11 a push could not be sent (it stays queued and is "
        "tried again); 70 an internal error in "
        "accord (a defect: please report it; never 1); 130 interrupted. An error changes "
        "nothing already stored, and no message quotes a row value.\n"
    )
    root = typer.main.get_command(app)
    for path, command, ctx in _commands(root, ["accord"], None):
        _plain(command)
        name = " ".join(path)
        out.append(f"\n## `{name}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(out)


# -- gateways.md -------------------------------------------------------------------------------


def _requirement(req: Any) -> str:
    parts: list[str] = []
    if req.public_authority is not None:
        parts.append("public authority" if req.public_authority else "not a public authority")
    if req.org_types:
        parts.append("org type " + ", ".join(t.value for t in req.org_types))
    if req.cca_categories:
        parts.append("CCA " + ", ".join(c.value for c in req.cca_categories))
    return "; ".join(parts)


def _users(users: Any) -> str:
    parts = []
    for label, req in (
        ("disclosers", users.disclosers),
        ("recipients", users.recipients),
        ("a controller", users.some_controller),
    ):
        said = _requirement(req) if req is not None else ""
        if said:
            parts.append(f"{label}: {said}")
    return "; ".join(parts) or "anyone"


def gateways_reference() -> str:
    from accord.law import default_registry

    gateways = sorted(default_registry().gateways, key=lambda g: g.id)
    out = [_header("Legal gateways", "`accord.law.default_registry()`")]
    out.append(
        f"The {len(gateways)} legal gateways accord knows, one YAML file each in "
        "`src/accord/law/gateways/`. An agreement names them in `legal_basis.gateways`. "
        "*Who may use it* lists the constraints on each party (all given must hold). *NDOO* "
        "and *Type 1* say whether the national data opt-out and Type 1 opt-outs apply to a "
        "flow under the gateway. *Confidence*: V checked against the source, P partly "
        "checked, GK general knowledge (unverified), D accord's design.\n\n"
        "To add one, see [Add a legal gateway](../how-to/add-a-legal-gateway.md).\n\n"
    )
    rows = [
        (
            f"`{g.id}`",
            g.title,
            g.kind,
            g.citation,
            " ".join(g.source_urls),
            _users(g.users),
            g.ndoo,
            g.type1,
            g.confidence,
        )
        for g in gateways
    ]
    head = ("id", "title", "kind", "citation", "source", "who may use it", "NDOO", "Type 1")
    out.append(_table((*head, "confidence"), rows))
    out.append("\n## Purposes and preconditions\n\n")
    details = [
        (
            f"`{g.id}`",
            ", ".join(p.value for p in g.purposes) if g.purposes else "any",
            ", ".join(f"`{p.check}`" for p in g.preconditions),
            "yes" if g.lifts_confidentiality else "no",
            "yes" if g.covers_health_data else "no",
            " to ".join(str(d) for d in (g.in_force_from, g.in_force_until) if d is not None),
        )
        for g in gateways
    ]
    out.append(
        _table(
            (
                "id",
                "purposes",
                "precondition checks",
                "lifts confidentiality",
                "health data",
                "in force",
            ),
            details,
        )
    )
    out.append(_objectives_reference())
    return "".join(out)


def _objectives_reference() -> str:
    """The DEA Part 5 objectives and who may use each (``data/dea_objectives.yaml``)."""
    from accord.law import default_registry

    objectives = default_registry().dea_objectives
    out = [
        "\n## DEA 2017 Part 5 objectives\n\n",
        "An agreement under a DEA gateway names one in `legal_basis.dea_objective`. Each public "
        "service delivery objective admits the persons at the paragraphs of DEA Schedule 4 the "
        "regulations list for it; *recognised bodies* are those accord can match to a party "
        "(any other party is refused). Without a list, the party's `dea_specified_person` is "
        "relied on.\n\n",
    ]
    rows = [
        (
            f"`{o.id}`",
            o.title,
            f"`{o.gateway}`",
            o.paragraphs_text or "not recorded",
            "; ".join(f"{p.paragraph}: {p.title}" for p in o.specified_persons or ()),
            o.citation,
            " ".join(o.source_urls),
            o.confidence,
        )
        for o in objectives
    ]
    head = ("id", "objective", "gateway", "Sch 4 paragraphs", "recognised bodies", "citation")
    out.append(_table((*head, "source", "confidence"), rows))
    return "".join(out)


# -- templates.md ------------------------------------------------------------------------------


def _party_rule(rule: Any) -> str:
    if rule is None:
        return ""
    data = rule.model_dump(exclude_none=True, mode="json")
    return "; ".join(
        f"{k.replace('_', ' ')} {', '.join(map(str, v)) if isinstance(v, list) else v}"
        for k, v in data.items()
    )


def templates_reference() -> str:
    from accord.playbook import list_templates

    templates = list_templates()
    out = [_header("Agreement templates", "`accord.playbook.list_templates()`")]
    out.append(
        f"The {len(templates)} pre-approved templates in `src/accord/playbook/templates/`. "
        "Make an agreement from one with `accord template new ID ...` (see the "
        "[first agreement tutorial](../tutorials/first-agreement.md)).\n\n"
    )
    rows = [
        (
            f"`{t.id}`",
            t.scenario,
            t.mode.value,
            t.version,
            t.title,
            ", ".join(f"`{g}`" for g in sorted(t.gateways)),
        )
        for t in templates
    ]
    out.append(_table(("id", "scenario", "mode", "version", "title", "gateways"), rows))
    for t in templates:
        out.append(f"\n## `{t.id}`\n\n{' '.join(t.description.split())}\n\n")
        parties = [
            ("discloser", _party_rule(t.parties.discloser)),
            ("recipients", _party_rule(t.parties.recipients)),
            ("processor", _party_rule(getattr(t.parties, "processor", None)) or "none"),
        ]
        out.append(_table(("party", "who it may be"), parties))
        if t.required_overrides:
            needs = ", ".join(f"`{o}`" for o in t.required_overrides)
            out.append(f"\nFacts to give with `--set path=value`: {needs}.\n")
    return "".join(out)


# -- agreement-fields.md -----------------------------------------------------------------------


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema or "oneOf" in schema:
        options = schema.get("anyOf") or schema.get("oneOf") or []
        return " or ".join(_type(o) for o in options)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _constraints(schema: dict[str, Any]) -> str:
    parts = []
    for key in ("enum", "const"):
        if key in schema:
            values = schema[key] if key == "enum" else [schema[key]]
            parts.append("one of " + ", ".join(f"`{v}`" for v in values))
    if schema.get("minLength") == 1:
        parts.append("not empty")
    elif "minLength" in schema:
        parts.append(f"at least {schema['minLength']} characters")
    if schema.get("minItems") == 1:
        parts.append("at least one")
    elif "minItems" in schema:
        parts.append(f"at least {schema['minItems']} items")
    for key, label in (
        ("maxLength", "at most {} characters"),
        ("maxItems", "at most {} items"),
        ("minimum", "at least {}"),
        ("maximum", "at most {}"),
        ("pattern", "matches `{}`"),
    ):
        if key in schema:
            parts.append(label.format(schema[key]))
    for option in schema.get("anyOf", []):
        said = _constraints(option)
        if said:
            parts.append(said)
    return "; ".join(parts)


def _fields_table(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = []
    for name, prop in sorted(schema.get("properties", {}).items()):
        default = f"`{json.dumps(prop['default'])}`" if "default" in prop else ""
        rows.append(
            (
                f"`{name}`",
                _type(prop),
                "yes" if name in required else "no",
                default,
                _constraints(prop),
                prop.get("description", ""),
            )
        )
    return _table(("field", "type", "required", "default", "allowed values", "description"), rows)


def agreement_fields_reference() -> str:
    from accord.model.schema import agreement_json_schema

    schema = agreement_json_schema()
    defs: dict[str, Any] = schema.get("$defs", {})
    out = [_header("Agreement fields", "`accord.model.schema.agreement_json_schema()`")]
    out.append(
        "Every field of an agreement document, from the JSON Schema that "
        "`accord agreement schema` prints (committed as `schemas/agreement.schema.json`). "
        "An agreement is YAML or JSON; `accord agreement validate FILE` checks one and names "
        "each problem by its field path. Types link to their own section below.\n\n"
        "## Agreement\n\n"
    )
    out.append(_fields_table(schema))
    objects = {k: v for k, v in sorted(defs.items()) if "properties" in v}
    enums = {k: v for k, v in sorted(defs.items()) if "enum" in v}
    for name, sub in objects.items():
        out.append(f"\n## {name}\n\n")
        if sub.get("description"):
            out.append(" ".join(sub["description"].split()) + "\n\n")
        out.append(_fields_table(sub))
    out.append("\n## Lists of allowed values\n\n")
    out.append(
        _table(
            ("name", "values"),
            [
                (f'<a id="{k.lower()}"></a>{k}', ", ".join(f"`{v}`" for v in e["enum"]))
                for k, e in enums.items()
            ],
        )
    )
    return "".join(out)


# -- row-filter-language.md --------------------------------------------------------------------


def rst_to_markdown(text: str) -> str:
    """Turn a docstring's ``::`` literal blocks and ``>>>`` examples into fenced code."""
    out: list[str] = []
    lines = text.strip("\n").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.rstrip().endswith("::"):
            head = line.rstrip()
            out.append(_inline(head[:-3] if head.endswith(" ::") else head[:-1]))
            block: list[str] = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
                block.append(lines[i][4:])
                i += 1
            while block and not block[-1].strip():
                block.pop()
            while block and not block[0].strip():
                block.pop(0)
            out += ["", "```text", *block, "```", ""]
            continue
        if line.startswith(">>>"):
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += ["```pycon", *block, "```"]
            continue
        out.append(_inline(line))
        i += 1
    return "\n".join(out)


def _inline(line: str) -> str:
    """RST inline markup to Markdown: ``code`` and :role:`~target` become `code`."""
    line = re.sub(r":[a-z]+:`~?(?:[\w.]*\.)?(\w+)`", r"`\1`", line)
    return re.sub(r"``([^`]+)``", r"`\1`", line)


def row_filter_reference() -> str:
    from accord.model import predicate

    out = [_header("Row-filter language", "`accord.model.predicate`")]
    out.append(
        "A flow's `row_filter` decides which rows its recipient gets. This page is the "
        "parser's own documentation; [Write a row filter](../how-to/write-a-row-filter.md) "
        "shows how to use it.\n\n"
    )
    out.append(rst_to_markdown(predicate.__doc__ or "") + "\n")
    out.append("\n## Functions\n\n")
    meaning = {
        "utla": "the upper-tier local authority (county or unitary) GSS code of the postcode",
        "lad": "the local authority district GSS code of the postcode",
        "lsoa": "the 2021 Lower Layer Super Output Area code of the postcode",
        "age": "age in whole years on the date of the run",
    }
    out.append(
        _table(
            ("function", "takes a field of kind", "gives"),
            [
                (f"`{f}(field)`", kind, meaning.get(f, ""))
                for f, kind in sorted(predicate.FUNCTIONS.items())
            ],
        )
    )
    out.append("\n## Recipient attributes\n\n")
    out.append(
        _table(
            ("attribute", "value"),
            [
                (f"`recipient.{a}`", _RECIPIENT.get(a, ""))
                for a in sorted(predicate.RECIPIENT_ATTRS)
            ],
        )
    )
    out.append(
        "\n## Comparisons\n\n"
        + ", ".join(f"`{c}`" for c in predicate.COMPARISONS)
        + ", and `in (...)` / `not in (...)` with a list of literals.\n"
    )
    return "".join(out)


_RECIPIENT = {
    "code": "the code part of the recipient's organisation id (`E09000011` of `gss:E09000011`)",
    "gss": "the code when the recipient's id is `gss:...`; otherwise unknown",
    "ods": "the code when the recipient's id is `ods:...`; otherwise unknown",
    "org_id": "the whole organisation id, such as `gss:E09000011`",
}


# -- the entry point ---------------------------------------------------------------------------

PAGES = {
    "cli.md": cli_reference,
    "gateways.md": gateways_reference,
    "templates.md": templates_reference,
    "agreement-fields.md": agreement_fields_reference,
    "row-filter-language.md": row_filter_reference,
}


def generate(root: Path) -> dict[Path, str]:
    """Every generated reference page under ``root``, by path, with the text it should hold."""
    return {root / REFERENCE / name: build() for name, build in PAGES.items()}


def stale(root: Path) -> list[Path]:
    """The generated pages that are missing or differ from what :func:`generate` makes."""
    found = []
    for path, text in generate(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            found.append(path)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any page is stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="the project folder")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale(args.root)
        for path in bad:
            print(f"stale: {path}", file=sys.stderr)
        if bad:
            print(f"Regenerate with: {COMMAND}", file=sys.stderr)
        return 1 if bad else 0
    for path, text in generate(args.root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
