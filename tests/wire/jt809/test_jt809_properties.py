"""Hypothesis properties: encode->decode identity for random valid messages, and random bytes never raise."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.jt809 import (HEADER_2011, HEADER_2019, CipherConfig, Frame, FrameDecoder, FrameError, Header, crc16,
                           crc16_table, crypt, decode_frame, encode, encode_raw, escape, lint, unescape)
from harness.jt809.cli import decode_input
from harness.jt809.jsonview import event_to_json
from harness.jt809 import layouts
from harness.jt809 import messages as m

U8, U16, U32 = (st.integers(0, 2**n - 1) for n in (8, 16, 32))
# ASCII, Chinese plate characters, and 'Z' '[' ']' '^' (0x5A 0x5B 0x5D 0x5E) that need escaping on the wire.
ALPHABET = list("AZaz09.-_[]^ ") + list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
                                       "使领学警港澳挂")


def _fit(value: str, size: int) -> str:
    while len(value.encode("gbk")) > size:
        value = value[:-1]
    return value


def texts(size: int):
    return st.lists(st.sampled_from(ALPHABET), max_size=size).map(lambda cs: _fit("".join(cs), size))


def _real(fields) -> bool:
    d, mo, y, h, mi, s = fields
    try:
        datetime(y, mo, d, h, mi, s)
        return True
    except ValueError:
        return False


times = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59, 59)).map(lambda t: t.replace(microsecond=0))
bad_times = st.tuples(U8, U8, U16, U8, U8, U8).filter(lambda f: not _real(f))


@st.composite
def locations(draw):
    valid = draw(st.booleans())
    return m.Location(draw(U8), draw(times) if valid else None, draw(U32) / 1e6, draw(U32) / 1e6, draw(U16),
                      draw(U16), draw(U32), draw(U16), draw(U16), draw(U32), draw(U32),
                      None if valid else draw(bad_times))


@st.composite
def registers(draw):
    size = draw(st.sampled_from([20, 8]))
    return m.Register(draw(texts(11)), draw(texts(11)), draw(texts(size)), draw(texts(7)), draw(texts(12)), size)


exg_data = st.one_of(
    locations().map(lambda x: (0x1202, x)),
    st.lists(locations(), max_size=7).map(lambda xs: (0x1203, m.HistoryLocation(xs))),
    registers().map(lambda x: (0x1201, x)),
)

bodies = st.one_of(
    st.builds(m.UpConnectReq, U32, texts(8), texts(32), U16),
    st.builds(m.UpConnectRsp, U8, U32),
    st.builds(m.UpDisconnectReq, U32, texts(8)),
    st.builds(m.UpDisconnectInform, U8),
    st.builds(m.UpCloselinkInform, U8),
    st.builds(m.DownConnectReq, U32),
    st.builds(m.DownConnectRsp, U8),
    st.builds(m.DownDisconnectReq, U32),
    st.builds(m.DownDisconnectInform, U8),
    st.sampled_from([m.UpDisconnectRsp(), m.UpLinktestReq(), m.UpLinktestRsp(), m.DownDisconnectRsp(),
                     m.DownLinktestReq(), m.DownLinktestRsp()]),
    st.builds(lambda plate, color, d: m.UpExgMsg(plate, color, d[0], d[1]), texts(21), U8, exg_data),
)

# ---- every table-driven row of layouts.toml, and the 2019 body revision


def _table_object(draw, cls):
    values = {}
    specs = layouts.SPECS[cls]
    for f in specs:
        if f.kind == "int":
            values[f.name] = None if f.counts_rest else draw(st.integers(0, 2 ** (8 * f.size) - 1))
        elif f.kind == "bcd":
            values[f.name] = draw(st.text("0123456789", min_size=2 * f.size, max_size=2 * f.size))
        elif f.kind == "records":
            values[f.name] = draw(st.lists(st.fixed_dictionaries(
                {i.name: st.integers(0, 2 ** (8 * i.size) - 1) for i in f.items}), max_size=4))
        elif f.kind == "text":
            values[f.name] = draw(texts(f.size or 40))
        elif f.kind == "bytes":
            values[f.name] = draw(st.binary(min_size=f.size or 0, max_size=f.size or 40))
        elif f.kind == "gnss":
            values[f.name] = draw(locations())
        elif f.kind == "gnss2019":
            values[f.name] = draw(locations_2019())
        elif f.kind == "gnss2019_list":
            values[f.name] = draw(st.lists(locations_2019(), max_size=3))
        else:
            values[f.name] = draw(st.lists(locations(), max_size=5))
    for f in specs:  # a length (count) field holds the length of what it counts
        if f.ref:
            value = values[f.name]
            values[f.ref] = len(value.encode("gbk") if isinstance(value, str) else value)
    obj = cls(**values)
    for f in specs:  # a len_u32 field: the byte count the encoder computes (the decoder gives it back)
        if f.counts_rest:
            row = layouts.BY_CLASS[cls]
            setattr(obj, f.name, getattr(row.decode(row.encode(obj), []), f.name))
    return obj


@st.composite
def locations_2019(draw):
    return m.Location2019(draw(U8), draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31, 23, 59, 59))
                                         .map(lambda t: t.replace(microsecond=0))),
                          draw(U32) / 1e6, draw(U32) / 1e6, draw(st.integers(0, 6553)),
                          draw(st.none() | st.integers(0, 6553)), draw(st.none() | st.integers(0, 429496729)),
                          draw(U16), draw(U16), draw(U32), draw(U32),
                          draw(st.lists(st.tuples(st.integers(4, 255), st.binary(max_size=8)), max_size=3)),
                          draw(texts(11)), draw(U32), draw(texts(11)), draw(U32), draw(texts(11)), draw(U32))


@st.composite
def table_bodies(draw, revision):
    """A random body of any MSG_ID or DATA_TYPE row of the revision (families wrap their sub-messages)."""
    table = m.TABLES[revision]
    rows = [("msg", r) for r in table.messages.values() if r.cls in layouts.SPECS]
    rows += [("sub", (fam, r)) for fam, subs in table.subs.items() for r in subs.values() if r.cls in layouts.SPECS]
    kind, row = draw(st.sampled_from(rows))
    if kind == "msg":
        return _table_object(draw, row.cls)
    fam, sub = row
    outer = table.messages[fam].cls
    data = _table_object(draw, sub.cls)
    if "vehicle_no" in outer.__dataclass_fields__:
        return outer(draw(texts(21)), draw(U8), None, data)
    return outer(None, data)


bodies_2019 = st.one_of(
    bodies.filter(lambda b: not isinstance(b, (m.UpConnectReq, m.UpExgMsg))),
    table_bodies("2019"),
    st.builds(lambda plate, color, loc: m.UpExgMsg(plate, color, None, loc), texts(21), U8, locations_2019()),
    st.builds(lambda plate, color, locs: m.UpExgMsg(plate, color, None, m.HistoryLocation2019(locs)), texts(21), U8,
              st.lists(locations_2019(), max_size=5)),
)
bodies_2011 = st.one_of(bodies, table_bodies("2011"))
profiles = st.sampled_from([HEADER_2011, HEADER_2019])
ciphers = st.builds(CipherConfig, U32, U32, U32)


@st.composite
def headers(draw, profile):
    return Header(None, draw(U32), None, draw(U32), draw(st.tuples(U8, U8, U8)), draw(st.sampled_from([0, 1, 2, 255])),
                  draw(U32), draw(st.integers(0, 2**64 - 1)) if profile.has_time else None)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), profiles, ciphers)
def test_round_trip(data, profile, cipher):
    body = data.draw(bodies_2019 if profile.name == "2019" else bodies_2011)
    header = data.draw(headers(profile))
    raw = encode(body, header, cipher=cipher, profile=profile)
    assert raw[0] == 0x5B and raw[-1] == 0x5D and 0x5B not in raw[1:-1] and 0x5D not in raw[1:-1]
    frame = decode_frame(raw, profile, cipher)
    assert isinstance(frame, Frame), frame
    msg_id = m.message_type(body).msg_id
    assert frame.header == replace(header, msg_id=msg_id, msg_length=len(unescape(raw[1:-1])[0]) + 2)
    assert frame.body == body
    # the same bytes through the incremental decoder, in uneven reads
    cut = data.draw(st.integers(0, len(raw)))
    decoder = FrameDecoder(profile, cipher)
    decoder.feed(raw[:cut])
    early = list(decoder.events())
    decoder.feed(raw[cut:])
    (again,) = early + list(decoder.events())
    assert again.body == body and again.header == frame.header


@given(st.binary(max_size=300))
def test_escape_round_trip(data):
    escaped = escape(data)
    assert 0x5B not in escaped and 0x5D not in escaped
    assert unescape(escaped) == (data, [])


@given(st.binary(max_size=200))
def test_crc_table_and_fast_path_agree(data):
    assert crc16(data) == crc16_table(data)


def test_crc_check_value():
    assert crc16(b"123456789") == crc16_table(b"123456789") == 0x29B1  # CRC-16/CCITT-FALSE catalogue check


@given(st.binary(max_size=200), U32, ciphers)
def test_cipher_is_its_own_inverse(data, key, cipher):
    assert crypt(crypt(data, key, cipher), key, cipher) == data


# ---- robustness: whatever arrives, decoding yields events and never raises

frame_bits = st.sampled_from([b"\x5b", b"\x5d", b"\x5a", b"\x5e", b"\x5a\x01", b"\x5e\x02", b"\x00" * 22,
                              encode(m.UpLinktestReq()), encode(m.UpExgMsg("粤A", 2, 0x1202, m.Location()))])
noise = st.lists(st.one_of(st.binary(max_size=40), frame_bits), max_size=12).map(b"".join)


def _mutate(raw: bytes, edits) -> bytes:
    buf = bytearray(raw)
    for position, value, kind in edits:
        if not buf:
            break
        i = position % len(buf)
        if kind == 0:
            buf[i] = value
        elif kind == 1:
            del buf[i]
        else:
            buf.insert(i, value)
    return bytes(buf)


mutated = st.builds(lambda body, edits: _mutate(encode(body), edits), bodies,
                    st.lists(st.tuples(U16, U8, st.integers(0, 2)), min_size=1, max_size=4))


def _exg_body(plate: bytes, data_type: int, data: bytes) -> bytes:
    return plate.ljust(21, b"\x00")[:21] + b"\x02" + data_type.to_bytes(2, "big") + len(data).to_bytes(4, "big") + data


# Well-formed frames (right CRC and length) around random bodies reach the body codecs and lint.
known_ids = st.sampled_from(sorted(m.MESSAGES)) | U16
exg_bodies = st.builds(_exg_body, st.binary(max_size=21), st.sampled_from([0x1201, 0x1202, 0x1203]) | U16,
                       st.binary(max_size=200) | st.builds(lambda n, b: bytes([n]) + b, U8, st.binary(max_size=220)))
reframed = st.one_of(
    st.builds(lambda i, b, f: encode_raw(Header(msg_id=i, encrypt_flag=f), b), known_ids, st.binary(max_size=80),
              st.sampled_from([0, 2])),
    st.builds(lambda b: encode_raw(Header(msg_id=0x1200), b), exg_bodies),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=400), noise, mutated, reframed), st.lists(st.integers(1, 64), max_size=20),
       profiles, st.none() | ciphers)
def test_random_bytes_never_raise(data, reads, profile, cipher):
    decoder = FrameDecoder(profile, cipher, max_frame=256)
    events, pos = [], 0
    for size in reads:
        decoder.feed(data[pos:pos + size])
        events += decoder.events()
        pos += size
    decoder.feed(data[pos:])
    decoder.close()
    events += decoder.events()
    assert b"".join(e.raw for e in events) == data
    for event in events:
        assert isinstance(event, (Frame, FrameError))
        frame = event if isinstance(event, Frame) else event.partial
        if frame is not None:
            lint(frame)
        json.dumps(event_to_json(event), ensure_ascii=False)
    json.dumps(decode_input(0, data.hex(), profile, cipher), ensure_ascii=False)
