"""Client-side API: what the `mediation` CLI (cli/), tests and other Python callers use to run cases."""
