"""accord.service: the use cases the CLI and the server both call.

Each function takes a :class:`~accord.workspace.Workspace` and plain arguments, runs one
transaction against the store, records ledger events, and returns plain results. Business rules
live in the domain packages (model, law, engine, ledger, disputes, register); this package only
orchestrates them. Nothing here imports ``accord.server`` or ``accord.cli``.
"""
