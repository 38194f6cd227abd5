"""Pseudonym keys per recipient, and HMAC-SHA256 in DuckDB SQL equal to Python's hmac."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.engine.backends.duckdb_sql import output_sql
from accord.engine.plan import OutputColumn, Pseudonymise
from accord.engine.pseudonym import derive_key, hmac_pads, pseudonym

SECRET = b"0123456789abcdef0123456789abcdef"


def test_keys_differ_per_recipient_and_per_agreement() -> None:
    a = derive_key(SECRET, agreement_id="urn:accord:a", key_id="recipient:gss:E09000011")
    b = derive_key(SECRET, agreement_id="urn:accord:a", key_id="recipient:gss:E06000002")
    c = derive_key(SECRET, agreement_id="urn:accord:b", key_id="recipient:gss:E09000011")
    assert len({a, b, c}) == 3
    assert pseudonym(a, "9990000018") != pseudonym(b, "9990000018")
    assert a == derive_key(SECRET, agreement_id="urn:accord:a", key_id="recipient:gss:E09000011")


def test_pseudonym_is_rfc2104_hmac_sha256() -> None:
    key = derive_key(SECRET, agreement_id="urn:accord:a", key_id="agreement")
    assert pseudonym(key, "x") == hmac.new(key, b"x", hashlib.sha256).hexdigest()


@settings(derandomize=True, max_examples=40, deadline=None)  # DuckDB start-up varies under load
@given(
    values=st.lists(st.text(max_size=30), min_size=1, max_size=10),
    key=st.binary(min_size=1, max_size=100),
)
def test_hmac_in_sql_equals_python_hmac(values: list[str], key: bytes) -> None:
    inner, outer = hmac_pads(key)
    col = OutputColumn("v", "v", Pseudonymise("v", "k"), "string")
    con = duckdb.connect()
    try:
        con.register("t", pa.table({"i": list(range(len(values))), "v": values}))
        con.register("k", pa.table({"ip": [inner], "op": [outer]}))
        got = con.sql(f"SELECT {output_sql(col, ('k.ip', 'k.op'))} FROM t, k ORDER BY i").fetchall()
    finally:
        con.close()
    assert [g[0] for g in got] == [
        hmac.new(key, v.encode(), hashlib.sha256).hexdigest() for v in values
    ]
