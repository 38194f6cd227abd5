"""A delivery folder as one ZIP file: what a MESH message carries.

The archive holds ``manifest.json`` and the files it lists (the extract or delta files), and
nothing else of the folder (the discloser's per-person index, ``persons.parquet``, never leaves
the instance), at the top level, in name order, stored uncompressed (Parquet is already compressed;
MESH compresses in transit) and dated 1980-01-01, so the same delivery always gives the same
bytes and hash. It is written beside its final name and renamed into place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

_EPOCH = (1980, 1, 1, 0, 0, 0)
_BLOCK = 1 << 20


MANIFEST = "manifest.json"


def delivered_files(delivery_dir: Path) -> list[Path]:
    """What a recipient receives of a delivery folder: its manifest and the files it lists."""
    manifest = delivery_dir / MANIFEST
    listed = json.loads(manifest.read_bytes())["files"]
    return sorted([manifest, *(delivery_dir / name for name in listed)])


def write_package(delivery_dir: Path, dest: Path) -> str:
    """Write ``delivery_dir``'s delivered files to the ZIP ``dest``; return its SHA-256."""
    files = delivered_files(delivery_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.name, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as out:
                shutil.copyfileobj(src, out, _BLOCK)
    os.replace(tmp, dest)
    return file_sha256(dest)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
