"""Per-enterprise RSA key pairs for load runs, generated once and cached on disk (RSA-2048 keygen costs ~55 ms each).

The cache is a folder of PKCS#8 DER files, one per simulated enterprise index (`00000.der`, ...), created 0600 in a
0700 folder under `$VCONFORM_HOME/load-keys/rsa<bits>/` (or a folder given). Key `i` is used by simulated
enterprise `i` of every run on this machine; each run registers fresh enterprise ids, so a platform sees new
enterprises that happen to bring a key it may have seen before. The keys never leave this machine and never
appear in a report.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto


def cache_dir(bits: int = 2048, folder: str | os.PathLike | None = None) -> Path:
    if folder is not None:
        return Path(folder)
    from harness.report.sign import home_dir

    return home_dir() / "load-keys" / f"rsa{bits}"


def _path(folder: Path, index: int) -> Path:
    return folder / f"{index:05d}.der"


def _make(args: tuple[str, int, int]) -> int:
    """Generate key `index` into `folder` unless present; written 0600 and linked into place (never half a file)."""
    folder, index, bits = Path(args[0]), args[1], args[2]
    target = _path(folder, index)
    if target.is_file():
        return 0
    der = crypto.generate_rsa(bits).private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
    tmp = folder / f".{index:05d}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(der)
    os.replace(tmp, target)
    return 1


def ensure(count: int, *, bits: int = 2048, folder: str | os.PathLike | None = None, processes: int = 1,
           announce=None) -> int:
    """Make sure keys 0..count-1 exist; returns how many were generated (in `processes` processes). `announce(n,
    folder)` is called first when n keys must be made (minutes for thousands on a busy machine)."""
    where = cache_dir(bits, folder)
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    missing = [i for i in range(count) if not _path(where, i).is_file()]
    if not missing:
        return 0
    if announce is not None:
        announce(len(missing), where)
    jobs = [(str(where), i, bits) for i in missing]
    if processes <= 1 or len(missing) < 8:
        return sum(_make(j) for j in jobs)
    with ProcessPoolExecutor(max_workers=processes) as pool:
        return sum(pool.map(_make, jobs, chunksize=16))


def load(index: int, *, bits: int = 2048, folder: str | os.PathLike | None = None) -> rsa.RSAPrivateKey:
    """Key `index`, generated and cached first when missing (a remote worker fills its own cache this way)."""
    where = cache_dir(bits, folder)
    path = _path(where, index)
    if not path.is_file():
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        _make((str(where), index, bits))
    # Our own keys, written by _make: the slow consistency check (~10 ms) proves nothing here.
    return serialization.load_der_private_key(path.read_bytes(), None, unsafe_skip_rsa_key_validation=True)
