"""Who issues and revokes Delta Sharing profiles: a SIRO or IAO of the service's own party."""

from __future__ import annotations

import pytest

from accord.errors import NotFound, NotPermitted
from accord.service import sharing_profiles, users
from accord.workspace import Workspace

PW = "correct horse battery staple"
ENDPOINT = "https://accord.example/delta-sharing"


def test_only_a_siro_or_iao_of_the_services_party_manages_its_profiles(
    sqlite_workspace: Workspace,
) -> None:
    ws = sqlite_workspace
    party = "gss:E09000011"
    svc = users.add_user(ws, "svc@g.example", "Svc", party, ["recipient_service"], PW)
    siro = users.add_user(ws, "siro@g.example", "Siro", party, ["siro"], PW)
    iao = users.add_user(ws, "iao@g.example", "Iao", party, ["iao"], PW)
    dpo = users.add_user(ws, "dpo@g.example", "Dpo", party, ["dpo"], PW)
    other = users.add_user(ws, "siro@m.example", "Other", "gss:E06000002", ["siro"], PW)
    issued, document = sharing_profiles.issue(ws, siro, svc.id, ENDPOINT)
    assert document["bearerToken"] == issued.token and document["endpoint"] == ENDPOINT
    (listed,) = sharing_profiles.services(ws, iao)
    assert listed.service.id == svc.id and [t.id for t in listed.profiles] == [issued.id]
    for refused in (dpo, svc):
        with pytest.raises(NotPermitted):
            sharing_profiles.issue(ws, refused, svc.id, ENDPOINT)
    # Another party's SIRO sees no such service and no such profile.
    assert sharing_profiles.services(ws, other) == []
    with pytest.raises(NotFound):
        sharing_profiles.issue(ws, other, svc.id, ENDPOINT)
    with pytest.raises(NotFound):
        sharing_profiles.revoke(ws, other, issued.id)
    # A person's own API token is not a profile, even of the same party.
    own = users.issue_token(ws, siro, "my script")
    with pytest.raises(NotFound):
        sharing_profiles.revoke(ws, iao, own.id)
    sharing_profiles.revoke(ws, iao, issued.id)
    (after,) = sharing_profiles.services(ws, siro)
    assert after.profiles[0].revoked_at is not None
