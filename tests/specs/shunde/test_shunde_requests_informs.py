"""The platform's 0x920A / 0x920B requests and its informs (schemas/shunde/requests.toml, issue 13) in both body
revisions: each frame the harness sends decodes under its own header profile to the revision's layout, the
reference forwarder answers the requests (2019: naming them by SOURCE_DATA_TYPE / SOURCE_MSG_SN) and no inform;
shunde.informs.kept judges the links. In-process, no sockets."""
from __future__ import annotations

import pytest
from proving import assert_fails, assert_passes

from harness.jt809 import HEADER_2011, HEADER_2019, Header, decode_frame, encode
from suites.shunde import checks as C
from suites.shunde import requests as R

VEHICLE = ("粤B12345", 2)
PROFILES = {"2011": HEADER_2011, "2019": HEADER_2019}


def _roundtrip(msg, revision: str, sn: int = 41):
    frame = decode_frame(encode(msg, Header(msg_sn=sn, gnss_center_id=2, time=1714552200),
                                profile=PROFILES[revision]), PROFILES[revision])
    assert not isinstance(frame.body.data, (bytes, bytearray)), frame.body
    return frame


@pytest.mark.parametrize("revision", ["2011", "2019"])
def test_driver_info_and_ewaybill_requests_are_answered_in_the_revision(revision):
    for request in (0x920A, 0x920B):
        rule = R.RULES[request]
        got = _roundtrip(R.request_message(rule, VEHICLE, revision), revision)
        assert got.body.data_type == request
        if request == 0x920A:  # the 2019 request carries FLAG, the 2011 one is the head only
            assert (getattr(got.body.data, "flag", None) == 1) == (revision == "2019")
        assert R.rule_for(got.header.msg_id, got.body) is rule
        answer = _roundtrip(R.answer_message(rule, got.body, revision, got.header.msg_sn), revision).body
        assert answer.data_type == rule.answer and answer.vehicle_no == VEHICLE[0]
        names = set(answer.data.__dataclass_fields__)
        assert ("source_msg_sn" in names) == (revision == "2019")
        if revision == "2019":
            assert (answer.data.source_data_type, answer.data.source_msg_sn) == (request, 41)
    assert answer.data.ewaybill_info == rule.fill["ewaybill_info"]


@pytest.mark.parametrize("revision", ["2011", "2019"])
def test_informs_decode_in_the_revision_and_want_no_answer(revision):
    assert set(R.INFORMS) == {0x9202, 0x9203, 0x9204, 0x9402, 0x9403}
    for inform in R.INFORMS.values():
        got = _roundtrip(R.inform_message(inform, VEHICLE, revision), revision)
        assert (got.header.msg_id, got.body.data_type) == (inform.family, inform.msg)
        assert R.rule_for(got.header.msg_id, got.body) is None  # not a request: nothing to answer
        if inform.msg == 0x9203:  # a batch in time order, each position in the revision's record
            assert len(got.body.data.gnss_data) == 2
    assert got.body.data.warn_content == "车辆疲劳驾驶"
    assert (getattr(got.body.data, "vehicle_no", None) == VEHICLE[0]) == (revision == "2019")


@pytest.mark.proves("shunde.informs.kept")
def test_informs_kept_judges_both_links():
    sent = ["0x9202 DOWN_EXG_MSG_CAR_LOCATION"]
    assert_passes("shunde.informs.kept", C.informs_kept(sent, True, True, True))
    assert_passes("shunde.informs.kept", C.informs_kept(sent, True, False, False))  # no slave link to keep
    assert "main link" in assert_fails("shunde.informs.kept", C.informs_kept(sent, False, True, True)).message
    assert "slave link" in assert_fails("shunde.informs.kept", C.informs_kept(sent, True, True, False)).message


def test_every_sample_value_names_a_field_of_some_revision():
    # request_message / inform_message leave out what the revision's layout lacks: a misspelt key would vanish.
    from harness.jt809.messages import TABLES

    def fields(family, msg):
        out = set()
        for table in TABLES.values():
            row = table.messages.get(msg) if family is None else table.subs.get(family, {}).get(msg)
            out |= set(row.cls.__dataclass_fields__) if row is not None else set()
        return out

    for rule in R.RULES.values():
        assert set(rule.sample) <= fields(rule.family, rule.request), hex(rule.request)
    for inform in R.INFORMS.values():
        assert set(inform.sample) <= fields(inform.family, inform.msg), hex(inform.msg)
