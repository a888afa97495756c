"""The test suite: unit and property tests of the core, workflows on real servers, the system, pages."""
