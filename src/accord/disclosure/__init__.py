"""accord.disclosure: statistical disclosure control of aggregate outputs.

Owns the disclosure-control profiles (``profiles/*.yaml``, each with its source: OpenSAFELY,
NHS secondary care, the ONS rule of 10, ACRO's defaults; and custom ones) and the pure
functions that apply them to a table of counts: primary suppression, secondary suppression so
that no suppressed cell can be recovered from the totals, rounding after suppression, and the
suppression report. Works on plain counts; imports only ``accord.model`` and ``accord.errors``,
never the engine, the store or the server.

>>> from accord.disclosure import profile, protect
>>> t = protect([[6], [12]], profile("opensafely"), rows=("A", "B"), columns=("count",),
...             row_totals=False)
>>> t.cells, t.column_totals, t.partial_columns
(((None,), (10,)), (10,), (True,))
"""

from accord.disclosure.profiles import PACKAGED, Profile, custom, profile
from accord.disclosure.tables import ProtectedTable, Suppression, lines, protect, recoverable

__all__ = [
    "PACKAGED",
    "Profile",
    "ProtectedTable",
    "Suppression",
    "custom",
    "lines",
    "profile",
    "protect",
    "recoverable",
]
