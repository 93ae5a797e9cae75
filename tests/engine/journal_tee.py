"""`python tests/engine/journal_tee.py VCONFORM-ARGS...`: run vconform with every journal that has a file also written
as whole rows (every column encoded as text, as journals were written before the compact rows) to `<file>.whole`:
the same exchanges, recorded both ways in the same run, for tests/engine/test_journal_http_rows.py to compare."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness import journal as J  # noqa: E402

_init, _record, _close = J.Journal.__init__, J.Journal.record, J.Journal.close


def __init__(self, path=None, **kw):
    _init(self, path, **kw)
    self._tee = None
    if path:
        tee = self._tee = J.Journal.__new__(J.Journal)
        _init(tee, str(path) + ".whole")  # (not this __init__: no tee of the tee)
        tee._tee, tee.compact = None, False


def record(self, ex):
    out = _record(self, ex)
    tee = getattr(self, "_tee", None)
    if tee is not None:
        seq = ex.seq
        tee._seq = seq - 1  # the same seq in both files
        _record(tee, ex)
    return out


def close(self):
    _close(self)
    if getattr(self, "_tee", None) is not None:
        _close(self._tee)


J.Journal.__init__, J.Journal.record, J.Journal.close = __init__, record, close

if __name__ == "__main__":
    from harness.cli import main

    sys.exit(main(sys.argv[1:]))
