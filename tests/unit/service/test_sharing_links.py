"""Delta Sharing file links: a signature covers every part of the link, and the token the link
names is checked as it stands at fetch time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.clock import FixedClock
from accord.errors import NotPermitted
from accord.service import users
from accord.service.sharing_links import Link, UrlSigner, url_secret
from accord.workspace import Workspace

SIGNER = UrlSigner(b"s" * 32)
text = st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=20)
links = st.builds(Link, text, text, text, text, st.integers(1, 10**11))


@settings(max_examples=60, derandomize=True, database=None)
@given(link=links, field=st.sampled_from(Link._fields), other=text)
def test_changing_any_part_of_a_link_breaks_its_signature(
    link: Link, field: str, other: str
) -> None:
    sig = SIGNER.sign(link)
    SIGNER.verify(link, sig, now=0)
    changed = link._replace(**{field: link.expires + 1 if field == "expires" else other})
    if changed == link:
        return
    with pytest.raises(NotPermitted, match="not valid"):
        SIGNER.verify(changed, sig, now=0)


def test_a_link_expires_and_another_secret_does_not_verify_it() -> None:
    link = Link("f", "gss:E09000011", "share", "tok_1", 1_000)
    sig = SIGNER.sign(link)
    with pytest.raises(NotPermitted, match="expired"):
        SIGNER.verify(link, sig, now=1_000)
    with pytest.raises(NotPermitted, match="not valid"):
        UrlSigner(b"t" * 32).verify(link, sig, now=0)


def test_the_secret_is_made_once_and_kept(sqlite_workspace: Workspace) -> None:
    first = url_secret(sqlite_workspace.keys_dir)
    assert len(first) == 32 and url_secret(sqlite_workspace.keys_dir) == first
    mode = (sqlite_workspace.keys_dir / "delta-sharing-url.secret").stat().st_mode & 0o777
    assert mode == 0o600


def test_a_links_token_must_still_stand(sqlite_workspace: Workspace, clock: FixedClock) -> None:
    ws = sqlite_workspace
    svc = users.add_user(
        ws, "svc@x.example", "Svc", "gss:E09000011", ["recipient_service"], "pw" * 8
    )
    issued = users.issue_token(ws, svc, "delta-sharing profile", timedelta(days=1))
    assert users.token_in_force(ws, issued.id).id == svc.id
    with pytest.raises(NotPermitted, match="not valid"):
        users.token_in_force(ws, "tok_unknown")
    clock.advance(timedelta(days=2))
    with pytest.raises(NotPermitted, match="expired"):
        users.token_in_force(ws, issued.id)
    clock.advance(timedelta(days=-2))
    users.revoke_token(ws, issued.id)
    with pytest.raises(NotPermitted, match="revoked"):
        users.token_in_force(ws, issued.id)
