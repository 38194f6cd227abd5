"""Presentation helpers of the web pages: version differences and GOV.UK date text."""

from __future__ import annotations

from accord.server.web.diff import changes
from accord.server.web.filters import govuk_datetime, tag_class, words


def test_changes_lists_each_changed_path_and_ignores_version_bookkeeping() -> None:
    before = {"version": "1.0.0", "title": "A", "flows": [{"id": "f", "projection": ["a"]}]}
    after = {"version": "1.1.0", "title": "A", "flows": [{"id": "f", "projection": ["a", "b"]}]}
    assert changes(before, after) == [
        {"path": "flows.0.projection", "before": '["a"]', "after": '["a", "b"]'}
    ]


def test_dates_words_and_tags() -> None:
    assert govuk_datetime("2026-03-16T09:05:00Z") == "16 March 2026 at 9:05am"
    assert govuk_datetime("2026-03-16T13:00:00+00:00") == "16 March 2026 at 1:00pm"
    assert govuk_datetime("2026-04-13") == "13 April 2026 at 12:00am"
    assert govuk_datetime(None) == ""
    assert words("in_review") == "In review"
    assert tag_class("active") == "govuk-tag--green" and tag_class("???") == "govuk-tag--grey"
