"""Benchmarks and the county simulation.

`python -m bench` (`make bench`) measures the engine beside Temporal's own ceiling on one
dev server; `python -m bench.simulate` (`make simulate`) runs a synthetic county's year of
disputes through the real engine on the time-skipping server. BENCHMARKS.md has the figures.
"""
