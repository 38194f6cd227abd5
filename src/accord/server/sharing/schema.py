"""An extract's Arrow schema as a Delta ``schemaString`` (Spark SQL's JSON schema).

>>> import pyarrow as pa
>>> delta_type(pa.date32()), delta_type(pa.decimal128(10, 2))
('date', 'decimal(10,2)')
>>> schema_string(pa.schema([pa.field("n", pa.int64(), nullable=False)]))
'{"type":"struct","fields":[{"name":"n","type":"long","nullable":false,"metadata":{}}]}'

A type with no Delta equivalent (unsigned 64-bit integers, nulls, durations...) is refused, so a
recipient never gets a schema that silently misreads a column.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from accord.errors import Problem, UnsupportedClause

_PRIMITIVES: tuple[tuple[Any, str], ...] = (
    (pa.types.is_boolean, "boolean"),
    (pa.types.is_int8, "byte"),
    (pa.types.is_int16, "short"),
    (pa.types.is_int32, "integer"),
    (pa.types.is_int64, "long"),
    # Widened so that every value fits.
    (pa.types.is_uint8, "short"),
    (pa.types.is_uint16, "integer"),
    (pa.types.is_uint32, "long"),
    (pa.types.is_float16, "float"),
    (pa.types.is_float32, "float"),
    (pa.types.is_float64, "double"),
    (pa.types.is_string, "string"),
    (pa.types.is_large_string, "string"),
    (pa.types.is_binary, "binary"),
    (pa.types.is_large_binary, "binary"),
    (pa.types.is_fixed_size_binary, "binary"),
    (pa.types.is_date, "date"),
    (pa.types.is_timestamp, "timestamp"),
)


def delta_type(t: pa.DataType) -> str | dict[str, Any]:
    """The Delta type of one Arrow type; raise :class:`UnsupportedClause` when there is none."""
    for test, name in _PRIMITIVES:
        if test(t):
            return name
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    if pa.types.is_dictionary(t):
        return delta_type(t.value_type)
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return {
            "type": "array",
            "elementType": delta_type(t.value_type),
            "containsNull": t.value_field.nullable,
        }
    if pa.types.is_map(t):
        return {
            "type": "map",
            "keyType": delta_type(t.key_type),
            "valueType": delta_type(t.item_type),
            "valueContainsNull": t.item_field.nullable,
        }
    if pa.types.is_struct(t):
        return struct([t.field(i) for i in range(t.num_fields)])
    raise UnsupportedClause(
        "an extract column has a type Delta Sharing cannot describe",
        [Problem("schema", f"Arrow type {t}")],
    )


def struct(fields: list[pa.Field]) -> dict[str, Any]:
    return {
        "type": "struct",
        "fields": [
            {"name": f.name, "type": delta_type(f.type), "nullable": f.nullable, "metadata": {}}
            for f in fields
        ],
    }


def schema_string(schema: pa.Schema) -> str:
    """The compact JSON text Delta Sharing's ``metaData.schemaString`` carries."""
    return json.dumps(struct(list(schema)), separators=(",", ":"))
