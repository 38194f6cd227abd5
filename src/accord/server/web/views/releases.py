"""Release review pages: the aggregate tables waiting for two independent approvals, and one
table with its cells, its suppression report and approve / reject buttons.

The POST checks the CSRF token and calls :func:`accord.service.releases.review`, which decides
who may review (never the requester, never twice, only a discloser's reviewers); a refusal is
shown in an error summary naming what is wrong.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.errors import InputError, NotPermitted
from accord.server import auth
from accord.server.negotiation import render, wants_json
from accord.service import releases
from accord.service.users import User
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)


# The table's marker columns, shown in words in its cells rather than as columns of their own.
FLAGS = frozenset({"count", "suppressed", "is_total", "partial"})


def _cells(row: dict[str, Any], groups: list[str]) -> list[str]:
    """One row as a reviewer reads it: the group values ("Total" where a total runs over a
    group) and the count, "suppressed", or the count marked partial when it was recomputed
    from the published cells alone."""
    total = bool(row.get("is_total"))
    values = [("Total" if total else "") if row.get(g) is None else str(row[g]) for g in groups]
    if row.get("suppressed"):
        count = "suppressed"
    else:
        count = str(row.get("count", "")) + (" (partial)" if row.get("partial") else "")
    return [*values, count]


def _href(delivery_id: str) -> str:
    return "/releases/" + quote(delivery_id, safe="/")


@router.get("/releases")
def releases_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    found = releases.visible_releases(ws, user, state=None)
    items = [{**r.as_dict(), "href": _href(r.delivery_id)} for r in found]
    context = {
        "title": "Aggregate tables for release",
        "pending": [r for r in items if r["state"] == "pending"],
        "decided": [r for r in items if r["state"] != "pending"],
    }
    return render(request, "releases.html", context)


def _context(
    ws: Workspace, user: User, delivery_id: str, problems: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    view = releases.show_for(ws, user, delivery_id)
    data = view.as_dict()
    groups = [c for c in view.columns if c not in FLAGS]
    return {
        "title": f"Review table {view.release.flow_id}",
        "release": data,
        "headings": [*groups, "count"],
        "cells": [_cells(row, groups) for row in view.rows],
        "action": _href(delivery_id),
        "problems": problems or [],
    }


@router.get("/releases/{delivery_id:path}")
def release_page(request: Request, user: auth.StaffUser, delivery_id: str) -> Response:
    ws = auth.workspace(request)
    return render(request, "release.html", _context(ws, user, delivery_id))


@router.post("/releases/{delivery_id:path}")
def review(
    request: Request,
    user: auth.StaffUser,
    delivery_id: str,
    decision: str = Form(""),
    note: str = Form(""),
    csrf_token: str = Form(""),
) -> Response:
    auth.check_csrf(request, csrf_token)
    ws = auth.workspace(request)
    releases.show_for(ws, user, delivery_id)  # "not found" unless the user may see it
    try:
        releases.review(ws, delivery_id, user, decision, note.strip() or None)
    except (InputError, NotPermitted) as exc:
        if wants_json(request):
            raise
        problems: list[dict[str, Any]] = [
            {"field": p.where, "where": "", "reason": p.reason} for p in exc.problems
        ]
        problems.insert(0, {"field": None, "where": "", "reason": exc.message})
        context = _context(ws, user, delivery_id, problems)
        return render(request, "release.html", context, status_code=exc.http_status)
    return RedirectResponse(_href(delivery_id), status_code=303)
