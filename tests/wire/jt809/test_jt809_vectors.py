"""Golden tests on every JT/T 809 vector, plus an independent bit-wise verifier that does not use the codec."""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from harness.jt809 import PROFILES, CipherConfig, Frame, Location, decode_frame, encode, lint
from harness.jt809 import layouts
from harness.jt809.base import BodyError
from harness.jt809.jsonview import body_to_json, data_to_json, header_to_json, location_to_json, message_from_json
from harness.jt809.messages import TABLES
from harness.jt809.frame import Header

VECTOR_DIR = Path(__file__).resolve().parents[1] / "vectors" / "jt809"
VECTORS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(VECTOR_DIR.glob("*.json"))}
FRAMES = [name for name, v in VECTORS.items() if v["kind"] == "frame"]
# Bodies without a frame (outside vectors: another implementation's tests serialize bodies alone): a message body
# ("body", by MSG_ID) or a family's sub-message ("sub_body", by family MSG_ID and DATA_TYPE), in one revision.
BODIES = [name for name, v in VECTORS.items() if v["kind"] in ("body", "sub_body")]
# Outside implementations' test suites: SmallChi/JT809 (C#) and zboyco/jtt809 (Go), a test file at a commit.
OUTSIDE_TEST = re.compile(r"^(SmallChi/JT809 src/\S+\.cs @[0-9a-f]{40} \(C#, xUnit test\)"
                          r"|zboyco/jtt809 \S+_test\.go @[0-9a-f]{40} \(Go test\))$")
# An outside implementation's layout (its serializer or message class at a commit): the bytes of a vector citing
# one were assembled by us from that layout (`origin` "assembled"), not copied from a test.
OUTSIDE_LAYOUT = re.compile(r"^(SmallChi/JT809|SuperSocket/SuperSocket\.JTT) src/\S+\.cs @[0-9a-f]{40} \(C#, layout\)$")
OUTSIDE = re.compile(f"{OUTSIDE_TEST.pattern}|{OUTSIDE_LAYOUT.pattern}")


def _cipher(vector):
    return CipherConfig(**vector["cipher"]) if vector.get("cipher") else None


# ---- the independent verifier: bit-serial CRC, byte loop unescape, offsets by hand, own keystream loop


def bit_crc(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        for bit in range(7, -1, -1):
            feedback = ((crc >> 15) & 1) ^ ((byte >> bit) & 1)
            crc = (crc << 1) & 0xFFFF
            if feedback:
                crc ^= 0x1021
    return crc


def loop_unescape(data: bytes) -> bytes:
    pairs = {(0x5A, 1): 0x5B, (0x5A, 2): 0x5A, (0x5E, 1): 0x5D, (0x5E, 2): 0x5E}
    out, i = bytearray(), 0
    while i < len(data):
        if data[i] in (0x5A, 0x5E):
            out.append(pairs[(data[i], data[i + 1])])
            i += 2
        else:
            assert data[i] not in (0x5B, 0x5D)
            out.append(data[i])
            i += 1
    return bytes(out)


def loop_decrypt(data: bytes, key: int, m1: int, ia1: int, ic1: int) -> bytes:
    key, m1, out = key or 1, m1 or 1, bytearray()
    for byte in data:
        key = (ia1 * (key % m1) + ic1) % 2**32
        out.append(byte ^ ((key >> 20) & 0xFF))
    return bytes(out)


def be(data: bytes) -> int:
    return int.from_bytes(data, "big")


def verify_location(block: bytes, expected: dict) -> None:
    assert len(block) == 36
    day, month, year, hour, minute, sec = block[1], block[2], be(block[3:5]), block[5], block[6], block[7]
    assert f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{sec:02d}" == expected["time"]
    assert be(block[8:12]) == round(expected["lon_deg"] * 1_000_000)
    assert be(block[12:16]) == round(expected["lat_deg"] * 1_000_000)
    assert [be(block[16:18]), be(block[18:20]), be(block[20:24]), be(block[24:26]), be(block[26:28])] == [
        expected[k] for k in ("vec1", "vec2", "vec3", "direction", "altitude")]
    assert (be(block[28:32]), be(block[32:36])) == (expected["state"], expected["alarm"])


# The layout table read here with its own loop (not the codec's), for the messages beyond jt809.md's.
LAYOUTS = tomllib.loads((Path(__file__).resolve().parents[3] / "harness" / "jt809" / "layouts.toml").read_text("utf-8"))
SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8, "time": 8, "len_u32": 4}


