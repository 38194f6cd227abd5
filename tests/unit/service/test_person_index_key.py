"""The person-index key: made on first use, kept, private, and refused when damaged."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from accord.errors import ConfigError
from accord.workspace import PERSON_INDEX_KEY, Workspace


def test_the_key_is_made_once_private_and_kept(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        path = ws.keys_dir / PERSON_INDEX_KEY
        assert not path.exists()  # a workspace made before the index gets one on first use
        key = ws.person_index_key()
        assert len(key) == 32 and ws.person_index_key() == key
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert [p.name for p in ws.keys_dir.iterdir() if p.name.startswith(".")] == []
        assert key != ws.pseudonym_secret()


def test_a_damaged_key_is_refused_not_used(tmp_path: Path) -> None:
    with Workspace.init(tmp_path / "ws") as ws:
        (ws.keys_dir / PERSON_INDEX_KEY).write_bytes(b"")
        with pytest.raises(ConfigError):
            ws.person_index_key()
