"""Sending deliveries to recipients: over NHS England's MESH, or into a filesystem outbox.

A delivery travels as one package (:mod:`.package`): a ZIP of its folder (extract or delta
files and ``manifest.json``), the same bytes for the same delivery. :mod:`.mesh` sends it to a
MESH mailbox with NHS England's own client library (``mesh-client``: authentication, chunking,
compression, tracking); :mod:`.outbox` writes the delivery's folder under a folder per
recipient, staged and then renamed, so a collector (SFTP, a shared drive) sees all of it or
nothing.

This package moves bytes only. The queue, the retries, withdrawal and the ledger events are the
service's (:mod:`accord.service.push`). It imports nothing from accord but ``errors``.
"""
