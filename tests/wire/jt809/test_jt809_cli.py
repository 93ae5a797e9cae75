"""`vconform jt809 decode`: exit codes, JSON shape, stdin, --file, cipher options, --header, --jsonl."""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.jt809.cli import add_parser, decode_main, parse_hex

ROOT = Path(__file__).resolve().parents[3]
VECTORS = {p.stem: json.loads(p.read_text(encoding="utf-8"))
           for p in (ROOT / "tests" / "wire" / "vectors" / "jt809").glob("*.json")}
V1 = VECTORS["n1_up_connect_req"]["hex"]
V2 = VECTORS["n2_up_connect_req_encrypted"]["hex"]
V4 = VECTORS["n4_up_connect_rsp"]["hex"]
V5 = VECTORS["n5_down_connect_req_escaped_crc"]["hex"]
H6 = VECTORS["h6_real_location_2019_header"]["hex"]
CIPHER = ["--m1", "30000000", "--ia1", "20000000", "--ic1", "20000000"]
KEYS = ["input_index", "hex", "ok", "header", "body", "findings"]


def run(capsys, argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = decode_main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_conforming_frames_exit_0(capsys):
    code, out, _ = run(capsys, [V1, V4, V5])
    records = json.loads(out)
    assert code == 0 and len(records) == 3
    for index, record in enumerate(records):
        assert all(k in record for k in KEYS) and record["input_index"] == index and record["ok"] is True
        assert record["findings"] == []
    assert records[0]["body"]["down_link_ip"] == "127.0.0.1" and records[0]["header"]["version"] == "1.0.0"
    assert records[2]["header"]["crc"] == "0x5D86"


def test_protocol_violation_exits_1(capsys):
    broken = V4[:-6] + "0000" + "5D"  # wrong CRC
    code, out, _ = run(capsys, [V1, broken])
    records = json.loads(out)
    assert code == 1 and [r["ok"] for r in records] == [True, False]
    assert records[1]["findings"][0]["code"] == "crc" and records[1]["findings"][0]["level"] == "fail"
    assert records[1]["body"]["verify_code"] == 0x12345678  # decodes what it can


def test_non_hex_is_a_finding_not_a_usage_error(capsys):
    code, out, _ = run(capsys, ["hello", V1])
    records = json.loads(out)
    assert code == 1 and records[0]["findings"][0]["code"] == "not_hex" and records[0]["header"] is None
    assert records[1]["ok"]


def test_hex_with_spaces_and_0x_prefixes(capsys):
    spaced = " ".join("0x" + V4[i:i + 2] for i in range(0, len(V4), 2))
    code, out, _ = run(capsys, [spaced, "0x" + V5.lower()])
    assert code == 0 and [r["hex"] for r in json.loads(out)] == [V4, V5]


@pytest.mark.parametrize("argv", [["--m1", "1"], ["--header", "2020", V1], ["--bogus"], ["--file", "/nonexistent/x"],
                                  ["--m1", "zz", "--ia1", "1", "--ic1", "1", V1]])
def test_bad_usage_exits_2(capsys, argv):
    assert run(capsys, argv)[0] == 2


def test_no_input_at_all_is_usage(capsys, monkeypatch):
    code, out, err = run(capsys, [], stdin="# nothing here\n\n", monkeypatch=monkeypatch)
    assert code == 2 and out == "" and "no input" in err


def test_stdin_without_args_and_with_dash(capsys, monkeypatch):
    for argv in ([], ["-"]):
        text = f"{V1}\n# comment\n\n{V4}  # trailing comment\n"
        code, out, _ = run(capsys, argv, stdin=text, monkeypatch=monkeypatch)
        records = json.loads(out)
        assert code == 0 and [r["header"]["msg_sn"] for r in records] == [133, 134]
        assert [r["line"] for r in records] == [1, 4]


def test_file_option(capsys, tmp_path):
    path = tmp_path / "frames.txt"
    path.write_text(f"# captured on the main link\n{V1}\n\n{V5}\nnot hex\n", encoding="utf-8")
    code, out, _ = run(capsys, ["--file", str(path)])
    records = json.loads(out)
    assert code == 1 and [r["line"] for r in records] == [2, 4, 5]
    assert [r["ok"] for r in records] == [True, True, False]


def test_cipher_options_decode_vector2_like_vector1(capsys):
    _, out1, _ = run(capsys, [V1])
    code, out2, _ = run(capsys, [*CIPHER, V2])
    plain, secret = json.loads(out1)[0], json.loads(out2)[0]
    assert code == 0 and secret["body"] == plain["body"] and secret["findings"] == []
    assert secret["header"]["encrypt_flag"] == 1 and secret["body_plain_hex"] == plain["body_hex"]


def test_encrypted_frame_without_constants_shows_body_raw(capsys):
    code, out, _ = run(capsys, [V2])
    (record,) = json.loads(out)
    assert record["body"] is None and record["body_hex"].startswith("D37D9CC4")
    assert [f["code"] for f in record["findings"]] == ["cipher_constants_missing"]
    assert code == 0  # a warning: the frame was not shown to violate anything


def test_header_2019(capsys):
    code, out, _ = run(capsys, ["--header", "2019", H6])
    (record,) = json.loads(out)
    assert code == 0 and record["header"]["time_iso"] == "2024-05-01T08:30:00Z"
    assert record["body"]["vehicle_no"] == "粤E7788学" and record["body"]["data"]["lon_deg"] == 113.123456
    assert run(capsys, [H6])[0] == 1  # read with the 2011 layout it does not fit


def test_jsonl_and_utf8(capsys):
    code, out, _ = run(capsys, ["--jsonl", VECTORS["h1_up_exg_history_location"]["hex"], V1])
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2 and "粤B12345" in lines[0]  # ensure_ascii=False
    assert json.loads(lines[0])["body"]["data"]["locations"][2]["time"] == "2024-05-01T08:30:20"


def test_several_frames_and_garbage_in_one_input(capsys):
    code, out, _ = run(capsys, ["FFFF" + V1 + V4])
    records = json.loads(out)
    assert code == 1 and [r["input_index"] for r in records] == [0, 0, 0]
    assert [r["findings"][0]["code"] if r["findings"] else None for r in records] == ["garbage", None, None]
    assert [r["offset"] for r in records] == [0, 2, 74]


def test_unknown_msg_id_is_a_warning(capsys):
    from harness.jt809 import Header, encode_raw
    raw = encode_raw(Header(msg_id=0x1234), b"\x01").hex()
    code, out, _ = run(capsys, [raw])
    (record,) = json.loads(out)
    assert code == 0 and record["findings"][0]["code"] == "unknown_msg_id" and record["body_hex"] == "01"


def test_parse_hex():
    assert parse_hex("0x5B, 0x00 0x5d") == (b"\x5b\x00\x5d", None)
    assert parse_hex("5B0")[0] is None and parse_hex("")[0] is None


def test_add_parser_wires_into_a_main_cli(capsys):
    parser = argparse.ArgumentParser(prog="vconform")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["jt809", "decode", "--jsonl", V4])
    assert args.func(args) == 0 and json.loads(capsys.readouterr().out)["body"]["result_name"] == "ok"


