"""accord.disclosure: statistical disclosure control of aggregate outputs.

Owns the disclosure-control profiles (``profiles/*.yaml``, each with its source: OpenSAFELY,
NHS secondary care, the ONS rule of 10, ACRO's defaults; and custom ones) and the pure
functions that apply them to a table of counts by one, two (``tables``) or more fields
(``cube``): primary suppression, secondary suppression so that no suppressed cell can be
recovered from the totals (``linear``: exact elimination), rounding after suppression, and the
suppression report. Works on plain counts; imports only ``accord.model`` and ``accord.errors``,
never the engine, the store or the server.

>>> from accord.disclosure import profile, protect
>>> t = protect([[6], [12]], profile("opensafely"), rows=("A", "B"), columns=("count",),
...             row_totals=False)
>>> t.cells, t.column_totals, t.partial_columns
(((None,), (10,)), (10,), (True,))
"""

from accord.disclosure.cube import MAX_FIELDS, CellSuppression, ProtectedCube, protect_cube
from accord.disclosure.linear import determined
from accord.disclosure.profiles import PACKAGED, Profile, custom, profile
from accord.disclosure.tables import ProtectedTable, Suppression, lines, protect, recoverable

__all__ = [
    "MAX_FIELDS",
    "PACKAGED",
    "CellSuppression",
    "ProtectedCube",
    "Profile",
    "ProtectedTable",
    "Suppression",
    "custom",
    "determined",
    "lines",
    "profile",
    "protect",
    "protect_cube",
    "recoverable",
]
