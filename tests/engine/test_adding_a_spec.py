"""docs/ARCHITECTURE.md "Adding a spec" followed step by step for a toy two-level plain-JSON spec `toyhn`.

Henan's shape in miniature: one document folder (schemas/toyhn/) with one interface table, one code table, one
errata entry with a switch, profiles and actions; two platforms (levels `city` and `province`) registered through
`vconform.specs` entry points; a mock that subclasses the engine's HttpMock over pure state; a client session that
subclasses ClientSession; a suite per level with stage markers; a reference client and a broken one. Everything is
written into a tmp folder; the steps below carry the numbers of the document's steps.
"""
from __future__ import annotations

import json
import shlex
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest

from harness import actions, cli, registry, schemagen, specdata
from harness.httpmock import HttpMock
from harness.journal import Journal
from harness.serve import BackgroundServer

DOC = "toyhn"
FILES = {
    # 1. tables: the one interface table (each interface with its level) and a code table.
    "schemas/toyhn/tables/interfaces.toml": r'''
        spec = "toyhn"
        base_path = "/api"

        [formats]
        datetime = { regex = '^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$', strptime = "%Y-%m-%d %H:%M:%S", text = "yyyy-MM-dd HH:mm:ss" }
        epoch = { regex = '^\d{10}$', text = "Unix time in seconds" }

        [interfaces.gateRecord]
        zh = "门禁通行记录"
        section = "toyhn §6.1"
        path = "/gateRecord"
        kind = "upload"
        level = "city"

        [[interfaces.gateRecord.request]]
        name = "plateNo"
        type = "string"
        required = true
        max_length = 16
        section = "toyhn §6.1"

        [[interfaces.gateRecord.request]]
        name = "plateColor"
        type = "string"
        code = "plateColor"
        required = true
        section = "toyhn §6.1"

        [[interfaces.gateRecord.request]]
        name = "passTime"
        type = "string"
        format = "datetime"
        errata = "E-TH-01"
        alt = { format = "epoch" }
        required = true
        section = "toyhn §6.1"

        [interfaces.cityRecord]
        zh = "城市平台汇总"
        section = "toyhn §7.1"
        path = "/cityRecord"
        kind = "upload"
        level = "province"

        [[interfaces.cityRecord.request]]
        name = "cityCode"
        type = "string"
        length = 6
        required = true
        section = "toyhn §7.1"

        [[interfaces.cityRecord.request]]
        name = "total"
        type = "number"
        integer = true
        minimum = 0
        required = true
        section = "toyhn §7.1"
    ''',
    "schemas/toyhn/tables/codes.toml": '''
        [plateColor]
        section = "toyhn 附录A"
        title = "车牌颜色"
        codes = { "1" = "蓝色", "2" = "黄色" }
    ''',
    # 3. errata and profiles.
    "schemas/toyhn/errata.toml": '''
        [E-TH-01]
        title = "passTime: yyyy-MM-dd HH:mm:ss (§6.1) or Unix seconds (example in §6.1)"
        sections = ["toyhn §6.1", "toyhn §6.1 示例"]
        default = "yyyy-MM-dd HH:mm:ss"
        alternative = "Unix seconds"
        switch = "time_format"
        switch_default = "datetime"
        switch_values = ["datetime", "epoch"]
    ''',
    "schemas/toyhn/profiles.toml": '''
        [default]
        description = "The errata register's defaults"

        [epoch-time]
        description = "passTime in Unix seconds (E-TH-01)"
        inherits = "default"
        time_format = "epoch"
    ''',
    # 4. actions.
    "schemas/toyhn/actions.toml": '''
        [all]
        expects = "Send each record once as plain JSON; exit 0 when the platform accepted it."
        judged_by = ["adapter.completed", "toyhn.transport.reached"]

        [actions.gateRecord]
        summary_zh = "上传门禁通行记录"
        summary_en = "Upload a gate passage record"
        expects = "Upload the passage the params describe to the city platform."
        output = "nothing"
        judged_by = ["toyhn.payload.valid"]

        [actions.cityRecord]
        summary_zh = "上传城市汇总"
        summary_en = "Upload a city summary"
        expects = "Forward the city's summary to the provincial platform."
        output = "nothing"
        judged_by = ["toyhn.payload.valid"]
    ''',
    # 5. spec.py: one SpecInfo per level, named DOCUMENT-LEVEL, sharing the document folder.
    "toyhn_pkg/__init__.py": "",
    "toyhn_pkg/spec.py": '''
        import sys
        from pathlib import Path

        from harness import specdata
        from harness.registry import SpecInfo

        HERE = Path(__file__).resolve().parent


        def _make_mock(journal=None, profile=None, clock=None):
            from toyhn_pkg.mock import ToyMock

            return ToyMock(journal=journal, profile=profile, clock=clock)


        def _level(level):
            return SpecInfo(name=f"toyhn-{level}", document="toyhn", level=level, folder="toyhn", version="T1",
                            title_zh="玩具规范", title_en=f"Toy spec, {level} platform", source="toy.txt",
                            roles=("client",), interfaces=specdata.sections("toyhn", level),
                            suite_dir=HERE / level, make_mock=_make_mock,
                            reference_cmd=lambda: [sys.executable, str(HERE / "reference_client.py")])


        CITY = _level("city")
        PROVINCE = _level("province")
    ''',
    # 6. the mock: the engine's HttpMock over pure state.
    "toyhn_pkg/state.py": '''
        class ToyState:
            """The platform's business state, without I/O."""

            def __init__(self):
                self.records = {}

            def accept(self, interface, data):
                self.records.setdefault(interface, []).append(data)

            def snapshot(self):
                return {name: len(recs) for name, recs in self.records.items()}
    ''',
    "toyhn_pkg/mock.py": '''
        import json

        from harness import schemagen, specdata
        from harness.httpmock import HttpMock
        from harness.validation import Validator
        from toyhn_pkg.state import ToyState


        class ToyMock(HttpMock):
            spec = "toyhn"

            def __init__(self, *, journal=None, profile=None, clock=None):
                self.ep = specdata.endpoints("toyhn")
                self.profile = profile if isinstance(profile, dict) else specdata.profile("toyhn", profile)
                self.validator = Validator(lambda: schemagen.load("toyhn"),
                                           specdata.SCHEMAS_DIR / "toyhn" / "generated")
                super().__init__(journal=journal, clock=clock)
                self.state = ToyState()

            def _routes(self):
                return {self.ep["base_path"] + i["path"]: (name, None) for name, i in self.ep["interfaces"].items()}

            def failure(self, reason, status, info):
                return {"code": status or 500, "message": reason}

            def respond(self, ex, route, incoming):
                try:
                    data = json.loads(incoming.body)
                except ValueError:
                    ex.outcome = "malformed"
                    return {"code": 400, "message": "not JSON"}
                ex.request_plaintext = data
                bad = [v for v in self.validator.validate(route[0], "request", data, profile=self.profile)
                       if v.level == "fail"]
                if bad:
                    ex.outcome = "invalid"
                    return {"code": 400, "message": bad[0].message}
                self.state.accept(route[0], data)
                return {"code": 0, "message": "ok"}

            def snapshot(self):
                return self.state.snapshot()
    ''',
    # 7. the client session, its checks, and a suite per level with stage markers.
    "toyhn_pkg/session.py": '''
        from harness import checks
        from harness.journal import Journal
        from harness.serve import BackgroundServer
        from harness.session import ClientSession
        from harness.validation import to_problems
        from toyhn_pkg.mock import ToyMock

        REACHED = checks.declare("toyhn.transport.reached", "toyhn §4.1", "critical", "请求送达", "Request reached the platform")
        VALID = checks.declare("toyhn.payload.valid", "toyhn §6.1; §7.1", "major", "字段符合规范", "Fields as the tables say")


        class ToySession(ClientSession):
            def __init__(self, vrun, cmd):
                super().__init__(vrun, Journal(vrun.config.journal))
                self.mock = ToyMock(journal=self.journal, profile=vrun.profile)
                self.server = BackgroundServer(self.mock.app).start()
                self.start_adapter(cmd, vrun.spec.name, self.server.url + self.mock.ep["base_path"], {"user": "toy"})

            def close(self):
                self.server.stop()
                self.journal.close()
                super().close()

            def upload(self, interface, params, stage):
                res, exs = self.act(interface, params)
                mine = [e for e in exs if e.interface == interface]
                out = [self.completed(res, interface=interface, stage=stage)]
                out.append(self.record(REACHED.id, [] if mine else [checks.fail(f"no request to {interface}")],
                                       interface=interface, stage=stage, evidence=[res, *exs]))
                if not mine:
                    out.append(self.skip(VALID.id, "no request reached the platform", interface=interface, stage=stage))
                    return out
                problems = [p for e in mine for p in to_problems(
                    self.mock.validator.validate(interface, "request", e.request_plaintext, profile=self.vrun.profile))]
                out.append(self.record(VALID.id, problems, interface=interface, stage=stage, evidence=mine))
                return out
    ''',
    "toyhn_pkg/conftest_common.py": '''
        import pytest


        @pytest.fixture(scope="session")
        def hn(vrun):
            from toyhn_pkg.session import ToySession

            session = ToySession(vrun, vrun.client_sut("toy reference client", "toy reference client"))
            yield session
            session.close()
    ''',
    "toyhn_pkg/city/__init__.py": "",
    "toyhn_pkg/city/pytest.ini": "[pytest]\npython_files = test_*.py\naddopts = --strict-markers\n",
    "toyhn_pkg/city/conftest.py": "from toyhn_pkg.conftest_common import hn  # noqa: F401\n",
    "toyhn_pkg/city/test_city_interface.py": '''
        import pytest

        from harness.pytest_plugin import require

        pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]


        @pytest.mark.interface("gateRecord")
        def test_gate_record(hn):
            params = {"plateNo": "云A12345", "plateColor": "2", "passTime": "2026-11-29 08:00:00"}
            require(hn.vrun, hn.upload("gateRecord", params, "interface"))
    ''',
    "toyhn_pkg/province/__init__.py": "",
    "toyhn_pkg/province/pytest.ini": "[pytest]\npython_files = test_*.py\naddopts = --strict-markers\n",
    "toyhn_pkg/province/conftest.py": "from toyhn_pkg.conftest_common import hn  # noqa: F401\n",
    "toyhn_pkg/province/test_province_interface.py": '''
        import pytest

        from harness.pytest_plugin import require

        pytestmark = [pytest.mark.role("client"), pytest.mark.stage("interface")]


        @pytest.mark.interface("cityRecord")
        def test_city_record(hn):
            require(hn.vrun, hn.upload("cityRecord", {"cityCode": "410100", "total": 3}, "interface"))
    ''',
    # 9. the reference client: the adapter protocol, plain JSON over HTTP.
    "toyhn_pkg/reference_client.py": '''
        import json
        import sys
        import urllib.request

        BROKEN = sys.argv[1:2] == ["--broken"]
        action, ctx_file = sys.argv[-2:]
        with open(ctx_file, encoding="utf-8") as fh:
            ctx = json.load(fh)
        params = dict(ctx["params"])
        if BROKEN:  # 10. a broken implementation: a plate colour outside the code table, a city code too short
            params.update({"plateColor": "9"} if action == "gateRecord" else {"cityCode": "4101"})
        req = urllib.request.Request(ctx["base_url"] + "/" + action, data=json.dumps(params).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=20) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as exc:
            body = json.load(exc)
        if body.get("code") != 0:
            sys.exit(f"refused: {body}")
    ''',
    # 5. the entry points, as `pip install -e .` writes them from pyproject.toml.
    "toyhn-0.dist-info/METADATA": "Metadata-Version: 2.1\nName: toyhn\nVersion: 0\n",
    "toyhn-0.dist-info/entry_points.txt": "[vconform.specs]\ntoyhn-city = toyhn_pkg.spec:CITY\n"
                                          "toyhn-province = toyhn_pkg.spec:PROVINCE\n",
}
LEVELS = {"city": "gateRecord", "province": "cityRecord"}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """Write the toy spec, point the engine's data folder at it, register it from its entry points; undo after."""
    root = tmp_path_factory.mktemp("adding")
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    registry.discover()  # the real specs first: they read their own data when imported
    mp = pytest.MonkeyPatch()
    mp.setattr(specdata, "SCHEMAS_DIR", root / "schemas")
    mp.setattr(schemagen, "SCHEMAS_ROOT", root / "schemas")
    mp.syspath_prepend(str(root))
    yield root
    for name in ("toyhn-city", "toyhn-province"):
        registry._SPECS.pop(name, None)
    mp.undo()
    for mod in [m for m in sys.modules if m == "toyhn_pkg" or m.startswith("toyhn_pkg.")]:
        del sys.modules[mod]
    specdata.load.cache_clear()
    specdata.endpoints.cache_clear()
    schemagen.load.cache_clear()


