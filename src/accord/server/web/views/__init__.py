"""Page views. Each route builds ONE context dict; :func:`accord.server.negotiation.render`
serves it as HTML or, for ``.json`` and ``Accept: application/json``, as JSON."""
