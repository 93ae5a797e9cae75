"""The henan-city suites. Importing the package registers the city checks (suites/henan/checks.py), so whatever
lists a level's checks from its suite folder finds them."""
from suites.henan import checks  # noqa: F401
