"""Stage `fuzz` (client role): Hypothesis-generated companies (names and addresses of any length the tables
allow, coordinates with six decimals or more, industry + sub-industry pairs and control types from Appendix B)
are given to the city platform to report with ModifyCompany, and generated vehicle ledgers (owners, addresses and
models of any length §4.2.15 allows, with the full-width punctuation of real registrations, engine numbers, VINs)
to file with VehElecAccountAdd; each must reach the province exactly as given, valid, and be accepted."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import strategies as st

from harness.explore import explore, run_seed
from harness.pytest_plugin import require
from mocks.henan.province_state import load_fixtures  # noqa: F401  (the fixtures load with the mock)
from schemas.henan.province_validate import VALIDATOR
from suites.henan import province_checks as C
from suites.henan.fuzzing import Failed, Findings

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("fuzz")]
STAGE = "fuzz"
EXAMPLES = 10
CHECKS = ("henan.province.payload.params_intact", "henan.province.answer.accepted")
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
FULL_WIDTH = "（）【】〔〕、，·－＃"  # what registrations written on Chinese input methods carry
_plates = itertools.count(7000)  # ledger plates apart from the other stages' (ProvinceData.plate kind 7)


def companies(base: dict):
    codes = VALIDATOR.tables.codes
    pairs = sorted((e["parent"], sub) for sub, e in codes["subIndustry"]["codes"].items())
    coord = lambda lo, hi: st.decimals(lo, hi, places=6).map(lambda d: f"{d:.6f}")  # noqa: E731
    return st.fixed_dictionaries({
        "companyName": st.text(CJK, min_size=40, max_size=280).map(lambda s: base["companyName"] + s),
        "address": st.text(st.one_of(CJK, st.sampled_from("0123456789号路街（）-")), min_size=1, max_size=300),
        "lng": coord("110.35", "116.65"), "lat": coord("31.38", "36.37"),  # Henan, lng the longitude (E-HN-42 default)
        "industry": st.sampled_from(pairs),
        "controlType": st.sampled_from(sorted(codes["enterpriseControlType"]["codes"])),
        "legalPerson": st.text(CJK, min_size=2, max_size=32),
        "phone": st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    }).map(lambda g: {k: v for k, v in base.items() if k != "addDate"} | {k: v for k, v in g.items() if k != "industry"}
           | {"industryType": g["industry"][0], "industrySubType": g["industry"][1]})


@pytest.mark.interface("ModifyCompany")
def test_generated_companies_reach_the_province_intact(hp, vrun):
    if not hp.ensure_company(1, STAGE, gates=False):
        pytest.fail("set-up failed: the company could not be connected")
    findings = Findings(CHECKS)

    def one(params):
        res, exs, judged = hp.run("ModifyCompany", params, stage=STAGE)
        mine = [e for e in exs if e.interface == "ModifyCompany"]
        sent = mine[-1].request_plaintext.get("data") if mine and isinstance(mine[-1].request_plaintext, dict) else None
        findings.judged(judged)
        if findings.add({"henan.province.payload.params_intact": C.params_intact(sent, params),
                         "henan.province.answer.accepted": C.accepted(exs, "ModifyCompany")},
                        [res.evidence(), *[e.evidence() for e in mine[-1:]]]):
            raise Failed(f"companyName of {len(params['companyName'])} characters, industry "
                         f"{params['industryType']}/{params['industrySubType']}")

    outcome = explore(one, companies(hp.data.company(1)), seed=run_seed(vrun.config.seed, "client-fuzz:ModifyCompany"),
                      max_examples=EXAMPLES, shrink=False, failure_types=(Failed,))
    require(vrun, findings.record(hp, vrun, outcome, interface="ModifyCompany", stage=STAGE, what="generated companies"))


def ledgers(base: dict):
    """§4.2.15 bodies: texts up to the table's lengths (onwer 100, address 300, model 100, engineNo 32)."""
    text = lambda lo, hi: st.text(st.one_of(CJK, st.sampled_from(FULL_WIDTH + "0123456789号路街")),  # noqa: E731
                                  min_size=lo, max_size=hi)
    return st.fixed_dictionaries({
        "onwer": text(2, 100), "address": text(1, 300),
        "model": st.builds(lambda brand, code: brand + "牌" + code, text(1, 20),
                           st.from_regex(r"[A-Z]{2,3}[0-9]{4}[A-Z0-9]{0,6}", fullmatch=True)),
        "engineNo": st.from_regex(r"[A-Z0-9.\-]{6,32}", fullmatch=True),
        "vin": st.from_regex(r"L[A-HJ-NPR-Z0-9]{16}", fullmatch=True),
    }).map(lambda g: base | g)


@pytest.mark.interface("VehElecAccountAdd")
def test_generated_ledgers_reach_the_province_intact(hp, vrun):
    from suites.henan.province_plans import SCAN_IMAGE

    findings = Findings(CHECKS)

    def one(ledger):
        params = ledger | {"license": hp.data.plate(7, next(_plates))}
        res, exs, judged = hp.run("VehElecAccountAdd", params, stage=STAGE)
        mine = [e for e in exs if e.interface == "VehElecAccountAdd"]
        sent = mine[-1].request_plaintext if mine and isinstance(mine[-1].request_plaintext, dict) else None
        findings.judged(judged)
        if findings.add({"henan.province.payload.params_intact": C.params_intact(sent, params),
                         "henan.province.answer.accepted": C.accepted(exs, "VehElecAccountAdd")},
                        [res.evidence(), *[e.evidence() for e in mine[-1:]]]):
            raise Failed(f"onwer of {len(params['onwer'])} characters, address of {len(params['address'])}, "
                         f"model {params['model'][:30]!r}")

    base = hp.data.vehicle_ledger("豫A70000", "1", SCAN_IMAGE)
    outcome = explore(one, ledgers(base), seed=run_seed(vrun.config.seed, "client-fuzz:VehElecAccountAdd"),
                      max_examples=EXAMPLES, shrink=False, failure_types=(Failed,))
    require(vrun, findings.record(hp, vrun, outcome, interface="VehElecAccountAdd", stage=STAGE,
                                  what="generated vehicle ledgers"))
