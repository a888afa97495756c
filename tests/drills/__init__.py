"""Fault drills: a killed worker, a restarted Temporal server, a PostgreSQL outage (`make drills`)."""
