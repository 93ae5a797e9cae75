"""The Yunnan mock's token map stays bounded under a getToken flood without changing which tokens are valid
(yunnan §6.2: a token lives `expireTime` seconds; nothing says a new token ends an older one)."""
from __future__ import annotations

from harness import specdata
from harness.clock import FixedClock
from mocks.yunnan import state as ynstate
from mocks.yunnan.state import PlatformState

EP = specdata.endpoints("yunnan")
TTL = float(EP["token_ttl"])


def _state():
    st = PlatformState(EP, clock=FixedClock(), key_bits=1024)
    return st, st.register("91530100MA6K000001", "A", "pk"), st.register("91530100MA6K000002", "B", "pk")


def test_get_token_flood_keeps_only_live_tokens():
    st, a, b = _state()
    per_life = 50  # getToken calls within one token life
    issued = []
    for i in range(40 * per_life):  # forty token lives' worth of getToken calls
        issued.append(st.issue_token(a if i % 2 else b))
        st.clock.advance(TTL / per_life)
        assert len(st.tokens) <= per_life + 1  # expired tokens leave the map: it is bounded by the live ones
    assert len(st._ended) <= ynstate.ENDED_TOKENS
    # Which tokens are valid did not change: the live ones still are, all of them, for their own client only.
    live = [t for t in issued if st.clock.now() < t.expires_at]
    assert len(live) >= per_life - 1
    for t in live:
        assert st.token_status(t.value, t.api_key) == "ok"
        other = b.api_key if t.api_key == a.api_key else a.api_key
        assert st.token_status(t.value, other) == "other_client"
    # A recently expired one still reads as expired, not unknown; a made-up one is unknown.
    assert st.token_status(issued[-per_life - 2].value, issued[-per_life - 2].api_key) == "expired"
    assert st.token_status("x" * 32, a.api_key) == "unknown"


def test_flood_within_one_life_keeps_every_token_valid():
    st, a, _ = _state()
    toks = [st.issue_token(a) for _ in range(300)]
    assert all(st.token_status(t.value, a.api_key) == "ok" for t in toks)  # no cap: the spec sets none
    st.clock.advance(TTL)
    st.issue_token(a)
    assert len(st.tokens) == 1
    assert st.token_status(toks[0].value, a.api_key) == "expired"


def test_revoked_tokens_leave_the_map_and_stay_refused():
    st, a, b = _state()
    ta, tb = st.issue_token(a), st.issue_token(b)
    assert st.expire_tokens(a.api_key) == 1
    assert st.token_status(ta.value, a.api_key) == "revoked"
    assert st.token_status(tb.value, b.api_key) == "ok"
    assert list(st.tokens) == [tb.value]
