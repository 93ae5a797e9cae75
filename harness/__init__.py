"""vconform: conformance-test harness and mock platforms for vehicle-supervision networking specs."""

__version__ = "0.1.0"
