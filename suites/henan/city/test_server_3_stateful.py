"""Server role, stage `fuzz`: a Hypothesis state machine sends passages, their photos and goods records (some with
an lsh no passage has) and lets tokens expire; the platform's state (admin hook) must hold every accepted record,
linked to its passage by lsh (henan §4.1.4-§4.1.6, §6.4)."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from harness.explore import explore_machine, run_seed
from harness.pytest_plugin import require
from suites.henan import checks as C

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("fuzz")]
STAGE = "fuzz"
EXAMPLES, STEPS = 6, 15
TOKEN_TTL = 7200


def machine_for(hcs, evidence: list):
    class CityMachine(RuleBasedStateMachine):
        passages = Bundle("passages")
        examples = 0
        counter = [1000]

        def __init__(self):
            super().__init__()
            type(self).examples += 1
            self.model: dict[str, dict] = {}

        def _call(self, interface, value, note):
            reply = hcs.call(interface, value, note=f"stateful: {note}")
            evidence[:] = (evidence + [reply])[-3:]
            assert reply.accepted, f"{interface} ({note}) answered {reply.outcome}: {reply.describe()}"
            return reply

        @rule(target=passages, entering=st.booleans())
        def passage(self, entering):
            self.counter[0] += 1
            d = hcs.data
            record = d.passage(d.free_vehicle(self.counter[0]), self.counter[0], entering=entering)
            self._call("shareDrivingRecord", record, "a passage")
            self.model[record["lsh"]] = {"photos": 0, "goods": 0}
            return record

        @rule(record=passages, zpbh=st.sampled_from(["1", "2"]))
        def photo(self, record, zpbh):
            self._call("sharePhotoInfo", hcs.data.photo(record, zpbh), "a photo of the passage")
            self.model[record["lsh"]]["photos"] += 1

        @rule(record=passages)
        def goods(self, record):
            self._call("shareGoodsRecord", hcs.data.goods(record), "the goods of the passage")
            self.model[record["lsh"]]["goods"] += 1

        @rule()
        def token_expires(self):
            hcs.advance(TOKEN_TTL + 1)  # the next call gets 401, logs in again and resends (hcs.call)

        @invariant()
        def platform_keeps_what_it_accepted(self):
            kept = (hcs.state() or {}).get("passages", {})
            for lsh, want in self.model.items():
                got = kept.get(lsh)
                assert got is not None, f"passage {lsh} was accepted, the platform does not have it"
                have = {k: got.get(k) for k in ("photos", "goods")}
                assert have == want, f"passage {lsh}: accepted {want}, the platform keeps {have}"

    return CityMachine


@pytest.mark.interface("shareDrivingRecord")
def test_stateful_passages(hcs, vrun):
    if not hcs.hook:
        require(vrun, [hcs.skip("henan.server.stateful", hcs.no_hook_reason("reading the platform's records"),
                                interface="shareDrivingRecord", stage=STAGE)])
        return
    evidence: list = []
    outcome = explore_machine(machine_for(hcs, evidence), seed=run_seed(hcs.seed, "stateful"), max_examples=EXAMPLES,
                              steps=STEPS)
    if outcome.failure is not None:
        outcome.failure.replies = list(evidence)
    require(vrun, [hcs.record_outcome("henan.server.stateful", outcome, interface="shareDrivingRecord", stage=STAGE,
                                      first=evidence)])