@pytest.fixture(scope="module")
def registered(toy):
    """Steps 1-5 done: the data is valid, the schemas generated, the levels registered by their entry points."""
    assert specdata.validate_spec_data(toy / "schemas" / DOC) == []
    assert cli.main(["schemas", DOC]) == 0  # step 2, before spec.py exists in the registry
    mp = pytest.MonkeyPatch()
    mp.setattr(registry, "_DISCOVERED", False)
    registry.discover()
    mp.undo()
    return toy


def test_data_is_checked_and_schemas_generate(toy):
    assert specdata.validate_spec_data(toy / "schemas" / DOC) == []
    assert cli.main(["schemas", DOC]) == 0
    assert cli.main(["schemas", DOC, "--check"]) == 0
    assert cli.main(["schemas", "toyhn-nowhere"]) == 2, "an unregistered name without tables stays an error"
    assert list(specdata.sections(DOC)) == ["gateRecord", "cityRecord"]
    gen = json.loads((toy / "schemas/toyhn/generated/gateRecord.request.schema.json").read_text("utf-8"))
    assert gen["properties"]["plateColor"]["enum"][:2] == ["1", "2"] and "plateNo" in gen["required"]
    assert specdata.profile(DOC, "epoch-time")["time_format"] == "epoch"
    assert specdata.profile(DOC)["time_format"] == "datetime"


