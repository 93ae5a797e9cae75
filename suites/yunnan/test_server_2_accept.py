"""Server role, stage `interface`: Hypothesis-generated valid traffic on every §6 interface must be accepted."""
from __future__ import annotations

import pytest

from harness import specdata
from harness.checks import Problem, warn
from harness.explore import explore, run_seed
from harness.pytest_plugin import require
from suites.yunnan import server_checks as C
from suites.yunnan import strategies as S

pytestmark = [pytest.mark.role("server"), pytest.mark.stage("interface")]
STAGE = "interface"
UPLOADS = specdata.interfaces_of_kind("yunnan", "upload", "heartbeat")
PULLS = specdata.interfaces_of_kind("yunnan", "pull")
EXAMPLES = {"heartBeat": 5}  # one field, fixed: a few calls say all there is to say
DEFAULT_EXAMPLES = 20


class Answers:
    """Answer-format problems seen over all examples of one interface, each message once."""

    def __init__(self, interface: str, profile: dict):
        self.interface, self.profile = interface, profile
        self.found: dict[str, dict[str, Problem]] = {"shape": {}, "envelope": {}, "schema": {}}
        self.evidence: dict[str, list] = {"shape": [], "envelope": [], "schema": []}

    def judge(self, reply) -> None:
        for aspect, probs in (("shape", C.answer_shape(reply)), ("envelope", C.answer_envelope(reply)),
                              ("schema", C.answer_schema(self.interface, reply, self.profile))):
            for p in probs:
                key = p.message.split(": ", 1)[-1]  # the same finding on another exchange is not news
                if key not in self.found[aspect] and len(self.found[aspect]) < 10:
                    self.found[aspect][key] = p
                    self.evidence[aspect].append(reply)

    def record(self, yns, first) -> list:
        return [yns.record(f"yunnan.server.answer.{aspect}", list(self.found[aspect].values()), interface=self.interface,
                           stage=STAGE, evidence=self.evidence[aspect][:3] or first[:1])
                for aspect in ("shape", "envelope", "schema")]


def _alias_warnings(yns, interface: str) -> list[Problem]:
    note = yns.path_notes.get(interface)
    return [warn(note[1], note[0])] if note else []


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in UPLOADS])
def test_valid_uploads_accepted(yns, vrun, interface):
    if not yns.ready:
        pytest.fail("registration or token failed; see init-auth and getToken")
    answers, first = Answers(interface, vrun.profile), []

    def one(plain: dict) -> None:
        plain = yns.prepare(yns.main, interface, plain)  # its vehicle in the ledger, its recordId issued (§6.13/14)
        reply = yns.send(yns.main, interface, plain, note="generated valid request")
        answers.judge(reply)
        if not first:
            first.append(reply)
        if not reply.accepted:
            raise C.Violation("yunnan.server.accept", f"valid {interface} refused: {reply.describe()}", [reply])

    strategy = S.requests(interface, yns.main.eid, vrun.profile)
    outcome = explore(one, strategy, seed=run_seed(yns.seed, f"accept:{interface}"),
                        max_examples=EXAMPLES.get(interface, DEFAULT_EXAMPLES))
    results = [yns.record_outcome("yunnan.server.accept", outcome, interface=interface, stage=STAGE, first=first,
                                  extra=_alias_warnings(yns, interface),
                                  passed=f"{outcome.examples} generated valid {interface} requests accepted")]
    require(vrun, results + answers.record(yns, first))


@pytest.mark.parametrize("interface", [pytest.param(i, marks=pytest.mark.interface(i), id=i) for i in PULLS])
def test_valid_pulls_accepted(yns, vrun, interface):
    """Pull queries in the examples' timestamp format (E-YN-17); every page's data decrypts and matches §6.6–§6.9."""
    if not yns.ready:
        pytest.fail("registration or token failed; see init-auth and getToken")
    answers, first = Answers(interface, vrun.profile), []

    def one(query: dict) -> None:
        pull = yns.pull(yns.main, interface, query)
        for page in pull.pages:
            answers.judge(page)
        if not first:
            first.extend(pull.pages[:1])
        if pull.error:
            raise C.Violation("yunnan.server.accept", f"valid {interface} query {query} refused: {pull.error}",
                              pull.pages[-1:])

    outcome = explore(one, S.queries(interface, yns.main.eid), seed=run_seed(yns.seed, f"accept:{interface}"),
                        max_examples=5)
    result = yns.record_outcome("yunnan.server.accept", outcome, interface=interface, stage=STAGE, first=first,
                                passed=f"{outcome.examples} generated valid {interface} queries answered")
    require(vrun, [result] + answers.record(yns, first))