def test_module_entry_point():
    result = subprocess.run([sys.executable, "-m", "harness.jt809.cli", "decode", V1, "zz"], cwd=ROOT,
                            capture_output=True)
    assert result.returncode == 1
    records = json.loads(result.stdout.decode("utf-8"))
    assert [r["ok"] for r in records] == [True, False]
    usage = subprocess.run([sys.executable, "-m", "harness.jt809.cli"], cwd=ROOT, capture_output=True)
    assert usage.returncode == 2


# ---- the whole message set, both revisions (issue 13) ----------------------------------------------------------

TABLE_VECTORS = sorted(n for n in VECTORS if n.startswith("t"))


def _field_names(vector):
    from harness.jt809 import layouts
    from harness.jt809.messages import TABLES

    body = vector["expected"]["body"]
    table = TABLES[vector["header_profile"]]
    if vector["expected"]["header"]["msg_id"] in table.subs:
        cls = table.subs[vector["expected"]["header"]["msg_id"]][body["data_type"]].cls
        return body["data"], [f.name for f in layouts.SPECS[cls]]
    return body, [f.name for f in layouts.SPECS[table.messages[vector["expected"]["header"]["msg_id"]].cls]]


def _changed_in_2019(vector):
    from harness.jt809.messages import TABLES

    msg_id, body = vector["expected"]["header"]["msg_id"], vector["expected"]["body"]
    if msg_id in TABLES["2011"].subs:
        return TABLES["2011"].subs[msg_id].get(body["data_type"]) is not TABLES["2019"].subs[msg_id].get(body["data_type"])
    return TABLES["2011"].messages[msg_id] is not TABLES["2019"].messages[msg_id]