def test_a_typo_in_the_table_is_an_error_with_file_and_key(toy, tmp_path):
    bad = tmp_path / "bad"
    (bad / "tables").mkdir(parents=True)
    for name in ("errata.toml", "profiles.toml"):
        (bad / name).write_text((toy / "schemas/toyhn" / name).read_text("utf-8"), "utf-8")
    (bad / "tables/codes.toml").write_text((toy / "schemas/toyhn/tables/codes.toml").read_text("utf-8"), "utf-8")
    table = (toy / "schemas/toyhn/tables/interfaces.toml").read_text("utf-8")
    (bad / "tables/interfaces.toml").write_text(table.replace('level = "city"', 'levle = "city"'), "utf-8")
    problems = specdata.validate_spec_data(bad)
    assert problems and any("levle" in p and "interfaces.toml" in p for p in problems), problems


def test_levels_are_registered_from_entry_points(registered, capsys):
    city, province = registry.get(DOC, "city"), registry.get("toyhn-province")
    assert (city.document, city.folder, province.folder) == (DOC, DOC, DOC)
    assert city.interfaces == {"gateRecord": "toyhn §6.1"}
    assert province.interfaces == {"cityRecord": "toyhn §7.1"}
    assert cli.main(["specs"]) == 0
    assert "toyhn\tT1\tlevels: city, province" in capsys.readouterr().out


