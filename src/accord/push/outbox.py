"""The filesystem outbox: a folder per recipient that a collector reads by SFTP or a shared drive.

Layout under the outbox root (names with ``:`` and other unsafe characters written ``_``)::

    <outbox>/<recipient>/<name>/manifest.json  extract.parquet ...   (complete deliveries)
    <outbox>/<recipient>/.staging/<name>/                            (being written; skip)

A delivery is copied into ``.staging`` and then renamed into place with one ``os.rename``, the
same atomicity as the deliveries folder (:mod:`accord.engine.delivery`): a collector that lists
``<outbox>/<recipient>/`` and skips names starting with ``.`` sees a whole delivery or none.
Writing the same delivery again leaves the folder already there as it is.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from accord.errors import Problem, PushError
from accord.push.package import delivered_files

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def slug(value: str) -> str:
    return _UNSAFE.sub("_", value)


def place(outbox: Path, recipient: str, name: str) -> Path:
    """Where a delivery called ``name`` lands for ``recipient``."""
    return outbox / slug(recipient) / slug(name)


def write(outbox: Path, recipient: str, name: str, delivery_dir: Path) -> Path:
    """Copy ``delivery_dir``'s delivered files (:func:`~accord.push.package.delivered_files`)
    into the recipient's outbox folder, all or nothing."""
    final = place(outbox, recipient, name)
    if final.is_dir():
        return final
    staging = final.parent / ".staging" / final.name
    try:
        if staging.exists():
            shutil.rmtree(staging)  # a copy cut off earlier: start again
        staging.mkdir(parents=True)
        for path in delivered_files(delivery_dir):
            shutil.copyfile(path, staging / path.name)
        os.rename(staging, final)
    except OSError as exc:
        raise PushError(
            "the delivery could not be written to the outbox",
            [Problem("outbox", f"{type(exc).__name__} writing under {final.parent}")],
        ) from exc
    return final
