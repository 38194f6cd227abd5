"""accord._internal: helpers for building and checking accord itself, with no stability promise.

Nothing here is public API. Names may change or disappear in any release; do not import them
from outside accord's own tools and tests.

It is the top layer of the import contracts (``pyproject.toml``): the reference-page generator
(:mod:`.docs`) reads the CLI app, the law registry, the playbook and the model, and nothing in
accord imports it.
"""
