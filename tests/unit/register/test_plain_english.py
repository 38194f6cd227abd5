"""Plain-English rendering: what, who, why, which law, how long, what people can do."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

from accord.model import example_agreement
from accord.playbook import instantiate
from accord.playbook.examples import example_inputs
from accord.register.plain_english import duration_words, render_html, render_markdown

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def s1():
    return instantiate(
        "s1_shielded_patient_list", **example_inputs("s1_shielded_patient_list", NOW)
    )


def test_markdown_answers_every_question():
    text = render_markdown(s1())
    for heading in (
        "## What is shared",
        "## Who shares it, and with whom",
        "## Why",
        "## Under which law",
        "## For how long",
        "## What people can do",
    ):
        assert heading in text
    assert "Never shared: clinical group, diagnosis snomed." in text
    assert "Royal Borough of Greenwich receives information that identifies people" in text
    assert "only records of people living in its own area" in text
    assert "Shielding Letters Ltd handle the data only on instructions" in text
    assert "Health Service (Control of Patient Information) Regulations 2002 reg 3(4)" in text
    assert "Kept for 6 months from incident stand-down" in text
    assert "The national data opt-out is not applied" in text
    assert "incident INC-2026-001" in text


def test_routine_research_outputs_say_no_records_leave():
    a = instantiate("s8_sde_research_outputs", **example_inputs("s8_sde_research_outputs", NOW))
    text = render_markdown(a)
    assert "only totals and statistics, never anyone's own record" in text
    assert "emergency agreement" not in text


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.classes: set[str] = set()
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        self.classes.update((d.get("class") or "").split())
        self.srcs += [v for k, v in attrs if k in {"src", "href"} and v]


def test_html_is_self_contained_with_govuk_classes_and_escaped():
    a = example_agreement()
    a = a.model_copy(update={"title": "Shielding <script>alert(1)</script>"})
    page = render_html(a)
    parser = _Collect()
    parser.feed(page)
    assert {
        "govuk-heading-l",
        "govuk-heading-m",
        "govuk-summary-list",
        "govuk-body",
    } <= parser.classes
    assert parser.srcs == []
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert len(re.findall(r'<h2 class="govuk-heading-m">', page)) == 6


def test_duration_words():
    assert duration_words("P6M") == "6 months"
    assert duration_words("P1Y2M") == "1 year and 2 months"
    assert duration_words("PT24H") == "24 hours"
    assert duration_words("weird") == "weird"