def table_row(msg_id: int, family: int | None, revision: str) -> dict | None:
    rows = [r for r in LAYOUTS["message"] if r["id"] == msg_id and r.get("family") == family and "fields" in r]
    for r in rows:
        if r.get("revision", "2011") == revision:
            return r
    return next((r for r in rows if "revision" not in r), None)


def verify_fields(fields: list[str], data: bytes, expected: dict, numbers: tuple[str, ...] = ()) -> None:
    """`numbers`: text fields the vector's implementation writes as big-endian numbers (E-SD-18)."""
    gbk = lambda b: b.rstrip(b"\x00").decode("gbk")  # noqa: E731
    pos = 0
    for spec in fields:
        name, typ = spec.split(":", 1)
        if typ in SIZES:
            n = SIZES[typ]
            assert be(data[pos:pos + n]) == expected[name], name
            if typ == "len_u32":
                assert expected[name] == len(data) - pos - n, name
        elif typ.startswith("bcd:"):
            n = int(typ[4:])
            assert data[pos:pos + n].hex() == expected[name], name
        elif typ.startswith("records@"):
            count, inner = typ[len("records@"):].rstrip(")").split("(")
            items, n = [], 0
            for _ in range(expected[count]):
                rec = {}
                for item in inner.split(","):
                    iname, ityp = item.split(":")
                    rec[iname] = be(data[pos + n:pos + n + SIZES[ityp]])
                    n += SIZES[ityp]
                items.append(rec)
            assert items == [{k: v for k, v in r.items() if not k.endswith("_iso")} for r in expected[name]], name
        elif typ == "gnss":
            n = 36
            verify_location(data[pos:pos + n], expected[name])
        elif typ == "gnss_list":
            assert data[pos] == len(expected[name])
            for i, loc in enumerate(expected[name]):
                verify_location(data[pos + 1 + 36 * i:pos + 37 + 36 * i], loc)
            n = 1 + 36 * data[pos]
        elif typ == "gnss2019":
            n = verify_location_2019(data, pos, expected[name]) - pos
        elif typ == "gnss2019_list":
            assert data[pos] == len(expected[name])
            end = pos + 1
            for loc in expected[name]:
                end = verify_location_2019(data, end, loc)
            n = end - pos
        else:
            kind, size = typ.split(":")[0].split("@")[0].rstrip("*"), None
            if ":" in typ:
                size = int(typ.split(":")[1])
            elif "@" in typ:
                size = expected[typ.split("@")[1]]
            else:
                size = len(data) - pos
            n = size
            raw = data[pos:pos + n]
            if name in numbers:
                assert str(be(raw)) == expected[name], name
            else:
                assert (gbk(raw) if kind == "text" else raw.hex().upper()) == expected[name], name
        pos += n
    assert pos == len(data)


