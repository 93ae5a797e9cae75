"""The server-role machinery: targets, refusal verdicts, mutations that avoid errata, readings that warn, replays."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import specdata
from harness.journal import Journal
from harness.run import HarnessError
from harness.serve import BackgroundServer
from harness.uploader import normalise_target
from mocks.yunnan.app import YunnanMock
from schemas.yunnan.datagen import YunnanData
from schemas.yunnan.validate import validate
from suites.yunnan import server_checks as C
from suites.yunnan.server_checks import Reply

ROOT = Path(__file__).resolve().parents[3]
PREFIX = "/access/api/dataReceive"
DEFAULT = specdata.profile("yunnan")


def test_target_urls():
    assert normalise_target("http://10.0.0.5:8080", PREFIX) == "http://10.0.0.5:8080" + PREFIX
    assert normalise_target("https://p.example/", PREFIX) == "https://p.example" + PREFIX
    assert normalise_target(f"http://h:1{PREFIX}/", PREFIX) == f"http://h:1{PREFIX}"
    # a platform mounted elsewhere keeps its path
    assert normalise_target("http://h/proxy/yn", PREFIX) == "http://h/proxy/yn"
    with pytest.raises(HarnessError):
        normalise_target("h:8080", PREFIX)


def _reply(status=200, body=None, error="", note=""):
    raw = json.dumps(body).encode() if body is not None else b"<html>oops</html>"
    return Reply("vehicleAccess", "/vehicleAccess", {}, status=status, body=body, raw=raw, error=error, note=note)


def test_refusal_verdicts():
    refused = {"code": 500, "message": "✖ 验签失败", "aesKey": None, "data": None}
    assert C.refusal(_reply(body=refused), DEFAULT, "signature_other_key") == []
    assert _levels(C.refusal(_reply(body={**refused, "code": 200}), DEFAULT, "signature_other_key")) == ["fail"]
    assert _levels(C.refusal(_reply(status=500), DEFAULT, "malformed_json")) == ["fail"]  # HTML, not §4.3
    assert _levels(C.refusal(_reply(status=None, error="ConnectionResetError"), DEFAULT, "malformed_json")) == ["fail"]
    assert C.refusal(_reply(status=413), DEFAULT, "oversize") == []  # a bare 413 is a refusal of a huge body
    assert _levels(C.refusal(_reply(status=413), DEFAULT, "content_tampered")) == ["fail"]
    token500 = C.refusal(_reply(body={**refused, "code": 500, "message": "令牌无效"}), DEFAULT, "token_expired")
    assert [(p.level, p.errata) for p in token500] == [("warn", "E-YN-12")]  # the other documented reading
    mirrored = C.refusal(_reply(status=500, body=refused), DEFAULT, "aes_key_size")
    assert [(p.level, p.errata) for p in mirrored] == [("warn", "E-YN-16")]
    assert C.refusal(_reply(status=500, body=refused), {**DEFAULT, "http_status": "mirror"}, "aes_key_size") == []


def _levels(problems):
    return [p.level for p in problems]


def _base(interface: str) -> dict:
    d = YunnanData(11)
    return {"cameraInfo": lambda: d.camera("A", 1), "vehicleInfo": lambda: d.vehicle(1),
            "vehicleAccess": lambda: d.access_record(d.vehicle(1), 1, "0"), "nonMachinery": lambda: d.machinery(1),
            "enterprise": d.enterprise, "exceedVehicleConfirm": d.exceed_confirm}[interface]()


@pytest.mark.parametrize("profile", ["default", "strict", "sign-content"])
@pytest.mark.parametrize("interface", ["enterprise", "cameraInfo", "vehicleInfo", "nonMachinery", "vehicleAccess",
                                       "exceedVehicleConfirm"])
def test_field_mutations_break_one_field_and_are_never_an_errata_reading(interface, profile):
    prof = specdata.profile("yunnan", profile)
    base = _base(interface)
    assert not [v for v in validate(interface, "request", base, profile=prof) if v.level == "fail"]
    for kind, wanted in C.WANTED_KIND.items():
        for note, mutated in C.field_mutations(kind, interface, base, prof):
            changed = {k for k in base.keys() | mutated.keys() if base.get(k) != mutated.get(k)}
            assert len(changed) == 1, (note, changed)
            found = validate(interface, "request", mutated, profile=prof)
            assert wanted in {v.kind for v in found if v.level == "fail"}, note
            assert not [v for v in found if v.level == "warn" and v.errata], f"{note} touches an errata reading"


def test_mutations_skip_documented_alternatives():
    """installDate as YYYY-MM-DD is E-YN-09's reading and vehicleAccess.vehicleId's form is E-YN-28: not negatives."""
    dates = C.field_mutations("date_format", "cameraInfo", _base("cameraInfo"), DEFAULT)
    assert dates and all("-" not in m["installDate"] for _n, m in dates)
    ids = C.field_mutations("id_composition", "vehicleAccess", _base("vehicleAccess"), DEFAULT)
    assert ids and not [n for n, _m in ids if n.startswith("vehicleId")]
    kinds = {kind: C.field_mutations(kind, "vehicleAccess", _base("vehicleAccess"), DEFAULT) for kind in C.WANTED_KIND}
    assert not [n for n, _m in kinds["missing_required"] if n.startswith(("carHeadImg", "carImg"))]  # E-YN-06


# ---- documented readings of a platform: warnings, never failures (slow: whole server runs) -----------------

class AliasPathsOnly(YunnanMock):
    """Serves the ledger at /carDate, §6.14 at /exceedVehicle and init-auth at the root only (E-YN-01/02/03)."""

    def _routes(self):
        routes = super()._routes()
        for name in ("vehicleInfo", "exceedVehicleConfirm", "init-auth"):
            routes.pop(f"{PREFIX}/{name}")
        return routes


READINGS = {
    "sign-content only (E-YN-04)": (YunnanMock, {**specdata.profile("yunnan", "sign-content"), "strict": True},
                                    "yunnan.server.token", "E-YN-04"),
    "token errors as 500 (E-YN-12)": (YunnanMock, specdata.profile("yunnan", "token-500"),
                                      "yunnan.server.reject.token_forged", "E-YN-12"),
    "HTTP status mirrors the code (E-YN-16)": (YunnanMock, {**DEFAULT, "http_status": "mirror"},
                                               "yunnan.server.reject.signature_other_key", "E-YN-16"),
    "alias paths (E-YN-01)": (AliasPathsOnly, DEFAULT, "yunnan.server.accept", "E-YN-01"),
    "root init-auth (E-YN-03)": (AliasPathsOnly, DEFAULT, "yunnan.server.register", "E-YN-03"),
}


def run_server(tmp: Path, *args: str) -> tuple[int, dict, str]:
    out = tmp / "report"
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "run", "yunnan", "--role", "server", "--out", str(out),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "VCONFORM_HOME": str(tmp / "home")})
    report = json.loads((out / "report.json").read_text("utf-8")) if (out / "report.json").exists() else {}
    return proc.returncode, report, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(READINGS))
def test_platform_on_a_documented_reading_passes_with_a_warning(tmp_path, case):
    cls, profile, check_id, errata = READINGS[case]
    srv = BackgroundServer(cls(profile=profile).app).start()
    try:
        code, report, output = run_server(tmp_path, "--seed", "5", "--target", srv.url + PREFIX,
                                          "--stage", "interface", "--stage", "negative")
    finally:
        srv.stop()
    assert code == 0, output
    warned = [c for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "warn" and c["id"] == check_id]
    assert any(errata in c["errata"] for c in warned), f"no {errata} warning on {check_id}\n{output}"


@pytest.mark.slow
def test_same_seed_replays_the_same_traffic(tmp_path):
    """`--seed N` repeats a run: the same generated requests reach the platform, the same checks come out."""
    runs = []
    for n in (1, 2):
        journal = tmp_path / f"j{n}.sqlite"
        code, report, output = run_server(tmp_path / str(n), "--seed", "77", "--journal", str(journal),
                                          "--stage", "interface", "--stage", "negative")
        assert code == 0, output
        rows = Journal.read(journal)
        sent = [(r["interface"], r["request_plaintext"]) for r in rows
                if r["interface"] not in ("init-auth", "getToken") and isinstance(r["request_plaintext"], dict)]
        verdicts = [(c["id"], i["name"], c["verdict"], c["message"]) for i in report["interfaces"] for c in i["checks"]]
        runs.append((sent, verdicts))
    assert runs[0][0] == runs[1][0] and len(runs[0][0]) > 100
    assert runs[0][1] == runs[1][1]
