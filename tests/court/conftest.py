"""Fixtures of the court and after-agreement scenarios."""

from tests.cases import stop_open_cases

__all__ = ["stop_open_cases"]  # terminates the cases a test leaves open
