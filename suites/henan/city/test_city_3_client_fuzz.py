"""Stage `fuzz` (client role, henan-city): Hypothesis-generated passages and goods records are given to the gate
system to report (henan §4.1.4 shareDrivingRecord, §4.1.6 shareGoodsRecord): plates of every GA 36 form with a
colour that carries them, goods names of any length the table allows (字符 32, CJK and the punctuation of real
goods names), tonnages of up to 4 characters with or without a decimal (E-HN-17). Each must reach the city platform
exactly as given, valid, and be accepted; the passage and its goods record share the §6.4 lsh."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import strategies as st

from harness.explore import explore, run_seed
from harness.identifiers import strategies as idst
from harness.pytest_plugin import require
from suites.henan import checks as C
from suites.henan.fuzzing import Failed, Findings
from suites.henan.session import FROM_CONFIG

pytestmark = [pytest.mark.role("client"), pytest.mark.stage("fuzz")]
STAGE = "fuzz"
EXAMPLES = 8  # each example is two adapter runs
CHECKS = ("henan.payload.params_intact", "henan.answer.accepted")
COLOUR_KEYS = {"0": "blue", "1": "yellow", "2": "white", "3": "black", "4": "green"}  # henan §7.1 -> GA 36 colours
CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5)
_numbers = itertools.count(500)  # data numbers apart from the other stages'


def tonnes() -> st.SearchStrategy[str]:
    """§4.1.6 ysl, 字符 4 in tonnes: whole tonnes or one or two decimals (E-HN-17), at most 4 characters."""
    whole = st.integers(0, 9999).map(str)
    decimal = st.builds(lambda i, f: f"{i}.{f}", st.integers(0, 99), st.integers(1, 9)) | st.builds(
        lambda i, f: f"{i}.{f:02d}", st.integers(0, 9), st.integers(1, 99))
    return st.one_of(decimal, whole)


def events() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "plate": idst.plate_and_colour(COLOUR_KEYS, "豫"),
        "hwmc": st.text(st.one_of(CJK, st.sampled_from("0123456789（）·-/#")), min_size=1, max_size=32),
        "ysl": tonnes(),
        "entering": st.booleans(),
    })


@pytest.mark.interface("shareGoodsRecord")
def test_generated_passages_and_goods_reach_the_city_intact(hc, vrun):
    d = hc.data
    findings = Findings(CHECKS)
    strip = lambda m: {k: v for k, v in m.items() if k not in FROM_CONFIG}  # noqa: E731

    def one(ev: dict) -> None:
        n = next(_numbers)
        plate, colour = ev["plate"]
        record = d.passage({"license": plate, "licenseColor": colour}, n, entering=ev["entering"])
        goods = d.goods(record) | {"hwmc": ev["hwmc"], "ysl": ev["ysl"]}
        bad = []
        for interface, params in (("shareDrivingRecord", strip(record)), ("shareGoodsRecord", strip(goods))):
            res, exs = hc.act(interface, params)
            mine = [e for e in exs if e.interface == interface and isinstance(e.request_plaintext, dict)]
            body = mine[-1].notes.get("as_envelope", mine[-1].request_plaintext) if mine else None
            sent = body.get("value", body) if isinstance(body, dict) else None
            findings.judged(hc.judge(interface, res, exs, None, stage=STAGE))
            bad += [f"{interface} {cid}" for cid in findings.add(
                {"henan.payload.params_intact": C.params_intact(sent, params),
                 "henan.answer.accepted": C.accepted(exs, interface)},
                [res.evidence(), *[e.evidence() for e in mine[-1:]]])]
        if bad:
            raise Failed(f"plate {plate} (colour {colour}), hwmc of {len(ev['hwmc'])} characters, ysl {ev['ysl']!r}: "
                         + ", ".join(bad))

    outcome = explore(one, events(), seed=run_seed(vrun.config.seed, "client-fuzz:shareGoodsRecord"),
                      max_examples=EXAMPLES, shrink=False, failure_types=(Failed,))
    require(vrun, findings.record(hc, vrun, outcome, interface="shareGoodsRecord", stage=STAGE,
                                  what="generated passages and goods records"))
