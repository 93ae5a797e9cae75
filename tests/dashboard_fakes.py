"""Test doubles for the live dashboard (tests/engine/test_dashboard*.py): an observe-mode observer and a campaign
module, each standing in for the interface its helper builds (docs/dashboard.md names both)."""
from __future__ import annotations

import json
import sys
import types
import urllib.error
import urllib.request
from typing import Any


class FakeObserver:
    """An observer with the dashboard's interface: a finding for every exchange the mock refused, judged from the
    journal as exchanges arrive, plus whatever a test adds."""

    def __init__(self, journal: Any):
        self.journal = journal
        self.extra: list[dict[str, Any]] = []

    def recent_findings(self, n: int) -> list[dict[str, Any]]:
        found = [{"check_id": "fake.refused", "verdict": "fail", "message": f"refused: {e.outcome}",
                  "exchange_id": e.seq, "at": e.time} for e in self.journal.tail(200) if e.outcome != "ok"]
        return (found + self.extra)[-n:]

    def summary(self) -> dict[str, Any]:
        found = self.recent_findings(1000)
        return {"exchanges": self.journal.last_seq, "counts": {"fail": len(found)},
                "by_check": {"fake.refused": len(found)}}

    def recent_exchanges(self, n: int) -> list:
        return self.journal.tail(n)


BOARD = {"spec": "yunnan", "sut": "acme-gateway", "version": "2.1.0",
         "stages": [{"stage": "interface", "state": "passed", "reason": "", "at": "2026-11-28T10:00:00Z"},
                    {"stage": "flow", "state": "open", "reason": "no full run of 2.1.0 has passed the flow stage",
                     "at": None},
                    {"stage": "pilot", "state": "refused", "reason": "flow is still open", "at": None},
                    {"stage": "go-live", "state": "refused", "reason": "flow is still open", "at": None}],
         "interfaces": [{"interface": "heartBeat", "verdict": "pass", "at": "2026-11-28T10:00:00Z",
                         "sut_version": "2.1.0", "tool_version": "0.9.0", "report": "reports/r1/report.json"}]}


def fake_campaign_module(board: dict | None = None, calls: list | None = None) -> types.ModuleType:
    """A `harness.campaign` with open_campaign(url).board(spec, sut), as the campaign helper's contract says."""
    mod = types.ModuleType("harness.campaign")

    class Campaign:
        def __init__(self, url: str):
            self.url = url

        def board(self, spec: str, sut: str) -> dict:
            if calls is not None:
                calls.append((self.url, spec, sut))
            return dict(board or BOARD, spec=spec, sut=sut)

    mod.open_campaign = Campaign
    return mod


def install_campaign(monkeypatch, **kw) -> None:
    monkeypatch.setitem(sys.modules, "harness.campaign", fake_campaign_module(**kw))


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/json")
        return json.loads(r.read())