def verify_location_2019(data: bytes, pos: int, expected: dict) -> int:
    gnss_len = be(data[pos + 1:pos + 5])
    g = data[pos + 5:pos + 5 + gnss_len]
    assert data[pos] == expected["encrypt"]
    if "gnss_data_hex" in expected:  # GNSS_DATA that is no JT/T 808 0x0200 body (outside tests' filler): raw
        assert len(g) < 28 and g.hex().upper() == expected["gnss_data_hex"]
        return _verify_platforms(data, pos + 5 + gnss_len, expected)
    assert (be(g[0:4]), be(g[4:8])) == (expected["alarm"], expected["state"])
    assert be(g[8:12]) == round(expected["lat_deg"] * 1e6) and be(g[12:16]) == round(expected["lon_deg"] * 1e6)
    assert (be(g[16:18]), be(g[18:20]), be(g[20:22])) == (expected["altitude"], expected["vec1"] * 10,
                                                           expected["direction"])
    t = g[22:28].hex()
    assert f"20{t[0:2]}-{t[2:4]}-{t[4:6]}T{t[6:8]}:{t[8:10]}:{t[10:12]}" == expected["time"]
    items, i = {}, 28
    while i < len(g):
        items[g[i]] = g[i + 2:i + 2 + g[i + 1]]
        i += 2 + g[i + 1]
    assert i == len(g)
    if expected["vec3"] is not None:
        assert be(items.pop(0x01)) == expected["vec3"] * 10
    if expected["vec2"] is not None:
        assert be(items.pop(0x03)) == expected["vec2"] * 10
    assert {k: v.hex().upper() for k, v in items.items()} == {x["id"]: x["value_hex"] for x in expected["extras"]}
    return _verify_platforms(data, pos + 5 + gnss_len, expected)


def _verify_platforms(data: bytes, end: int, expected: dict) -> int:
    assert len(data) >= end + 45
    for k in range(3):
        block = data[end + 15 * k:end + 15 * (k + 1)]
        assert block[:11].rstrip(b"\x00").decode("gbk") == expected[f"platform_id{k + 1}"]
        assert be(block[11:15]) == expected[f"alarm{k + 1}"]
    return end + 45


def verify_family(msg_id: int, body: bytes, expected: dict, revision: str) -> None:
    family = next(f for f in LAYOUTS["family"] if f["id"] == msg_id)
    gbk = lambda b: b.rstrip(b"\x00").decode("gbk")  # noqa: E731
    if family["head"] == "vehicle":
        assert gbk(body[:21]) == expected["vehicle_no"] and body[21] == expected["vehicle_color"]
        body = body[22:]
    data_type, data = be(body[0:2]), body[6:]
    assert data_type == expected["data_type"] and be(body[2:6]) == len(data)
    if revision == "2019" and (msg_id, data_type) == (0x1200, 0x1202):
        assert verify_location_2019(data, 0, expected["data"]) == len(data)
        return
    if revision == "2019" and (msg_id, data_type) == (0x1200, 0x1203):
        pos = 1
        assert data[0] == len(expected["data"]["locations"])
        for loc in expected["data"]["locations"]:
            pos = verify_location_2019(data, pos, loc)
        assert pos == len(data)
        return
    row = table_row(data_type, msg_id, revision)
    assert row is not None, f"verifier has no layout for DATA_TYPE {data_type:#x}"
    verify_fields(row["fields"], data, expected["data"])


def verify_body(msg_id: int, body: bytes, expected: dict, revision: str = "2011") -> None:
    gbk = lambda b: b.rstrip(b"\x00").decode("gbk")  # noqa: E731
    row = table_row(msg_id, None, revision)
    if row is not None:
        verify_fields(row["fields"], body, expected)
    elif msg_id == 0x1200 and (revision == "2019" or expected["data_type"] not in (0x1201, 0x1202, 0x1203)):
        verify_family(msg_id, body, expected, revision)
    elif msg_id != 0x1200 and any(f["id"] == msg_id for f in LAYOUTS["family"]):
        verify_family(msg_id, body, expected, revision)
    elif msg_id == 0x1001:
        assert (be(body[:4]), gbk(body[4:12]), gbk(body[12:44]), be(body[44:46])) == (
            expected["user_id"], expected["password"], expected["down_link_ip"], expected["down_link_port"])
        assert len(body) == 46
    elif msg_id == 0x1002:
        assert len(body) == 5 and (body[0], be(body[1:5])) == (expected["result"], expected["verify_code"])
    elif msg_id == 0x9001:
        assert len(body) == 4 and be(body) == expected["verify_code"]
    elif msg_id == 0x9007:
        assert len(body) == 1 and body[0] == expected["error_code"]
    elif msg_id in (0x1005, 0x1006):
        assert body == b""
    elif msg_id == 0x1200:
        assert gbk(body[:21]) == expected["vehicle_no"] and body[21] == expected["vehicle_color"]
        data_type, data = be(body[22:24]), body[28:]
        assert data_type == expected["data_type"] and be(body[24:28]) == len(data)
        if data_type == 0x1202:
            verify_location(data, expected["data"])
        elif data_type == 0x1203:
            assert data[0] == len(expected["data"]["locations"]) and len(data) == 1 + 36 * data[0]
            for i, loc in enumerate(expected["data"]["locations"]):
                verify_location(data[1 + 36 * i:37 + 36 * i], loc)
        elif data_type == 0x1201:
            parts = [data[0:11], data[11:22], data[22:42], data[42:49], data[49:61]]
            assert len(data) == 61
            assert [gbk(p) for p in parts] == [expected["data"][k] for k in (
                "platform_id", "producer_id", "terminal_model_type", "terminal_id", "terminal_simcode")]
        else:
            pytest.fail(f"verifier has no layout for DATA_TYPE {data_type:#x}")
    else:
        pytest.fail(f"verifier has no layout for MSG_ID {msg_id:#x}")


