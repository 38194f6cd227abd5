"""The commands in the docs are real: the tutorial's runnable blocks run, and every `accord`
command written anywhere in docs/ names a real command with real options.

A fenced block whose info string is ``sh run`` is run, line by line, in a temporary folder
through ``accord.cli.main`` in process, with the clock fixed a year from today: the tutorial and
the README's tour carry ``--at`` on every dated command, so they work on any day.
Other ``sh`` blocks are only checked against the command-line interface.
"""

from __future__ import annotations

import re
import shlex
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer

from accord.cli import app, main
from accord.clock import FixedClock, SystemClock

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorials" / "first-agreement.md"
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of every fenced block."""
    return [(m["info"].strip(), m["body"]) for m in FENCE.finditer(text)]


def commands(body: str) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments and blanks dropped."""
    out: list[str] = []
    pending = ""
    for line in body.splitlines():
        line = line.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line and not line.startswith("#"):
            out.append(line)
    return out


def accord_argvs(body: str) -> list[list[str]]:
    """Each `accord ...` command of a block (after `VAR=value` prefixes), split by `&&`."""
    found = []
    for command in commands(body):
        for part in command.split("&&"):
            words = shlex.split(part.split(" #")[0])
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]
            if words and words[0] == "accord":
                found.append(words[1:])
    return found


def test_the_tutorial_has_runnable_blocks_of_accord_commands_only() -> None:
    runnable = [body for info, body in blocks(TUTORIAL.read_text("utf-8")) if info == "sh run"]
    assert len(runnable) >= 8
    for body in runnable:
        for command in commands(body):
            assert command.startswith("accord "), f"not an accord command: {command}"


def test_first_agreement_tutorial_runs_as_written_a_year_from_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Followed on any day, the tutorial completes: here with the clock a year from today."""
    # The tutorial's setup block: a folder holding a copy of examples/.
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    clock = FixedClock(SystemClock().now() + timedelta(days=365))
    outputs = []
    for info, body in blocks(TUTORIAL.read_text("utf-8")):
        if info != "sh run":
            continue
        for argv in accord_argvs(body):
            if "--at" in _options(_resolve(argv)[0]):
                assert "--at" in argv, f"accord {' '.join(argv)}: a dated command without --at"
            code = main(argv, {}, clock=clock)
            out = capsys.readouterr()
            assert code == 0, f"accord {' '.join(argv)} exited {code}:\n{out.out}\n{out.err}"
            outputs.append((argv, out.out))
    said = {" ".join(argv[:2]): text for argv, text in outputs}
    assert "154 flows" in said["template new"]
    assert "0 blocking" in said["check spl.yaml"]
    assert "as draft" in said["agreement create"]
    assert "Deliveries" in said["run urn:accord:agreement:s1_shielded_patient_list:inc-2026-001"]
    assert said["verify ledger-export"].startswith("OK: ")
    extracts = list((tmp_path / "accord-workspace" / "deliveries").rglob("extract.parquet"))
    assert len(extracts) > 100  # most of the 153 councils, and the letters processor


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("-"))
    return names


def _resolve(argv: list[str]) -> tuple[Any, list[str]]:
    command = typer.main.get_command(app)
    ctx = command.context_class(command, info_name="accord")
    rest = list(argv)
    while rest and hasattr(command, "get_command"):
        sub = command.get_command(ctx, rest[0])
        if sub is None:
            break
        command, rest = sub, rest[1:]
        ctx = command.context_class(command, info_name=rest[0] if rest else "", parent=ctx)
    return command, rest


def documented_commands() -> list[tuple[str, list[str]]]:
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        if page.parent.name == "reference":
            continue
        for info, body in blocks(page.read_text("utf-8")):
            if info.split(" ")[0] in {"sh", "bash", "console"}:
                found += [(page.relative_to(DOCS).as_posix(), argv) for argv in accord_argvs(body)]
    return found


def test_the_docs_show_accord_commands() -> None:
    pages = {page for page, _ in documented_commands()}
    assert "how-to/raise-and-decide-a-dispute.md" in pages
    assert "tutorials/first-exercise.md" in pages


@pytest.mark.parametrize(
    ("page", "argv"), documented_commands(), ids=lambda v: v if isinstance(v, str) else None
)
def test_documented_command_exists_with_its_options(page: str, argv: list[str]) -> None:
    command, rest = _resolve(argv)
    assert not hasattr(command, "get_command") or not rest or rest[0].startswith("-"), (
        f"{page}: `accord {' '.join(argv)}`: no command {rest[0]!r}"
    )
    known = _options(command)
    for word in rest:
        if word.startswith("--"):
            assert word.split("=")[0] in known, (
                f"{page}: `accord {' '.join(argv)}`: no option {word} (known: {sorted(known)})"
            )


README = ROOT / "README.md"


def tour_blocks() -> list[str]:
    """The runnable (``sh run``) blocks of the README's "A short tour" section."""
    text = README.read_text("utf-8")
    section = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    return [body for info, body in blocks(section) if info == "sh run"]


def test_the_readme_tour_runs_as_written_a_year_from_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pasted on any day, the tour completes: here with the clock a year from today."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    clock = FixedClock(SystemClock().now() + timedelta(days=365))
    argvs = [argv for body in tour_blocks() for argv in accord_argvs(body)]
    assert [a[:2] for a in argvs][:3] == [["init"], ["template", "list"], ["template", "new"]]
    said = {}
    for argv in argvs:
        if "--at" in _options(_resolve(argv)[0]):
            assert "--at" in argv, f"accord {' '.join(argv)}: a dated command without --at"
        code = main(argv, {}, clock=clock)
        out = capsys.readouterr()
        assert code == 0, f"accord {' '.join(argv)} exited {code}:\n{out.out}\n{out.err}"
        said[" ".join(argv[:2])] = out.out
    assert "0 blocking" in said["check spl.yaml"]
    assert "is now active" in " ".join(v for k, v in said.items() if k.startswith("agreement"))
    assert "Deliveries" in said["run urn:accord:agreement:s1_shielded_patient_list:inc-2026-001"]
    assert "tier1" in said["dispute raise"]
    assert said["verify ledger-export"].startswith("OK: ")


@pytest.mark.parametrize("example", sorted(p.name for p in (ROOT / "examples").glob("s*.yaml")))
def test_checking_an_example_on_any_day_passes_or_names_its_day_in_one_line(
    example: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ROOT / "examples" / example
    clock = FixedClock(SystemClock().now() + timedelta(days=365))
    code = main(["check", str(path)], {}, clock=clock)
    out = capsys.readouterr().out
    if code == 0:
        return
    assert code == 1
    (hint,) = [line for line in out.splitlines() if "--at" in line]
    assert hint.startswith(f"{path} is written for 2026-03-16")
    assert main(hint.split(": ", 1)[1].split()[1:], {}, clock=clock) == 0
