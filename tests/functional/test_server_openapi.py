"""The committed OpenAPI document is current, and the API keeps to it (schemathesis)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from accord.server import openapi

COMMITTED = Path(__file__).parents[2] / "docs" / "reference" / "openapi.json"

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis


def test_the_committed_openapi_document_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == openapi.text(), (
        "docs/reference/openapi.json is stale: run "
        "`python -m accord.server.openapi docs/reference/openapi.json`"
    )


def test_every_documented_path_is_under_api_and_documents_its_errors() -> None:
    doc = openapi.document()
    assert all(path.startswith("/api/") for path in doc["paths"])
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert "422" in op["responses"] or method == "get", (path, method)


def test_the_api_keeps_to_its_openapi_document(site: Any) -> None:
    """Bounded and derandomised: a few generated requests per operation, every response
    documented and never a 500."""
    headers = site.bearer("siro@nhs.example")
    api = schemathesis.openapi.from_asgi("/api/openapi.json", site.app)
    checked = []
    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Any) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, response.text
            case.validate_response(response)

        call()
        checked.append(operation.label)
    assert len(checked) == 25
