"""Conformance suites of the henan document: the city platform level (city/) and the provincial level."""