@pytest.mark.parametrize("name", FRAMES)
def test_independent_verifier(name):
    vector = VECTORS[name]
    raw = bytes.fromhex(vector["hex"])
    assert raw[0] == 0x5B and raw[-1] == 0x5D
    inner = loop_unescape(raw[1:-1])
    head = 30 if vector["header_profile"] == "2019" else 22
    exp = vector["expected"]["header"]
    assert be(inner[0:4]) == len(inner) + 2 == exp["msg_length"]
    assert bit_crc(inner[:-2]) == be(inner[-2:]) == int(exp["crc"], 16)
    assert (be(inner[4:8]), be(inner[8:10]), be(inner[10:14])) == (exp["msg_sn"], exp["msg_id"], exp["gnss_center_id"])
    assert ".".join(str(b) for b in inner[14:17]) == exp["version"]
    assert (inner[17], be(inner[18:22])) == (exp["encrypt_flag"], exp["encrypt_key"])
    if head == 30:
        assert be(inner[22:30]) == exp["time"]
    body = inner[head:-2]
    if exp["encrypt_flag"] == 1:
        c = vector["cipher"]
        body = loop_decrypt(body, exp["encrypt_key"], c["m1"], c["ia1"], c["ic1"])
    verify_body(exp["msg_id"], body, vector["expected"]["body"], vector["header_profile"])


# ---- golden tests through the codec


def _body_row(vector):
    table = TABLES[vector["revision"]]
    if vector["kind"] == "sub_body":
        return table.subs[int(vector["family"], 16)][int(vector["data_type"], 16)]
    return table.messages[int(vector["msg_id"], 16)]


@pytest.mark.parametrize("name", BODIES)
def test_body_vector_independently(name):
    """The bytes read by hand against the layout table's rows (not the codec), where the row lists its fields."""
    vector = VECTORS[name]
    data = bytes.fromhex(vector["hex"])
    if vector["kind"] == "sub_body":
        row = table_row(int(vector["data_type"], 16), int(vector["family"], 16), vector["revision"])
        expected = vector["expected"]["data"]
    else:
        msg_id = int(vector["msg_id"], 16)
        row, expected = table_row(msg_id, None, vector["revision"]), vector["expected"]["body"]
        if row is None and any(f["id"] == msg_id for f in LAYOUTS["family"]):
            return verify_family(msg_id, data, expected, vector["revision"])
    numbers = tuple(vector.get("ids_as_numbers", ()))
    if row is not None:
        return verify_fields(row["fields"], data, expected, numbers)
    if vector["kind"] == "body":  # a builtin layout (messages.py): the verifier's own offsets
        return verify_body(int(vector["msg_id"], 16), data, expected, vector["revision"])
    data_type = int(vector["data_type"], 16)
    if vector["revision"] == "2019" and data_type in (0x1202, 0x1203):  # builtin 2019 positions
        return verify_family(0x1200, b"\0" * 22 + data_type.to_bytes(2, "big") + len(data).to_bytes(4, "big") + data,
                             {"vehicle_no": "", "vehicle_color": 0, "data_type": data_type, "data": expected}, "2019")
    assert (data_type, vector["revision"]) in ((0x1201, "2011"), (0x1202, "2011"), (0x1203, "2011")), "no layout"
    if data_type == 0x1201:  # jt809 notes: 11 + 11 + 20 + 7 + 12 bytes
        fields = ["platform_id:text:11", "producer_id:text:11", "terminal_model_type:text:20", "terminal_id:text:7",
                  "terminal_simcode:text:12"]
        return verify_fields(fields, data, expected, numbers)
    if data_type == 0x1202:
        return verify_location(data, expected)
    assert data[0] == len(expected["locations"]) == expected["gnss_cnt"] and len(data) == 1 + 36 * data[0]
    for i, loc in enumerate(expected["locations"]):
        verify_location(data[1 + 36 * i:37 + 36 * i], loc)


