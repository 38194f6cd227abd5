"""Findings: a sequence with blocking view, raise_if_blocking and JSON."""

from __future__ import annotations

import json

import pytest

from accord.errors import NotPermitted
from accord.law import Finding, Findings, Severity

B = Finding("a.b", Severity.blocking, "x.y", "Broken.", "Act s1", "https://example.org/1")
W = Finding("c.d", Severity.warning, "z", "Careful.", "Act s2", "https://example.org/2")


def test_views_and_equality():
    f = Findings([W, B])
    assert f.blocking == [B] and f.warnings == Findings([W])
    assert f.codes == ["c.d", "a.b"]
    assert f[0] is W and f[1:] == [B]
    assert f.by_code("a.b") == [B]
    assert (f + [W]).codes == ["c.d", "a.b", "c.d"]


def test_raise_if_blocking_lists_problems_with_citations():
    assert Findings([W]).raise_if_blocking() == [W]
    with pytest.raises(NotPermitted) as err:
        Findings([W, B]).raise_if_blocking()
    (problem,) = err.value.problems
    assert (problem.where, problem.reason) == ("x.y", "Broken. (Act s1)")


def test_json_has_counts_and_findings_in_order():
    data = json.loads(Findings([W, B]).to_json())
    assert data["counts"] == {"blocking": 1, "warning": 1, "info": 0}
    assert [d["code"] for d in data["findings"]] == ["c.d", "a.b"]
    assert data["findings"][1]["severity"] == "blocking"
    assert data["findings"][1]["source_url"] == "https://example.org/1"


def test_a_finding_without_citation_cannot_exist():
    with pytest.raises(ValueError):
        Finding("a", Severity.info, "f", "m", "", "https://example.org")
