"""Server role, stage `fuzz`: a Hypothesis state machine runs, modifies and closes control projects in any order
(henan §4.2.22-§4.2.24) and checks that the platform accepts exactly what the life cycle allows: modify and
close while a project runs (or was modified), nothing once it is closed."""
from __future__ import annotations

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from harness.explore import explore_machine, run_seed
from harness.pytest_plugin import require
from suites.henan.reference_city_platform import Refused

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("fuzz")]
STAGE = "fuzz"
EXAMPLES, STEPS = 8, 12
CHECK = "henan.province.server.stateful.projects"


def machine_for(hps):
    class ProjectMachine(RuleBasedStateMachine):
        projects = Bundle("projects")
        examples = 0

        def __init__(self):
            super().__init__()
            type(self).examples += 1
            self.state: dict[str, str] = {}  # project code -> running | modified | closed (the model)
            self.n = 0

        def _send(self, method: str, body: dict) -> dict:
            reply = hps.raw(method, {"accessToken": hps.city.token()} | body)
            if not isinstance(reply.body, dict) or reply.body.get("result") not in ("success", "fail"):
                raise AssertionError(f"{method}: no {{result}} answer: {reply.describe()}")
            return reply.body

        @initialize(target=projects)
        def run_first(self):
            return self.run()

        @rule(target=projects)
        def run(self):
            self.n += 1
            project = hps.data.project() | {"controlProject": f"状态机方案{type(self).examples}-{self.n}"}
            answer = self._send("RunControlProject", project)
            assert answer["result"] == "success", f"RunControlProject refused: {answer.get('err')}"
            code = answer["data"]["controlProjectCode"]
            self.state[code] = "running"
            return (code, project)

        @rule(p=projects, level=st.sampled_from(["1", "2", "3", "4"]))
        def modify(self, p, level):
            code, project = p
            answer = self._send("ModifyControlProject", {"controlProjectCode": code}
                                | hps.data.project_modify(project) | {"controlLevel": level})
            allowed = self.state[code] != "closed"
            assert (answer["result"] == "success") == allowed, (
                f"ModifyControlProject on a {self.state[code]} project answered {answer['result']} "
                f"({answer.get('err')}); §4.2.23 allows it {'' if allowed else 'not '}in that state")
            if allowed:
                self.state[code] = "modified"

        @rule(p=projects)
        def close(self, p):
            code, project = p
            answer = self._send("CloseControlProject", {"controlProjectCode": code} | hps.data.project_close(project))
            allowed = self.state[code] != "closed"
            assert (answer["result"] == "success") == allowed, (
                f"CloseControlProject on a {self.state[code]} project answered {answer['result']} "
                f"({answer.get('err')}); §4.2.24 allows it {'' if allowed else 'not '}in that state")
            self.state[code] = "closed"

    return ProjectMachine


@pytest.mark.interface("ModifyControlProject")
def test_project_life_cycle_under_any_order(hps, vrun):
    try:
        hps.city.token()
    except Refused as exc:
        pytest.fail(f"no token: {exc}")
    machine = machine_for(hps)
    outcome = explore_machine(machine, seed=run_seed(hps.seed, CHECK), max_examples=EXAMPLES, steps=STEPS)
    require(vrun, [hps.record_outcome(CHECK, outcome, interface="ModifyControlProject", stage=STAGE,
                                      passed=f"{outcome.examples} generated sequences of run/modify/close held")])
