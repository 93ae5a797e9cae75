"""JT/T 809 body cipher: a linear-congruential keystream XORed over the body, same call both ways."""
from __future__ import annotations

from dataclasses import dataclass

_MASK32 = 0xFFFFFFFF


@dataclass(frozen=True)
class CipherConfig:
    """Per-platform cipher constants M1, IA1, IC1 (jt809 notes §Frame, body cipher)."""

    m1: int
    ia1: int
    ic1: int

    def __post_init__(self) -> None:
        for name in ("m1", "ia1", "ic1"):
            value = getattr(self, name)
            if not isinstance(value, int) or not 0 <= value <= _MASK32:
                raise ValueError(f"cipher constant {name.upper()} must be an integer in 0..2^32-1, got {value!r}")


def keystream(key: int, length: int, config: CipherConfig) -> bytes:
    """The `length` keystream bytes for seed ENCRYPT_KEY `key`."""
    # A zero seed or modulus would freeze the generator (or divide by zero); the standard maps both to 1.
    key = key or 1
    m1 = config.m1 or 1
    ia1, ic1 = config.ia1, config.ic1
    out = bytearray(length)
    for i in range(length):
        key = (ia1 * (key % m1) + ic1) & _MASK32
        out[i] = (key >> 20) & 0xFF
    return bytes(out)


def crypt(data: bytes, key: int, config: CipherConfig) -> bytes:
    """Encrypt or decrypt a body: XOR with the keystream seeded by ENCRYPT_KEY (the cipher is an involution)."""
    if not data:
        return b""
    stream = keystream(key, len(data), config)
    # One big-int XOR instead of a per-byte loop: the keystream loop is the only per-byte Python work left.
    mixed = int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")
    return mixed.to_bytes(len(data), "big")
