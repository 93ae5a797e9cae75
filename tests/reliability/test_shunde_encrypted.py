"""A JT/T 809 frame with ENCRYPT_FLAG=1 reaching a mock that has no cipher constants (issue 9).

The body cannot be read: the frame is journaled raw with the codec's `cipher_constants_missing` finding, answered
as JT/T 809 allows without its body (0x1001: 0x1002 RESULT 6 "other"; 0x1005: 0x1006), and the link goes on:
later frames in the same read are processed and nothing is counted as an internal error.
"""
from __future__ import annotations

from shunde_fakes import FakeTransport
from harness.clock import FixedClock
from harness.jt809 import Header, decode_stream, encode
from harness.jt809.frame import CipherConfig
from harness.jt809.messages import UpConnectReq, UpDisconnectReq, UpLinktestReq
from mocks.shunde.accounts import Account, AccountSheet
from mocks.shunde.links import Link
from mocks.shunde.platform import DistrictPlatform

ACCT = Account(user_id=7001, password="pw7001ab", access_code=9001, allowed_ips=["127.0.0.1"])
PROFILE = {"name": "t", "header": "2011", "encrypt": False, "main_link_only": True}
CIPHER = CipherConfig(30000000, 20000000, 20000000)


def _enc(msg, sn):
    return encode(msg, Header(msg_sn=sn, gnss_center_id=9001, encrypt_flag=1, encrypt_key=256178), cipher=CIPHER)


def _clear(msg, sn):
    return encode(msg, Header(msg_sn=sn, gnss_center_id=9001))


def _answers(transport):
    return [(e.header.msg_id, e.body) for e in decode_stream(bytes(transport.out)) if getattr(e, "header", None)]


def test_encrypted_login_without_keys_is_journaled_and_refused_and_the_read_goes_on():
    mock = DistrictPlatform(profile=dict(PROFILE), accounts=AccountSheet([ACCT]), clock=FixedClock(), seed=3)
    link, transport = Link(mock, "main"), FakeTransport()
    link.connection_made(transport)
    login = UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1)
    # One read: an encrypted login, then a clear login, then a clear heartbeat.
    link.data_received(_enc(login, 1) + _clear(login, 2) + _clear(UpLinktestReq(), 3))
    answers = _answers(transport)
    assert [(i, b.result) for i, b in answers] == [(0x1002, 6)]  # RESULT 6 "other"; E-SD-10 then closes the link
    assert transport.closing and not mock.errors
    recv = [e for e in mock.journal.entries if e.method == "recv"]
    first = recv[0]
    assert first.outcome == "encrypted_no_keys" and first.request_body == _enc(login, 1).hex().upper()
    assert (first.status, first.notes["login"]) == (6, "other")
    assert "cipher_constants_missing" in [f["code"] for f in first.notes["findings"]]
    assert len(recv) == 3  # the rest of the read is still journaled (not lost to a decoder reset)
    link.connection_lost(None)


def test_encrypted_frames_after_login_without_keys():
    mock = DistrictPlatform(profile=dict(PROFILE), accounts=AccountSheet([ACCT]), clock=FixedClock(), seed=3)
    link, transport = Link(mock, "main"), FakeTransport()
    link.connection_made(transport)
    link.data_received(_clear(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), 1)
                       + _enc(UpConnectReq(ACCT.user_id, ACCT.password, "127.0.0.1", 1), 5)[:20])
    # The partial frame of the first read is finished by nothing: it is cut off by the next start flag.
    link.data_received(_enc(UpDisconnectReq(ACCT.user_id, ACCT.password), 2) + _enc(UpLinktestReq(), 3)
                       + _clear(UpLinktestReq(), 4))
    assert [i for i, _b in _answers(transport)] == [0x1002, 0x1006, 0x1006]  # no 0x1004 for an unread 0x1003
    assert not mock.errors and not transport.closing
    outcomes = [e.outcome for e in mock.journal.entries if e.method == "recv"]
    assert outcomes == ["ok", "truncated", "encrypted_no_keys", "encrypted_no_keys", "ok"]
    assert mock.positions == {}
    link.connection_lost(None)
