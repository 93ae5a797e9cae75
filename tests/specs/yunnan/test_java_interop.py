"""Interop proof (yunnan §5): a JCE client written as the spec's Java samples completes a flow against the mock."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.serve import BackgroundServer
from mocks.yunnan.app import YunnanMock
from schemas.yunnan.datagen import YunnanData

JAVA_SRC = Path(__file__).parent / "java" / "YunnanJceClient.java"
pytestmark = pytest.mark.java


def _jdk() -> tuple[str, str]:
    javac, java = shutil.which("javac"), shutil.which("java")
    if not javac or not java:
        pytest.skip("no JDK on this machine (javac and java needed): the JCE interop proof cannot run here")
    return javac, java


def test_jce_client_completes_a_flow(tmp_path):
    javac, java = _jdk()
    subprocess.run([javac, "-d", str(tmp_path), str(JAVA_SRC)], check=True, capture_output=True, timeout=300)
    data = YunnanData(7)
    hb = tmp_path / "hb.json"
    hb.write_text(json.dumps(data.heartbeat(), ensure_ascii=False), "utf-8")
    vehicle = data.vehicle(1)
    up = tmp_path / "vehicle.json"
    up.write_text(json.dumps(vehicle, ensure_ascii=False), "utf-8")
    mock = YunnanMock()
    with BackgroundServer(mock.app) as srv:
        base = srv.url + mock.ep["prefix"]
        proc = subprocess.run([java, "-cp", str(tmp_path), "YunnanJceClient", base, data.enterprise_id,
                               data.enterprise()["enterpriseName"], str(hb), "vehicleInfo", str(up)],
                              capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    outcomes = [(e.interface, e.outcome) for e in mock.journal.entries]
    assert outcomes == [("init-auth", "ok"), ("getToken", "ok"), ("heartBeat", "ok"), ("vehicleInfo", "ok")]
    # The Java client signed under the default reading (§5.1 step 6, raw bytes): no warning was raised.
    readings = {tuple(e.notes.get("signature_reading", ())) for e in mock.journal.entries[1:]}
    assert readings == {("key+content", "raw")}
    assert mock.state.uploads["vehicleInfo"][0]["record"] == vehicle
    assert mock.state.heartbeat_state(data.enterprise_id) == "online"
