"""A county's year, simulated: `python -m bench.simulate --cases 10000` (`make simulate`)."""
