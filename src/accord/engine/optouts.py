"""Opt-out lists: one file per kind (``ndoo``, ``type1``) of NHS numbers, with a list version.

A list is CSV or Parquet with an ``nhs_number`` column and, optionally, a ``list_version`` (or
``version``) column holding one value for the whole file (a list of opted-out people is one
version of the national list) and a ``list_kind`` column that must name the kind it is used as.
Without a version column the version is ``sha256:`` and the first 16 hex digits of the file's
SHA-256, so a changed list always has a new version. NHS numbers are compared after
removing spaces. The list is used only to remove people; it is never copied into a delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from accord.engine.sources import file_sha256, open_source
from accord.errors import Problem, SourceError


@dataclass(frozen=True)
class OptOutList:
    kind: str
    version: str
    numbers: pa.Table  # one column ``nhs_number``, distinct, normalised
    sha256: str

    @property
    def size(self) -> int:
        return int(self.numbers.num_rows)


def read_opt_out_list(kind: str, path: Path) -> OptOutList:
    source = open_source(Path(path))
    names = [n for n, _ in source.columns]
    where = f"opt_out_lists.{kind}"
    if "nhs_number" not in names:
        raise SourceError(
            "the opt-out list has no nhs_number column", [Problem(where, "column is missing")]
        )
    version_col = next((c for c in ("list_version", "version") if c in names), None)
    kind_col = "list_kind" if "list_kind" in names else None
    cols = ["nhs_number", *(c for c in (version_col, kind_col) if c)]
    if source.format == "csv":
        table = pcsv.read_csv(
            source.path,
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in cols}, include_columns=cols
            ),
        )
    else:
        table = pq.read_table(source.path, columns=cols)
    digest = file_sha256(source.path)
    if kind_col is not None:
        kinds = pc.unique(table[kind_col].cast(pa.string())).drop_null().to_pylist()
        if kinds and kinds != [kind]:
            raise SourceError(
                "the opt-out list is of another kind", [Problem(where, f"file holds {kinds}")]
            )
    if version_col is not None:
        versions = pc.unique(table[version_col].cast(pa.string())).drop_null().to_pylist()
        if len(versions) != 1:
            raise SourceError(
                "the opt-out list must carry exactly one version",
                [Problem(where, f"{len(versions)} distinct versions")],
            )
        version = str(versions[0])
    else:
        version = f"sha256:{digest[:16]}"
    numbers = pc.replace_substring(table["nhs_number"].cast(pa.string()), " ", "")
    distinct = pc.unique(numbers.drop_null())
    return OptOutList(kind, version, pa.table({"nhs_number": distinct}), digest)
