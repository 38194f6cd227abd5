from __future__ import annotations

from datetime import UTC, datetime

import pytest

from accord.disputes.cca import check_request
from accord.errors import InputError
from accord.model.governance import CcaRequest

FULL = {
    "in_writing": True,
    "requester_name": "Water incident desk",
    "requester_address": "1 Reservoir Road",
    "description": "Addresses of residents on dialysis",
    "reason": "Bottled water first during the outage",
    "received_at": datetime(2026, 3, 16, 8, 0, tzinfo=UTC),
}


def test_a_complete_written_request_passes() -> None:
    assert check_request(CcaRequest(**FULL)).requester_name == "Water incident desk"


def test_every_missing_part_is_named() -> None:
    with pytest.raises(InputError) as err:
        check_request(
            CcaRequest(**{**FULL, "in_writing": False, "description": " ", "reason": None})
        )
    assert {p.where for p in err.value.problems} == {
        "cca_request.in_writing",
        "cca_request.description",
        "cca_request.reason",
    }
    with pytest.raises(InputError):
        check_request(None)