@pytest.mark.parametrize("name", BODIES)
def test_body_vector_decodes_and_reencodes(name):
    """Every field as the other implementation asserts it (our JSON view's names), no finding, the same bytes back."""
    vector = VECTORS[name]
    raw = bytes.fromhex(vector["hex"])
    row, notes = _body_row(vector), []
    obj = row.decode(raw, notes)
    if vector["kind"] == "sub_body":
        assert data_to_json(obj) == vector["expected"]["data"]
    else:
        assert body_to_json(obj, row.msg_id) == vector["expected"]["body"]
    assert [f.as_dict() for f in notes] == vector["expected"]["findings"]
    if vector.get("ids_as_numbers"):  # E-SD-18: ids read as numbers; our encoder writes them as text
        assert {f.code for f in notes} == {"id_as_number"}
        return
    assert row.encode(obj).hex().upper() == vector["hex"]


def test_vector_verified_layouts_name_their_vector():
    """A row with source "vector" names a vector file of its own message and revision; its misfits are body errors."""
    rows = [r for r in LAYOUTS["message"] + LAYOUTS["family"] if r["source"] == "vector"]
    assert len(rows) >= 40
    for r in rows:
        vector = VECTORS[r["vector"]]
        assert OUTSIDE.match(vector["source"]), r["vector"]
        revision, seen = r.get("revision", "2011"), vector.get("revision", vector.get("header_profile"))
        # A row without `revision` serves both; a 2019 vector confirms it when no 2019 row replaces it.
        both = "revision" not in r and not any(o is not r and o["id"] == r["id"] and o.get("family") == r.get("family")
                                               and o.get("revision") == "2019" for o in LAYOUTS["message"])
        assert seen == revision or (both and seen == "2019"), r["vector"]
        if vector["kind"] == "frame":
            exp = vector["expected"]
            ids = {exp["header"]["msg_id"], exp["body"].get("data_type")}
        elif vector["kind"] == "sub_body":
            ids = {int(vector["family"], 16), int(vector["data_type"], 16)}
        else:
            ids = {int(vector["msg_id"], 16), vector["expected"]["body"].get("data_type")}
        assert r["id"] in ids, (r["name"], r["vector"])
    raised = []
    for cls, source in layouts.SOURCE.items():
        if source == "vector" and cls in layouts.SPECS:
            mtype = layouts.BY_CLASS[cls]
            for misfit in (b"\x01", b"\xff" * 700):
                try:
                    mtype.decode(misfit, [])
                except Exception as exc:  # noqa: BLE001 - the type is what is checked
                    assert type(exc) is BodyError, (mtype.name, exc)
                    raised.append(mtype.name)
    assert len(set(raised)) >= 30


