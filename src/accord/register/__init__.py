"""accord.register: what the public can see, generated from agreements and the ledger, never
edited by hand: register rows, the per-person index, exports, and the plain-English rendering
of an agreement.

Imports ``accord.model``, ``accord.law`` (gateway titles and citations), ``accord.ledger`` and
``accord.errors``; never ``server``, ``cli``, ``engine``, ``store``, the services or the
workspace: :mod:`accord.service.register` reads the stored records and publishes the files.
"""
