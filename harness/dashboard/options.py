"""`vconform mock` options of the live dashboard (docs/dashboard.md), and what the mock serves with them."""
from __future__ import annotations

import argparse
from typing import Any

from harness.dashboard import PATH


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `vconform mock` options of the dashboard."""
    g = parser.add_argument_group("live dashboard (docs/dashboard.md)")
    g.add_argument("--dashboard", action="store_true",
                   help=f"serve a live page of the latest exchanges, findings and campaign board at {PATH} (HTTP "
                        "mocks: on the mock's own port; TCP mocks: on a side HTTP port); its URL is printed at start")
    g.add_argument("--dashboard-port", type=int, default=None, metavar="PORT",
                   help="serve the dashboard on this side HTTP port instead (0 picks a free one; implies --dashboard; "
                        "TCP mocks use a side port always)")
    g.add_argument("--campaign", default=None, metavar="URL",
                   help="show this campaign's board for --sut-name on the dashboard (implies --dashboard)")


def wanted(args: Any) -> bool:
    return bool(getattr(args, "dashboard", False) or getattr(args, "dashboard_port", None) is not None
                or getattr(args, "campaign", None))


def problem(args: Any) -> str | None:
    """A one-line reason the dashboard options cannot be served as given (None when they can)."""
    port = getattr(args, "dashboard_port", None)
    if port is not None and not 0 <= port <= 65535:
        return f"--dashboard-port {port}: a TCP port is 0-65535 (0 picks a free one)"
    url = getattr(args, "campaign", None)
    if url and not getattr(args, "sut_name", None):
        return "--campaign needs --sut-name: the board is one SUT's record in one campaign"
    if url:  # as `run --campaign`: a database that cannot be used is a harness error at start, not a panel note
        from harness.campaign import CampaignError
        from harness.campaign.cli import check_url

        try:
            check_url(url)
        except CampaignError as exc:
            return str(exc)
    return None


def serving(args: Any, spec: str, mock: Any) -> Any:
    """What `vconform mock` serves (an object with async start/close): the mock as it is when no dashboard is asked
    for; else the mock with its dashboard, which starts with it and whose URL is printed. An HTTP mock serves the
    page under its admin prefix (through its connection guard) unless a side port is asked for."""
    from harness.serve import AppMock

    dash = side = None
    if wanted(args):
        from harness.dashboard.live import Dashboard

        dash = Dashboard(mock, spec=spec, campaign=args.campaign, sut=args.sut_name)
        side = args.dashboard_port
        if side is None and not hasattr(mock, "app"):
            side = 0  # a TCP mock speaks no HTTP on its own port
        if side is None:
            mock.dashboard = dash  # harness.httpmock adds its routes to the application
    served = AppMock(mock.app()) if hasattr(mock, "app") else mock
    if dash is None:
        return served
    from harness.dashboard.live import WithDashboard

    return WithDashboard(served, dash, side_port=side)
