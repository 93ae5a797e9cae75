"""The engine's own check `adapter.completed`, shared by every spec: an adapter that exits non-zero or times out
fails the action; one that exits 0 passes."""
from __future__ import annotations

import pytest

from harness.adapter import ADAPTER_COMPLETED, AdapterResult, completion_problems
from proving import assert_fails, assert_passes


@pytest.mark.proves("adapter.completed")
def test_adapter_that_exits_nonzero_or_times_out_fails():
    assert ADAPTER_COMPLETED == "adapter.completed"
    bad = AdapterResult("vehicleInfo", ["sut"], 3, "", "boom\n", 5.0)
    late = AdapterResult("connect", ["sut"], None, "", "", 60000.0, timed_out=True)
    assert_fails("adapter.completed", completion_problems(bad))
    assert_fails("adapter.completed", completion_problems(late))
    assert_passes("adapter.completed", completion_problems(AdapterResult("vehicleInfo", ["sut"], 0, "", "", 5.0)))