@pytest.mark.parametrize("name", TABLE_VECTORS)
def test_every_message_decodes_with_every_field_named_in_both_revisions(capsys, name):
    from harness.jt809 import HEADER_2019, Header, decode_frame, encode

    vector = VECTORS[name]
    argv = ["--header", "2019"] if vector["header_profile"] == "2019" else []
    code, out, _ = run(capsys, argv + [vector["hex"]])
    (record,) = json.loads(out)
    assert code == 0 and record["ok"] and record["body"] == vector["expected"]["body"], record
    values, names = _field_names(vector)
    assert names and set(names) <= set(values) or not names
    if vector["header_profile"] == "2011" and not _changed_in_2019(vector):  # the same body under the 2019 header
        frame = decode_frame(bytes.fromhex(vector["hex"]))
        again = encode(frame.body, Header(msg_sn=1, gnss_center_id=1, time=1714552200), profile=HEADER_2019)
        code, out, _ = run(capsys, ["--header", "2019", again.hex()])
        (record,) = json.loads(out)
        assert code == 0 and record["body"] == vector["expected"]["body"], record


def test_issue_13_ids_decode(capsys):
    ids = {VECTORS[n]["expected"]["header"]["msg_id"] for n in TABLE_VECTORS}
    assert {0x9008, 0x9101, 0x1300, 0x9300, 0x1400, 0x9400, 0x1500, 0x9500, 0x1600, 0x9600, 0x9200} <= ids
    subs = {VECTORS[n]["expected"]["body"].get("data_type") for n in TABLE_VECTORS}
    assert {0x9401, 0x1401, 0x1402, 0x1403, 0x9402, 0x9403, 0x9202, 0x9203, 0x1301, 0x9301} <= subs
    assert {"t144_up_connect_req_2019", "t148_up_exg_msg_register_2019", "h9_up_exg_history_2019"} <= set(VECTORS)
    assert {0x1102, 0x9102, 0x9103} <= ids  # the 2019 link management additions


def _frame_0x1700(data_type: int, data: bytes) -> str:
    from harness.jt809 import Header, encode_raw

    body = "粤B1".encode("gbk").ljust(21, b"\x00") + bytes([2]) + data_type.to_bytes(2, "big")
    return encode_raw(Header(msg_id=0x1700), body + len(data).to_bytes(4, "big") + data).hex()


def test_0x1700_family_head_decodes_and_its_unknown_data_is_a_warning(capsys):
    code, out, _ = run(capsys, [_frame_0x1700(0x17FF, b"\x01\x02\x03")])  # no 0x17FF row: data kept raw
    (record,) = json.loads(out)
    assert code == 0 and record["body"]["vehicle_no"] == "粤B1" and record["body"]["data_hex"] == "010203"
    assert [f["code"] for f in record["findings"]] == ["unknown_data_type"]
    assert record["header"]["msg_name"] == "UP_AUTHORIZE_MSG"


def test_0x1701_decodes_named_and_a_misfit_fails(capsys):
    data = b"P0000000001" + b"code-one".ljust(64, b"\x00") + b"code-two".ljust(64, b"\x00")
    code, out, _ = run(capsys, [_frame_0x1700(0x1701, data)])
    (record,) = json.loads(out)
    assert code == 0 and record["findings"] == [] and record["body"]["data_type_name"] == "UP_AUTHORIZE_MSG_STARTUP"
    assert record["body"]["data"] == {"platform_id": "P0000000001", "authorize_code_1": "code-one",
                                      "authorize_code_2": "code-two"}
    code, out, _ = run(capsys, [_frame_0x1700(0x1701, data[:-1])])  # one byte short: the vector-verified row fails
    (record,) = json.loads(out)
    assert code == 1 and [f["level"] for f in record["findings"]] == ["fail"], record["findings"]


