"""The henan-province suites (SUT = a city platform calling the provincial platform). Importing the package
registers the level's checks, as the registry-wide test and the report expect of a suite folder."""
from suites.henan import province_checks, province_server  # noqa: F401