@pytest.mark.parametrize("name", FRAMES)
def test_decode_equals_expected(name):
    vector = VECTORS[name]
    profile = PROFILES[vector["header_profile"]]
    frame = decode_frame(bytes.fromhex(vector["hex"]), profile, _cipher(vector))
    assert isinstance(frame, Frame), frame
    header = header_to_json(frame.header, profile, frame.crc)
    assert {k: header[k] for k in vector["expected"]["header"]} == vector["expected"]["header"]
    assert body_to_json(frame.body, frame.header.msg_id) == vector["expected"]["body"]
    assert [f.as_dict() for f in lint(frame)] == vector["expected"]["findings"]


@pytest.mark.parametrize("name", FRAMES)
def test_encode_reproduces_hex(name):
    vector = VECTORS[name]
    profile = PROFILES[vector["header_profile"]]
    exp = vector["expected"]
    body = message_from_json(exp["header"]["msg_id"], exp["body"], vector["header_profile"])
    h = exp["header"]
    header = Header(msg_sn=h["msg_sn"], gnss_center_id=h["gnss_center_id"],
                    version=tuple(int(x) for x in h["version"].split(".")), encrypt_flag=h["encrypt_flag"],
                    encrypt_key=h["encrypt_key"], time=h.get("time"))
    assert encode(body, header, cipher=_cipher(vector), profile=profile).hex().upper() == vector["hex"]


@pytest.mark.parametrize("name", FRAMES)
def test_reencode_decoded_frame(name):
    vector = VECTORS[name]
    profile, cipher = PROFILES[vector["header_profile"]], _cipher(vector)
    frame = decode_frame(bytes.fromhex(vector["hex"]), profile, cipher)
    assert encode(frame.body, frame.header, cipher=cipher, profile=profile).hex().upper() == vector["hex"]


def test_vector3_location_block():
    vector = VECTORS["n3_real_location_block"]
    raw = bytes.fromhex(vector["hex"])
    verify_location(raw, vector["expected"]["location"])
    loc = Location.decode(raw)
    assert location_to_json(loc) == vector["expected"]["location"]
    assert loc.encode() == raw


def test_vector2_decrypts_to_vector1():
    plain = decode_frame(bytes.fromhex(VECTORS["n1_up_connect_req"]["hex"]))
    secret = decode_frame(bytes.fromhex(VECTORS["n2_up_connect_req_encrypted"]["hex"]),
                          cipher=_cipher(VECTORS["n2_up_connect_req_encrypted"]))
    assert secret.body == plain.body and secret.body_plain == plain.body_raw != secret.body_raw


def test_every_vector_has_a_source():
    assert len([n for n in VECTORS if n.startswith("n")]) == 5
    for name, vector in VECTORS.items():
        if name.startswith("o"):  # from another implementation: repository, path, commit
            assert OUTSIDE.match(vector["source"]), name
            assert all(OUTSIDE.match(s) for s in vector.get("sources_also", [])), name
        else:
            assert vector["source"].startswith("shared/specs/jt809.md, vector" if name.startswith("n") else "home-made")


def test_home_made_vectors_cover_the_brief():
    kinds = set()
    for vector in VECTORS.values():
        if vector["kind"] == "frame":
            body = vector["expected"]["body"]
            kinds.add(body.get("data_type_hex") or vector["expected"]["header"]["msg_id"])
            kinds.add(vector["header_profile"])
    assert {"0x1203", "0x1201", 0x1005, 0x1006, 0x9007, "2019"} <= kinds


def test_outside_vectors_say_how_their_bytes_were_made():
    """A test vector's bytes are an outside test's literal (its source is that test); an assembled vector's bytes
    were put together by us from an outside layout or from the lengths and values a test asserts, and says so."""
    outside = {n: v for n, v in VECTORS.items() if n.startswith("o")}
    assert {v.get("origin", "test_vector") for v in outside.values()} == {"test_vector", "assembled"}
    for name, v in outside.items():
        if v.get("origin", "test_vector") == "test_vector":
            assert OUTSIDE_TEST.match(v["source"]) and "assembled" not in v["description"], name
        else:
            assert v["origin"] == "assembled" and "assembled" in v["description"], name
    assert len([v for v in outside.values() if v.get("origin") == "assembled"]) >= 10
