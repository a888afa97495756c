"""Payload encryption: the codec every client, worker and replayer uses (`crypto.codec`), its
key ring (`crypto.keys`) and the codec server for the Web UI and CLI (`crypto.server`).

Kept free of imports so `python -m crypto.codec` and `python -m crypto.server` run cleanly.
"""
