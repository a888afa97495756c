"""Encryption: the payload codec, the key ring, field sealing of rows, masking, the codec server.

The codec every client, worker and replayer uses (`crypto.codec`), its key ring (`crypto.keys`),
the sealing of personal fields in PostgreSQL (`crypto.fields`, `crypto.sealing`) and the codec
server for the Web UI and CLI (`crypto.server`).

Kept free of imports so `python -m crypto.codec` and `python -m crypto.server` run cleanly.
"""