def test_2011_login_under_2019_header_names_the_mix(capsys):
    code, out, _ = run(capsys, ["--header", "2019", V1])  # V1's header is 2011: this is framing, not bodies
    assert code == 1
    from harness.jt809 import HEADER_2019, Header, encode
    from harness.jt809.messages import UpConnectReq

    raw = encode(UpConnectReq(1, "pw", "127.0.0.1", 9), Header(time=1), profile=HEADER_2019)
    code, out, _ = run(capsys, ["--header", "2019", raw.hex()])
    (record,) = json.loads(out)
    assert code == 1 and "2011 bodies under a 2019 header" in record["findings"][0]["message"]


# ---- the outside vectors (another implementation's test suite) through `vconform jt809 decode` -------------------

OUTSIDE_VECTORS = sorted(n for n in VECTORS if n.startswith("o"))


def _as_frame(vector):
    """A body-only vector in a frame of its revision's header (a sub-message under its family's head)."""
    from harness.jt809 import HEADER_2011, HEADER_2019, Header, encode_raw
    from harness.jt809.messages import TABLES

    profile = HEADER_2019 if vector["revision"] == "2019" else HEADER_2011
    body = bytes.fromhex(vector["hex"])
    if vector["kind"] == "sub_body":
        family = int(vector["family"], 16)
        head = b""  # the vehicle head of a vehicle family; the platform families have none
        if "vehicle_no" in TABLES["2011"].messages[family].cls.__dataclass_fields__:
            head = "粤X1".encode("gbk").ljust(21, b"\x00") + bytes([2])
        body = head + int(vector["data_type"], 16).to_bytes(2, "big") + len(body).to_bytes(4, "big") + body
        msg_id = family
    else:
        msg_id = int(vector["msg_id"], 16)
    header = Header(msg_sn=1, msg_id=msg_id, gnss_center_id=1, time=1714552200 if profile is HEADER_2019 else None)
    return encode_raw(header, body, profile=profile).hex(), profile.name


@pytest.mark.parametrize("name", OUTSIDE_VECTORS)
def test_outside_vectors_decode_with_every_field_named(capsys, name):
    vector = VECTORS[name]
    if vector["kind"] == "frame":
        argv = ["--header", vector["header_profile"], vector["hex"]]
        if vector.get("cipher"):
            argv += [f"--{k}={v}" for k, v in vector["cipher"].items()]
    else:
        raw, revision = _as_frame(vector)
        argv = ["--header", revision, raw]
    code, out, _ = run(capsys, argv)
    (record,) = json.loads(out)
    assert code == 0 and record["ok"], record
    assert [{k: f[k] for k in ("code", "level", "message")} for f in record["findings"]] == \
        vector["expected"]["findings"], record
    body = record["body"]
    if vector["kind"] == "sub_body":
        assert body["data_type_name"] and body["data"] == vector["expected"]["data"], record
    else:
        assert body["name"] and body == vector["expected"]["body"], record


def test_outside_vectors_cover_every_message_they_were_given_for():
    """Both revisions, the 2019 link management additions, the requests of issue 13's leftovers (0x9502/0x9504/
    0x9601's answers 0x1502/0x1504/0x1601) and the alarm, platform and supervision families."""
    ids, revisions = set(), set()
    for name in OUTSIDE_VECTORS:
        v = VECTORS[name]
        revisions.add(v.get("revision") or v["header_profile"])
        if v["kind"] == "frame":
            ids |= {v["expected"]["header"]["msg_id"], v["expected"]["body"].get("data_type")}
        elif v["kind"] == "sub_body":
            ids.add(int(v["data_type"], 16))
        else:
            ids.add(int(v["msg_id"], 16))
    assert revisions == {"2011", "2019"}
    assert {0x1102, 0x9102, 0x9103, 0x9101, 0x9008, 0x9502, 0x9504, 0x1502, 0x1504, 0x1601, 0x9401, 0x1401,
            0x1301, 0x9301} <= ids
