"""The software's own confirm policy (yunnan §6.8, §6.10), judged on journal exchanges: each check passes the
policy the reference client follows and fails the one it names."""
from __future__ import annotations

from harness.journal import Exchange
from suites.yunnan import checks as C

PULL, CONFIRM = "alarmVehicle", "alarmConfirm"


def page(seq: int, ids: list[str], outcome: str = "ok") -> Exchange:
    return Exchange("yunnan", 0.0, interface=PULL, seq=seq, outcome=outcome,
                    response_plaintext={"isNew": "0", "records": [{"alarmId": i, "recordId": "R" + i} for i in ids]})


def confirm(seq: int, ids: list[str], outcome: str = "ok") -> Exchange:
    return Exchange("yunnan", 0.0, interface=CONFIRM, seq=seq, outcome=outcome, request_plaintext={"alarmId": ",".join(ids)})


IDS = [f"A{i:03d}" for i in range(250)]
GOOD = [page(1, IDS[:100]), page(2, IDS[100:200]), page(3, IDS[200:]),
        confirm(4, IDS[:100]), confirm(5, IDS[100:200]), confirm(6, IDS[200:])]


def levels(problems) -> list[str]:
    return [p.level for p in problems]


def test_reference_policy_passes_every_check():
    assert C.confirm_all_received(GOOD, PULL, "alarmId", CONFIRM, "alarmId") == []
    assert C.confirm_once(GOOD, CONFIRM, "alarmId") == []
    assert C.confirm_batch_size(GOOD, CONFIRM, "alarmId", 100, True) == []
    assert C.confirm_after_receipt(GOOD, {e.seq for e in GOOD}, PULL, "alarmId", CONFIRM, "alarmId") == []


def test_never_confirming_fails_all_received():
    probs = C.confirm_all_received(GOOD[:3], PULL, "alarmId", CONFIRM, "alarmId")
    assert levels(probs) == ["fail"] and "never called alarmConfirm" in probs[0].message


def test_a_refused_confirm_does_not_count_and_may_be_retried():
    exs = GOOD[:3] + [confirm(4, IDS[:100], outcome="token_expired")] + GOOD[3:]
    assert C.confirm_all_received(exs, PULL, "alarmId", CONFIRM, "alarmId") == []
    assert C.confirm_once(exs, CONFIRM, "alarmId") == []
    refused = GOOD[:3] + [confirm(4, IDS[:100], outcome="too_many_ids"), confirm(5, IDS[100:200])]
    assert "150 of 250" in C.confirm_all_received(refused, PULL, "alarmId", CONFIRM, "alarmId")[0].message


def test_confirming_twice_fails_once():
    probs = C.confirm_once(GOOD + [confirm(7, IDS[:3])], CONFIRM, "alarmId")
    assert levels(probs) == ["fail"] and "3 ids" in probs[0].message and "#4, #7" in probs[0].message


def test_over_100_ids_fails_where_stated_and_warns_under_e_yn_20():
    one_call = GOOD[:3] + [confirm(4, IDS)]
    assert levels(C.confirm_batch_size(one_call, CONFIRM, "alarmId", 100, True)) == ["fail"]
    probs = C.confirm_batch_size(one_call, CONFIRM, "alarmId", 100, False)
    assert levels(probs) == ["warn"] and probs[0].errata == "E-YN-20"
    assert levels(C.confirm_batch_size(one_call, CONFIRM, "alarmId", 100, False, strict=True)) == ["fail"]
    assert C.confirm_batch_size(GOOD[:3] + [confirm(4, IDS[:100])], CONFIRM, "alarmId", 100, True) == []


def test_confirming_before_receipt_or_other_ids_fails_after_receipt():
    early = [page(1, IDS[:100]), confirm(2, IDS[:200]), page(3, IDS[100:200])]
    probs = C.confirm_after_receipt(early, {1, 2, 3}, PULL, "alarmId", CONFIRM, "alarmId")
    assert levels(probs) == ["fail"] and probs[0].message.startswith("100 ids")
    wrong = GOOD[:3] + [confirm(4, ["R" + i for i in IDS[:100]])]
    assert levels(C.confirm_after_receipt(wrong, {1, 2, 3, 4}, PULL, "alarmId", CONFIRM, "alarmId")) == ["fail"]


def test_after_receipt_counts_what_an_earlier_action_received():
    """Records received in an earlier pull (outside this action) may be confirmed now."""
    earlier, now = [page(1, IDS[:10])], [confirm(2, IDS[:10])]
    assert C.confirm_after_receipt(earlier + now, {2}, PULL, "alarmId", CONFIRM, "alarmId") == []
