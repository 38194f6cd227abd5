"""accord.engine.backends: the backends that run a plan (``in_memory`` reference, ``duckdb``
default, ``spark`` for scale) and the interface they share (:mod:`.base`).

A regular package, so that the import contracts (``lint-imports``) see its modules.
"""
