"""The benchmark keeps working (it lives outside the package, so nothing else would notice it break),
and what it measures in API calls holds: one list, one whoami and one hardware catalog per apply, one list
to observe."""

from __future__ import annotations

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "bench"))

import bench_apply


def test_the_benchmark_runs_and_counts_what_the_readme_says() -> None:
    rows = {what: calls for what, _seconds, calls in bench_apply.run(endpoints=3, latency_ms=0)}
    assert rows == {
        "apply 3 creates, --parallelism 1": 3 + 3,  # the creates, one list, one whoami, one catalog
        "apply 3 creates, --parallelism 8": 3 + 3,
        "observe: paginated list (endpointctl)": 1,
        "observe: one GET per endpoint": 3,
    }
