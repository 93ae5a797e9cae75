"""The gansu station (client-role) suites. Importing the package registers the gansu checks."""
from suites.gansu import checks  # noqa: F401
