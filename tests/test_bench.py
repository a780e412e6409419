"""The benchmark keeps working (it lives outside the package, so nothing else would notice it break),
and what it measures in API calls holds: one list, one whoami and one hardware catalog per apply, one list
to observe."""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
import types

import pytest

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


def _issue12_benchmark() -> types.ModuleType:
    """bench/run.py under a name of its own (``run`` would be a poor module name to put in sys.modules)."""
    path = pathlib.Path(__file__).resolve().parent.parent / "bench" / "run.py"
    spec = importlib.util.spec_from_file_location("endpointctl_bench_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.timeout(300)
def test_issue12_benchmark_runs_in_its_tiny_configuration(tmp_path: pathlib.Path) -> None:
    """`bench/run.py --quick` measures every figure on both sides, counts what the README says, and writes
    its results where --out says (never over bench/RESULTS.md)."""
    bench = _issue12_benchmark()
    results = pathlib.Path(bench.DEFAULT_OUT)
    before = results.stat().st_mtime_ns if results.exists() else None
    out = tmp_path / "RESULTS.md"

    rows = {row.figure: row for row in bench.main(["--quick", "--out", str(out)])}

    cfg = bench.QUICK
    compared = {"1a", "1b", "1c", "1d", "2a", "2b", "3a", "4", "6a", "6b", "6c", "6d", "7", "8a", "8b"}
    assert set(rows) == compared | {"3b", "5", "9a", "9b"}
    for figure, row in rows.items():
        samples = row.ours + row.theirs
        assert row.ours and all(math.isfinite(v) and v >= 0 for v in samples), figure
        assert bool(row.theirs) == (figure in compared), figure
    # Start-up and manifests never call the API.
    assert [rows[f].counts["ours"] for f in ("1a", "1b", "1c")] == [0, 0, 0]
    assert rows["2a"].counts["manifests"] == rows["2b"].counts["manifests"] == cfg.files
    # plan reads every page (100 a page), plus one whoami and one catalog; hf reads the first page.
    plan = rows["3a"].counts
    assert plan["ours"]["list"] == plan["expected_lists"] == math.ceil(cfg.manifests / 100) == 2
    assert (plan["ours"].get("whoami"), plan["ours"]["catalog"], plan["theirs"]["list"]) == (1, 1, 1)
    assert "create" not in plan["ours"]
    # apply: the creates, one list and one catalog per namespace (two), no whoami (namespaces given).
    assert rows["4"].counts["ours"] == {"catalog": 2, "create": cfg.creates, "list": 2}
    assert rows["4"].counts["theirs"] == {"create": cfg.creates}
    # The 429'd create is sent again.
    assert rows["5"].counts["ours"]["create"] == cfg.hold_creates + 1
    # wait: lists, no get-one; one health probe per endpoint; hf: a get-one per endpoint and poll.
    for run in rows["6c"].counts["ours"]:
        assert (run["gets"], run["health"]) == (0, cfg.waiters) and run["lists"] >= 1
    for run in rows["6c"].counts["theirs"]:
        assert run["lists"] == 0 and run["gets"] >= cfg.waiters and run["health"] == cfg.waiters
    assert rows["7"].counts["yaml"]["list"] == rows["7"].counts["json"]["list"] == 2
    assert rows["8a"].counts["ours"]["create"] == rows["8a"].counts["theirs"]["create"] == 1
    assert (rows["8b"].counts["ours"]["list"], rows["8b"].counts["theirs"]["get"]) == (1, 1)
    # The suite's figure ran pytest in a clone and read its summary; the whole run took longer than pytest.
    assert rows["9a"].counts["passed"] == rows["9b"].counts["passed"] > 0
    assert rows["9a"].ours_median >= rows["9b"].ours_median and rows["9a"].met is True

    text = out.read_text(encoding="utf-8")
    for figure in rows:
        assert f"| {figure} " in text, figure
    assert "huggingface_hub" in text and "cores" in text
    assert (results.stat().st_mtime_ns if results.exists() else None) == before


def test_ci_runs_exactly_the_readmes_test_command_and_the_figure_reads_what_it_runs() -> None:
    """Figure 9 times the README's command as written; `.ci/run` must run that same line."""
    import bench_suite

    root = pathlib.Path(__file__).resolve().parent.parent
    main_job, tests = bench_suite.readme_commands((root / "README.md").read_text(encoding="utf-8"))
    assert tests.endswith(".venv/bin/pytest") and "apply manifests/" in main_job
    assert tests in (root / ".ci" / "run").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("readme", "problem"),
    [
        ("## The two commands\n```sh\na\n```\n## Next\n```sh\nb\n```\n", "two one-line"),
        ("## The two commands\n```sh\na\nb\n```\n```sh\nc\n```\n", "two one-line"),
    ],
)
def test_a_readme_without_two_one_line_commands_is_said_so(readme: str, problem: str) -> None:
    import bench_suite

    with pytest.raises(ValueError, match=problem):
        bench_suite.readme_commands(readme)


@pytest.mark.parametrize(
    ("output", "summary"),
    [
        ("....\n3578 passed in 65.29s (0:01:05)\n", (3578, 65.29)),
        ("x\n12 passed, 1 skipped in 3.50s\n", (12, 3.5)),
        ("== 7 passed, 2 warnings in 0.91s ==\n", (7, 0.91)),
    ],
)
def test_pytests_summary_is_read_for_its_passed_count_and_seconds(
    output: str, summary: tuple[int, float]
) -> None:
    import bench_suite

    assert bench_suite.pytest_summary(output) == summary