@pytest.mark.parametrize("level", list(LEVELS))
def test_actions_are_documented_per_level(registered, capsys, level):
    assert actions.problems(DOC, specdata.sections(DOC)) == []  # one actions.toml per document, every level's
    assert cli.main(["actions", DOC, "--level", level]) == 0
    out = capsys.readouterr().out
    assert LEVELS[level] in out and (set(LEVELS.values()) - {LEVELS[level]}).pop() not in out


def test_the_mock_is_an_http_mock_over_pure_state(registered):
    mock = registry.get("toyhn-city").make_mock(journal=Journal(None), profile="default")
    assert isinstance(mock, HttpMock)
    with BackgroundServer(mock.app) as server:
        def post(path, body):
            req = urllib.request.Request(server.url + path, data=json.dumps(body).encode(), method="POST")
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:
                    return resp.status, json.load(resp)
            except urllib.error.HTTPError as exc:
                return exc.code, json.load(exc)

        good = {"plateNo": "云A12345", "plateColor": "1", "passTime": "2026-11-29 08:00:00"}
        assert post("/api/gateRecord", good) == (200, {"code": 0, "message": "ok"})
        status, body = post("/api/gateRecord", good | {"plateColor": "9"})
        assert body["code"] == 400 and "plateColor" in body["message"]
        assert post("/api/nowhere", {})[0] == 404
        assert post("/__vconform/state", {})[1] == {"ok": True, "state": {"gateRecord": 1}}
    assert [e.outcome for e in mock.journal.since(0)] == ["ok", "invalid", "not_found"]


def _run(level, out, *extra):
    return cli.main(["run", DOC, "--level", level, "--out", str(out), "--seed", "7", *extra])


@pytest.mark.parametrize("level", list(LEVELS))
def test_each_level_runs_its_suite_against_the_reference_client(registered, tmp_path, monkeypatch, level):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    code = _run(level, tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    assert code == 0, (report["harness_errors"], [c for i in report["interfaces"] for c in i["checks"]])
    assert report["spec"]["name"] == f"toyhn-{level}"
    assert [s["name"] for s in report["stages"]] == ["interface"]
    checks = {(i["name"], c["id"]): c["verdict"] for i in report["interfaces"] for c in i["checks"]}
    assert checks == {(LEVELS[level], cid): "pass"
                      for cid in ("adapter.completed", "toyhn.transport.reached", "toyhn.payload.valid")}
    assert [e["id"] for e in report["errata"]] == ["E-TH-01"]


@pytest.mark.parametrize("level", list(LEVELS))
def test_a_broken_client_fails_with_the_toy_check(registered, tmp_path, monkeypatch, level):
    monkeypatch.setenv("VCONFORM_HOME", str(tmp_path / "home"))
    broken = shlex.join([sys.executable, str(registered / "toyhn_pkg" / "reference_client.py"), "--broken"])
    assert _run(level, tmp_path / "out", "--sut-cmd", broken) == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    failed = {c["id"] for i in report["interfaces"] for c in i["checks"] if c["verdict"] == "fail"}
    assert "toyhn.payload.valid" in failed and report["harness_errors"] == []
