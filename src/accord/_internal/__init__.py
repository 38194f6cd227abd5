"""accord._internal: helpers for building and checking accord itself, with no stability promise.

Nothing here is public API. Names may change or disappear in any release; do not import them
from outside accord's own tools and tests.
"""
