"""The exercise report: the after-action report ``accord exercise`` wrote beside the workspace."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from accord.errors import NotFound
from accord.server import auth
from accord.server.headers import REPORT_POLICY
from accord.server.negotiation import render
from accord.workspace import Workspace

router = APIRouter(include_in_schema=False)

REPORT = "after-action-report"


def _report(ws: Workspace, suffix: str) -> Path | None:
    for folder in (ws.reports_dir, ws.root.parent):
        path = folder / f"{REPORT}.{suffix}"
        if path.is_file():
            return path
    return None


@router.get("/exercise")
def exercise_page(request: Request, user: auth.StaffUser) -> Response:
    ws = auth.workspace(request)
    markdown = _report(ws, "md")
    context = {
        "title": "Exercise report",
        "breadcrumbs": [{"text": "Dashboard", "href": "/"}, {"text": "Exercise report"}],
        "available": markdown is not None,
        "report_markdown": markdown.read_text(encoding="utf-8") if markdown else None,
        "html_href": "/exercise/after-action-report.html" if _report(ws, "html") else None,
    }
    return render(request, "exercise.html", context)


@router.get("/exercise/after-action-report.html")
def exercise_report_html(request: Request, user: auth.StaffUser) -> Response:
    path = _report(auth.workspace(request), "html")
    if path is None:
        raise NotFound("no exercise has been run in this workspace")
    # The report is a standalone document: inline CSS, no script.
    return FileResponse(
        path, media_type="text/html", headers={"Content-Security-Policy": REPORT_POLICY}
    )
