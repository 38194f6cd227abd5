"""The MESH package: the manifest and the files it lists, nothing else of the folder (never the
discloser's per-person index), the same bytes for the same delivery."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from accord.push.package import file_sha256, write_package


def file_sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


NAMES = st.sampled_from(["extract.parquet", "additions.parquet", "removals.csv"])


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(NAMES, st.binary(max_size=2048), min_size=1))
def test_same_files_same_bytes_and_every_file_inside(tmp_path_factory, files) -> None:
    base = tmp_path_factory.mktemp("pkg")
    a, b = base / "a", base / "b"
    manifest = json.dumps({"files": {n: file_sha(v) for n, v in files.items()}}).encode()
    for folder, order in ((a, sorted(files)), (b, sorted(files, reverse=True))):
        folder.mkdir()
        for name in order:  # written in another order: the package does not care
            (folder / name).write_bytes(files[name])
        (folder / "manifest.json").write_bytes(manifest)
        (folder / "persons.parquet").write_bytes(b"the discloser's own index")
    files = {**files, "manifest.json": manifest}
    sha_a = write_package(a, base / "a.zip")
    sha_b = write_package(b, base / "b.zip")
    assert sha_a == sha_b == file_sha256(base / "a.zip")
    with zipfile.ZipFile(base / "a.zip") as zf:
        assert zf.namelist() == sorted(files)
        assert {n: zf.read(n) for n in zf.namelist()} == files
    assert not any(p.name.startswith(".") for p in Path(base).iterdir())
