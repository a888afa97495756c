"""The functional core: the escalation rules as plain functions over pydantic data.

Nothing in this package does I/O, reads a clock or imports Temporal.
"""
