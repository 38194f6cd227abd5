"""Delta Sharing profiles in a real browser: a recipient's SIRO issues a profile to its service
from the web app, the real ``delta-sharing`` client uses it, the SIRO revokes it and the client
is refused; the discloser reads the agreement's access record. axe-core checks every page on
the way (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import delta_sharing
import pytest
from requests.exceptions import HTTPError

from accord.model import example_agreement
from accord.service import agreements as agreement_service
from accord.service import users

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # the browser conftest's
SERVICE = "svc@greenwich.example"


def test_a_siro_issues_and_revokes_a_profile_in_the_browser(
    server: Any, browser: Any, tmp_path: Path
) -> None:
    ws = server.ws
    agreement = example_agreement()
    agreement_service.create(ws, agreement, actor="req@nhse.example")
    for state in ("in_review", "approved", "active"):
        agreement_service.transition(ws, agreement.id, state, actor="tests")
    users.add_user(
        ws, SERVICE, "Council pipeline", "gss:E09000011", ["recipient_service"], PASSWORD
    )
    b = browser
    page = b.page

    b.sign_in("siro@greenwich.example")
    page.get_by_role("link", name="Sharing profiles").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.get_by_text(f"No profile has been issued to {SERVICE} yet.").is_visible()
    page.fill("#days", "7")
    page.get_by_role("button", name="Issue profile").click()
    page.wait_for_load_state()
    b.check_accessibility()
    b.shot("sharing-profile-issued")
    profile = json.loads(page.locator("#issued-profile").inner_text())
    assert profile["endpoint"] == server.base + "/delta-sharing"
    file = tmp_path / "greenwich.share"
    file.write_text(json.dumps(profile))
    shares = delta_sharing.SharingClient(str(file)).list_shares()
    assert [s.name for s in shares] == [agreement.id.replace(":", "_")]

    # Back on the list, the profile is in use; revoking it stops the client at once.
    b.visit("/sharing/profiles")
    assert page.get_by_role("cell", name="in use").count() == 1
    page.get_by_role("button", name="Revoke").click()
    page.wait_for_load_state()
    b.check_accessibility()
    assert page.get_by_role("cell", name="revoked").count() == 1
    with pytest.raises(HTTPError) as caught:
        delta_sharing.SharingClient(str(file)).list_shares()
    assert caught.value.response.status_code == 401

    # The discloser's SIRO reads the agreement's access record, per recipient.
    b.sign_in("siro@nhse.example")
    b.visit("/agreements/" + agreement.id + "/accesses")
    assert page.get_by_role("table", name="Per recipient").is_visible()
    assert page.get_by_text("No recipient has read anything by Delta Sharing yet.").is_visible()
