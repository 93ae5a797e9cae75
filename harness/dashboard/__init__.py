"""A live dashboard for a running mock: its latest exchanges, counts per interface, the findings of observe mode and
the campaign board, in one page served by the mock itself (docs/dashboard.md).

`options` holds the command-line options (`vconform mock --dashboard ...`): the parser is built on every command, so
the page, aiohttp and jinja2 are imported from `live` only when a dashboard is asked for."""
from __future__ import annotations

PATH = "/__vconform/dashboard"  # under the admin prefix of harness.httpmock (ADMIN_PREFIX + "dashboard")
