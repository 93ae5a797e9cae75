"""FrameDecoder: whole, byte by byte, many frames per read, garbage between, end of input, sentinels."""
from __future__ import annotations

import random

import pytest

from harness.jt809 import CLOSED, NEED_DATA, Frame, FrameDecoder, FrameError, decode_stream

V1 = bytes.fromhex("5B000000480000008510010133EFB8010000000000270F0133EFB832303138303932303132372E302E302E3100000000"
                   "0000000000000000000000000000000000000003296A915D")
V4 = bytes.fromhex("5B0000001F0000008610020133EFB80100000000000000001234567835715D")
V5 = bytes.fromhex("5B0000001E0000000190010133EFB80100000000000000123456785E01865D")


def _run(chunks, **kw):
    decoder = FrameDecoder(**kw)
    events = []
    for chunk in chunks:
        decoder.feed(chunk)
        events += decoder.events()
    decoder.close()
    events += decoder.events()
    assert decoder.next_event() is CLOSED
    return events


def _summary(events):
    return [(type(e).__name__, getattr(e, "reason", None), e.raw, e.offset) for e in events]


def _bytewise(data):
    return [data[i:i + 1] for i in range(len(data))]


def test_whole_frame():
    (frame,) = _run([V1])
    assert isinstance(frame, Frame) and frame.body.user_id == 20180920 and frame.raw == V1


def test_byte_by_byte_equals_whole():
    stream = V1 + V4 + V5
    assert _summary(_run(_bytewise(stream))) == _summary(_run([stream]))


def test_several_frames_in_one_read():
    events = _run([V1 + V4 + V5 + V1])
    assert [e.header.msg_id for e in events] == [0x1001, 0x1002, 0x9001, 0x1001]
    assert [e.offset for e in events] == [0, len(V1), len(V1) + len(V4), len(V1) + len(V4) + len(V5)]


def test_garbage_before_and_between_frames_is_skipped_and_reported():
    stream = b"\x00\xffHELLO" + V4 + b"\r\n" + V5 + b"\x5d\x5d"
    for chunks in ([stream], _bytewise(stream)):
        events = _run(chunks)
        assert [(type(e).__name__, getattr(e, "reason", None)) for e in events] == [
            ("FrameError", "garbage"), ("Frame", None), ("FrameError", "garbage"), ("Frame", None),
            ("FrameError", "garbage")]
        assert events[0].raw == b"\x00\xffHELLO" and events[2].raw == b"\r\n" and events[4].raw == b"\x5d\x5d"


@pytest.mark.parametrize("seed", range(20))
def test_random_chunking_is_invisible(seed):
    rng = random.Random(seed)
    stream = b"junk" + V1 + V5 + b"\x01" + V4 + V1[:30] + V4 + b"tail"
    cuts = sorted(rng.sample(range(1, len(stream)), rng.randint(1, 40)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)])]
    events = _run(chunks)
    assert _summary(events) == _summary(_run([stream]))
    assert b"".join(e.raw for e in events) == stream  # every byte is accounted for exactly once


def test_frame_cut_by_a_new_start_flag_is_truncated():
    events = decode_stream(V1[:30] + V4)
    assert [getattr(e, "reason", None) for e in events] == ["truncated", None]
    assert events[0].raw == V1[:30] and isinstance(events[1], Frame)


def test_input_ending_inside_a_frame_is_truncated_on_close():
    decoder = FrameDecoder()
    decoder.feed(V4 + V1[:40])
    assert isinstance(decoder.next_event(), Frame)
    assert decoder.next_event() is NEED_DATA
    decoder.close()
    error = decoder.next_event()
    assert isinstance(error, FrameError) and error.reason == "truncated" and error.raw == V1[:40]
    assert decoder.next_event() is CLOSED


def test_need_data_until_the_end_flag_arrives():
    decoder = FrameDecoder()
    decoder.feed(V1[:-1])
    assert decoder.next_event() is NEED_DATA
    decoder.feed(V1[-1:])
    assert isinstance(decoder.next_event(), Frame)
    assert decoder.next_event() is NEED_DATA


def test_feed_after_close_is_a_programming_error():
    decoder = FrameDecoder()
    decoder.close()
    with pytest.raises(RuntimeError):
        decoder.feed(V1)


def test_oversize_frame_is_cut_at_max_frame_whatever_the_reads():
    stream = b"\x5b" + b"\x00" * 100 + V4
    whole = _run([stream], max_frame=64)
    assert _summary(_run(_bytewise(stream), max_frame=64)) == _summary(whole)
    assert [getattr(e, "reason", None) for e in whole] == ["oversize", "garbage", None]
    assert len(whole[0].raw) == 64


def test_long_garbage_is_reported_in_max_frame_pieces():
    events = _run(_bytewise(b"\x00" * 150), max_frame=64)
    assert [len(e.raw) for e in events] == [64, 64, 22]
