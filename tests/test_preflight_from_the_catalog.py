"""Issue 9: the hardware preflight. plan and apply check every manifest against the hardware catalog.

Through the sandbox over loopback, counting calls: one catalog call per namespace per run; hardware that
does not exist is a manifest problem (exit 2, file:line, key path, "did you mean") before any change;
deprecated or unavailable hardware blocks a create and is a warning for an endpoint already on it; low
availability is a note; a create or scale-up past the namespace's free quota is blocked with the figures,
and a quota the catalog does not report never blocks.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
from typing import Any

import pytest
from builders import desired, live
from clirunner import Cli
from cost_helpers import edit_catalog

from endpointctl.core.diff import FieldChange
from endpointctl.core.endpoint import Hardware, Status
from endpointctl.core.plan import Action, Change, Plan, Step, StepKind
from endpointctl.core.preflight import check
from endpointctl.sandbox import Request, Response, Sandbox, catalog
from endpointctl.sandbox.faults import FaultConfig, FaultKind, FaultRule
from endpointctl.sandbox.transport import Handler

HARDWARE = "GET /v2/provider/{namespace}"
LIST = "GET /v2/endpoint/{namespace}"
CREATE = "POST /v2/endpoint/{namespace}"


def manifest(
    name: str,
    *,
    instance: str = "intel-spr x2",
    accelerator: str = "cpu",
    region: str = "us-east-1",
    vendor: str = "aws",
    max_replica: int = 1,
    namespace: str | None = None,
) -> str:
    itype, size = instance.split()
    return "\n".join(
        [
            "apiVersion: endpointctl/v1",
            "kind: InferenceEndpoint",
            "metadata:",
            f"  name: {name}",
            *([f"  namespace: {namespace}"] if namespace else []),
            "spec:",
            "  model:",
            "    repository: openai-community/gpt2",
            "    task: text-generation",
            "  provider:",
            f"    vendor: {vendor}",
            f"    region: {region}",
            "  compute:",
            f"    accelerator: {accelerator}",
            f"    instanceType: {itype}",
            f"    instanceSize: {size}",
            "  scaling:",
            "    minReplica: 1",
            f"    maxReplica: {max_replica}",
            "",
        ]
    )


def write(directory: pathlib.Path, **docs: str) -> str:
    directory.mkdir(exist_ok=True)
    for stem, text in docs.items():
        (directory / f"{stem}.yaml").write_text(text)
    return str(directory)


def line_of(path: str, needle: str) -> int:
    return next(i for i, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1) if needle in line)


def results(run: Any) -> dict[str, dict[str, Any]]:
    return {record["name"]: record for record in json.loads(run.stdout)}


# -- one catalog call per namespace, and none offline -------------------------------------------------


def test_plan_and_apply_read_the_catalog_once_per_namespace(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(
        tmp_path / "m",
        a=manifest("a"),
        b=manifest("b", instance="intel-spr x1"),
        c=manifest("c", namespace="acme"),
        d=manifest("d", namespace="acme", instance="nvidia-t4 x1", accelerator="gpu"),
    )
    sandbox.reset_counts()
    planned = cli("plan", path, "-o", "json")
    assert planned.code == 0, planned.all
    assert sandbox.counts()[HARDWARE] == 2 and sandbox.counts()[LIST] == 2
    assert sandbox.mutating_count() == 0

    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 0, applied.all
    assert {r["outcome"] for r in results(applied).values()} == {"ok"}
    assert sandbox.counts()[HARDWARE] == 2 and sandbox.counts()[CREATE] == 4


def test_validate_stays_offline(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(
        tmp_path / "m", a=manifest("a", instance="intel-sp x2")
    )  # no such type: not validate's to say
    sandbox.reset_counts()
    run = cli("validate", path)
    assert run.code == 0, run.all
    assert sandbox.counts() == {}


# -- an offer that does not exist: a manifest problem --------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key", "said"),
    [
        (
            {"instance": "intel-sp x2"},
            "instanceType",
            "offers no instance type 'intel-sp' (did you mean 'intel-spr'?)",
        ),
        ({"region": "us-east1"}, "region", "aws has no region 'us-east1' (did you mean 'us-east-1'?)"),
        ({"instance": "intel-spr x3"}, "instanceSize", "comes in x1, x2, x4, x8, not 'x3'"),
        (
            {"accelerator": "gpu"},
            "accelerator",
            "intel-spr is a cpu instance type, not gpu: set accelerator: cpu",
        ),
        ({"vendor": "azure"}, "region", "azure has no region 'us-east-1'"),
        (
            {"instance": "nvidia-a10g x1", "accelerator": "gpu", "region": "us-east-2"},
            "instanceType",
            "nvidia-a10g is offered in aws eu-west-1, us-east-1",
        ),
    ],
)
def test_hardware_that_does_not_exist_is_a_manifest_error_before_any_change(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, changes: dict[str, Any], key: str, said: str
) -> None:
    path = write(tmp_path / "m", good=manifest("good"), bad=manifest("bad", **changes))
    bad_file = str(tmp_path / "m" / "bad.yaml")
    section = "provider" if key in ("vendor", "region") else "compute"
    where = f"{bad_file}:{line_of(bad_file, f'    {key}:')}: spec.{section}.{key}: "
    for command in (("plan", path), ("apply", path, "--yes")):
        sandbox.reset_counts()
        run = cli(*command)
        assert run.code == 2, run.all
        assert where in run.stderr and said in run.stderr, run.stderr
        assert "nothing was changed" in run.stderr
        assert sandbox.mutating_count() == 0  # not even the good one: the manifests are fixed first
        assert sandbox.counts()[HARDWARE] == 1


def test_offer_errors_come_out_as_json_records(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", bad=manifest("bad", instance="nvidia-l40 x1", accelerator="gpu"))
    run = cli("apply", path, "--yes", "-o", "json")
    assert run.code == 2, run.all
    bad_file = str(tmp_path / "m" / "bad.yaml")
    assert json.loads(run.stdout) == [
        {
            "file": bad_file,
            "line": line_of(bad_file, "instanceType:"),
            "path": "spec.compute.instanceType",
            "message": json.loads(run.stdout)[0]["message"],
        }
    ]
    assert "(did you mean 'nvidia-l4'?)" in json.loads(run.stdout)[0]["message"]
    assert sandbox.mutating_count() == 0


# -- status: deprecated, not available, low availability ---------------------------------------------


def test_a_create_on_deprecated_hardware_is_blocked_naming_what_is_available(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # intel-icl: deprecated by the service in July 2025; the others go ahead.
    path = write(tmp_path / "m", old=manifest("old", instance="intel-icl x2"), new=manifest("new"))
    planned = cli("plan", path, "-o", "json")
    blocked = results(planned)["old"]
    assert blocked["action"] == "blocked" and blocked["steps"] == []
    assert "aws us-east-1 intel-icl x2 is deprecated" in blocked["reason"]
    assert "available instead: intel-spr x2 ($0.067/h)" in blocked["reason"]

    sandbox.reset_counts()
    applied = cli("apply", path, "--yes", "-o", "json")
    assert applied.code == 1, applied.all
    outcome = results(applied)
    assert outcome["old"]["outcome"] == "blocked" and "deprecated" in outcome["old"]["error"]
    assert outcome["new"]["outcome"] == "ok"
    assert sandbox.counts()[CREATE] == 1  # only the one on available hardware


def test_a_create_on_hardware_not_available_is_blocked(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    path = write(
        tmp_path / "m", t4=manifest("t4", instance="nvidia-t4 x4", accelerator="gpu", region="us-east-2")
    )
    sandbox.reset_counts()
    run = cli("apply", path, "--yes")
    assert run.code == 1, run.all
    assert "aws us-east-2 nvidia-t4 x4 is not available" in run.all
    assert "available instead: nvidia-t4 x1" in run.all
    assert sandbox.mutating_count() == 0


def test_an_endpoint_already_on_deprecated_hardware_gets_a_warning_and_is_left_alone(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Created before the service deprecated intel-icl: the sandbox allows it for this one apply.
    cid = "aws-us-east-1-intel-icl-x2"
    monkeypatch.setitem(catalog.COMPUTES, cid, dataclasses.replace(catalog.COMPUTES[cid], status="available"))
    path = write(tmp_path / "m", old=manifest("old", instance="intel-icl x2"))
    assert cli("apply", path, "--yes").code == 0
    monkeypatch.undo()

    sandbox.reset_counts()
    planned = cli("plan", path, "-o", "json", "--detailed-exitcode")
    assert planned.code == 0, planned.all
    (record,) = json.loads(planned.stdout)
    assert record["action"] == "noop" and record["steps"] == []
    (warning,) = record["warnings"]
    assert "runs on aws us-east-1 intel-icl x2, which is deprecated" in warning
    assert "available instead: intel-spr x2" in warning
    assert f"warning: {record['namespace']}/old: it runs on aws us-east-1 intel-icl x2" in planned.stderr

    applied = cli("apply", path, "--yes")
    assert applied.code == 0, applied.all
    assert "warning:" in applied.stderr and "deprecated" in applied.stderr
    assert sandbox.mutating_count() == 0


def test_low_availability_is_a_note_and_no_block(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path / "m", big=manifest("big", instance="nvidia-a100 x8", accelerator="gpu"))
    (record,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert record["action"] == "create"
    assert "aws us-east-1 nvidia-a100 x8 has low availability" in " ".join(record["notes"])
    table = cli("plan", path)
    assert "note: aws us-east-1 nvidia-a100 x8 has low availability" in table.stdout
    sandbox.reset_counts()
    assert cli("apply", path, "--yes").code == 0
    assert sandbox.counts()[CREATE] == 1


# -- quota ------------------------------------------------------------------------------------------


def test_a_create_past_the_free_quota_is_blocked_with_the_figures(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    # nvidia-l4: 4 accelerators for the namespace. Two are taken, three more are asked for.
    first = write(
        tmp_path / "first", l4a=manifest("l4a", instance="nvidia-l4 x1", accelerator="gpu", max_replica=2)
    )
    assert cli("apply", first, "--yes").code == 0
    second = write(
        tmp_path / "second", l4b=manifest("l4b", instance="nvidia-l4 x1", accelerator="gpu", max_replica=3)
    )
    sandbox.reset_counts()
    run = cli("apply", second, "--yes", "-o", "json")
    assert run.code == 1, run.all
    error = results(run)["l4b"]["error"]
    assert (
        "not enough quota for nvidia-l4 in namespace 'sandbox-user': 2 of 4 accelerators in use, so 2 free; "
        "this create needs 3 (3 replicas of x1, 1 accelerator each)"
    ) in error
    assert sandbox.mutating_count() == 0 and sandbox.counts()[HARDWARE] == 1


def test_creates_in_one_plan_share_the_quota(cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path) -> None:
    gpu = {"instance": "nvidia-l4 x1", "accelerator": "gpu", "max_replica": 3}
    path = write(tmp_path / "m", a=manifest("a", **gpu), b=manifest("b", **gpu))
    sandbox.reset_counts()
    run = cli("apply", path, "--yes", "-o", "json")
    assert run.code == 1, run.all
    outcome = results(run)
    assert outcome["a"]["outcome"] == "ok"
    assert outcome["b"]["outcome"] == "blocked"
    assert (
        "0 of 4 accelerators in use, 3 more taken by changes before this one in the plan"
        in outcome["b"]["error"]
    )
    assert sandbox.counts()[CREATE] == 1


def test_a_scale_up_past_the_quota_is_blocked_counting_what_the_endpoint_holds(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    gpu = {"instance": "nvidia-l4 x1", "accelerator": "gpu"}
    path = write(tmp_path / "m", l4=manifest("l4", **gpu, max_replica=2))
    assert cli("apply", path, "--yes").code == 0
    write(tmp_path / "m", l4=manifest("l4", **gpu, max_replica=4))  # 2 more: exactly what is free
    (fits,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert fits["action"] == "update", fits
    write(tmp_path / "m", l4=manifest("l4", **gpu, max_replica=5))
    sandbox.reset_counts()
    run = cli("apply", path, "--yes", "-o", "json")
    assert run.code == 1, run.all
    assert (
        "2 of 4 accelerators in use, so 2 free; this change needs 3 (5 replicas of x1, 1 accelerator each, "
        "less the 2 it holds now)"
    ) in results(run)["l4"]["error"]
    assert sandbox.mutating_count() == 0


def _drop_quota(compute: dict[str, Any]) -> None:
    compute.pop("quota", None)


# The catalog as an answer that leaves the quota out (absent fields: unknown).
without_quota = edit_catalog(_drop_quota)


def test_a_quota_the_catalog_does_not_report_never_blocks(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.add_middleware(without_quota)
    # Five L4s: over the sandbox's own quota of four, which only the API itself now enforces.
    path = write(tmp_path / "m", l4=manifest("l4", instance="nvidia-l4 x1", accelerator="gpu", max_replica=5))
    (record,) = json.loads(cli("plan", path, "-o", "json").stdout)
    assert record["action"] == "create"
    sandbox.reset_counts()
    run = cli("apply", path, "--yes", "-o", "json")
    assert sandbox.counts()[CREATE] == 1  # sent: the preflight did not block on an unknown
    assert run.code == 1 and "Quota exceeded" in results(run)["l4"]["error"], run.all


# -- a catalog that cannot be read ---------------------------------------------------------------------


def test_a_catalog_that_cannot_be_read_stops_the_plan_naming_the_call(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    sandbox.install_faults(FaultConfig((FaultRule(FaultKind.STATUS, route=HARDWARE, status=403),)))
    path = write(tmp_path / "m", a=manifest("a"))
    sandbox.reset_counts()
    run = cli("apply", path, "--yes")
    assert run.code == 1, run.all
    assert "listing hardware for namespace 'sandbox-user'" in run.stderr
    assert sandbox.mutating_count() == 0


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ({"vendors": []}, "the answer lists no hardware"),
        (
            {
                "vendors": [
                    {"name": "aws", "regions": [{"name": "us-east-1", "computes": [{"status": "available"}]}]}
                ]
            },
            "1 rows without vendor, region, instanceType or instanceSize",
        ),
        ({"vendors": "aws"}, "listing hardware for namespace 'sandbox-user'"),
        (
            {
                "vendors": [
                    {"name": "aws", "regions": [{"name": "x", "computes": [{"numAccelerators": "many"}]}]}
                ]
            },
            "listing hardware for namespace 'sandbox-user'",
        ),
    ],
)
def test_a_malformed_or_empty_catalog_stops_the_plan(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, answer: dict[str, Any], said: str
) -> None:
    def replaced(request: Request, call_next: Handler) -> Response:
        response = call_next(request)
        if request.route == HARDWARE:
            response.body = json.dumps(answer).encode()
        return response

    sandbox.add_middleware(replaced)
    path = write(tmp_path / "m", a=manifest("a"))
    sandbox.reset_counts()
    run = cli("apply", path, "--yes")
    assert run.code == 1, run.all
    assert said in run.stderr
    assert sandbox.mutating_count() == 0


# -- the pure check, on its own ------------------------------------------------------------------------


def row(itype: str, size: str, **overrides: Any) -> Hardware:
    base = Hardware("aws", "us-east-1", "gpu", itype, size, itype, 1, 30.0, 24, 0.8, "available", 4, 0)
    return dataclasses.replace(base, **overrides)


def test_a_quota_that_is_not_a_number_is_unknown_and_never_blocks() -> None:
    d = desired(compute={"accelerator": "gpu", "instanceType": "nvidia-l4", "instanceSize": "x1"})
    create = Change("gpt2-demo", "acme", Action.CREATE, steps=(Step(StepKind.CREATE),), desired=d)
    for quota_max, quota_used in ((None, 0), ("4", "0"), (True, 0), (4, None), (-1, 0)):
        rows = [row("nvidia-l4", "x1", quota_max=quota_max, quota_used=quota_used, num_accelerators=9)]
        (change,) = check(Plan((create,)), {"acme": rows}).plan.changes
        assert change.action is Action.CREATE, (quota_max, quota_used)


def test_a_paused_endpoint_claims_quota_only_when_it_is_resumed() -> None:
    d = desired(
        compute={"accelerator": "gpu", "instanceType": "nvidia-l4", "instanceSize": "x1"},
        scaling={"minReplica": 1, "maxReplica": 4},
    )
    paused = live(status=Status.PAUSED, accelerator="gpu", instance_type="nvidia-l4", instance_size="x1")
    update = Change(
        "gpt2-demo",
        "acme",
        Action.UPDATE,
        fields=(FieldChange("scaling.maxReplica", 2, 4),),
        steps=(Step(StepKind.UPDATE, ("scaling.maxReplica",)),),
        desired=d,
        live=paused,
    )
    full = [row("nvidia-l4", "x1", quota_used=4)]  # a paused endpoint's accelerators are not counted
    (change,) = check(Plan((update,)), {"acme": full}).plan.changes
    assert change.action is Action.UPDATE
    resumed = dataclasses.replace(update, steps=(Step(StepKind.RESUME), *update.steps))
    (change,) = check(Plan((resumed,)), {"acme": full}).plan.changes
    assert change.action is Action.BLOCKED and "so 0 free; this change needs 4" in (change.reason or "")


def test_a_namespace_whose_catalog_was_not_read_is_passed_through() -> None:
    create = Change("gpt2-demo", "acme", Action.CREATE, steps=(Step(StepKind.CREATE),), desired=desired())
    checked = check(Plan((create,)), {})
    assert checked.plan.changes == (create,) and checked.issues == ()


def test_a_replace_onto_deprecated_hardware_is_blocked_before_its_delete() -> None:
    # Deleting first and then failing the create would leave nothing running: neither step is taken.
    d = desired(compute={"accelerator": "gpu", "instanceType": "nvidia-t4", "instanceSize": "x1"})
    old = live(accelerator="gpu", instance_type="nvidia-t4", instance_size="x1", region="eu-west-1")
    replace_ = Change(
        "gpt2-demo",
        "acme",
        Action.REPLACE,
        fields=(FieldChange("provider.region", "eu-west-1", "us-east-1", forces_replace=True),),
        steps=(Step(StepKind.DELETE), Step(StepKind.CREATE)),
        desired=d,
        live=old,
    )
    rows = [row("nvidia-t4", "x1", status="deprecated"), row("nvidia-l4", "x1")]
    (change,) = check(Plan((replace_,)), {"acme": rows}).plan.changes
    assert change.action is Action.BLOCKED and change.steps == ()
    assert "aws us-east-1 nvidia-t4 x1 is deprecated" in (change.reason or "")
    assert "available instead: nvidia-l4 x1 ($0.8/h)" in (change.reason or "")


SHOUTED = {"region": "US-EAST-1", "instance_type": "NVIDIA-L4", "instance_size": "X1"}


def _scale_up(endpoint: Any, manifest_names: dict[str, str] | None = None) -> Change:
    names = manifest_names or {}
    d = desired(
        provider={"vendor": "aws", "region": names.get("region", "us-east-1")},
        compute={
            "accelerator": "gpu",
            "instanceType": names.get("instance_type", "nvidia-l4"),
            "instanceSize": names.get("instance_size", "x1"),
        },
        scaling={"minReplica": 1, "maxReplica": 4},
    )
    return Change(
        "gpt2-demo",
        "acme",
        Action.UPDATE,
        fields=(FieldChange("scaling.maxReplica", 3, 4),),
        steps=(Step(StepKind.UPDATE, ("scaling.maxReplica",)),),
        desired=d,
        live=endpoint,
    )


@pytest.mark.parametrize("shouted", ["answer", "manifest"])
def test_names_in_other_case_still_find_the_catalog_row_and_count_the_quota(shouted: str) -> None:
    """Region and instance names compare case aside (as the plan's fields do): an endpoint answered, or a
    manifest written, in capitals is on the same row, so what it holds is counted and its quota checked."""
    answer = SHOUTED if shouted == "answer" else {}
    on_the_row = {"instance_type": "nvidia-l4", "instance_size": "x1", **answer}
    endpoint = live(accelerator="gpu", max_replica=3, **on_the_row)
    change = _scale_up(endpoint, SHOUTED if shouted == "manifest" else None)
    fits = [row("nvidia-l4", "x1", quota_max=4, quota_used=3)]  # 3 held by it, 1 free: +1 fits
    (checked,) = check(Plan((change,)), {"acme": fits}).plan.changes
    assert checked.action is Action.UPDATE and not checked.warnings, checked
    full = [row("nvidia-l4", "x1", quota_max=3, quota_used=3)]  # none free: +1 does not
    (checked,) = check(Plan((change,)), {"acme": full}).plan.changes
    assert checked.action is Action.BLOCKED and "this change needs 1" in (checked.reason or ""), checked


def test_names_in_other_case_still_find_the_price() -> None:
    from endpointctl.core.cost import live_hourly, price_of

    rows = [row("nvidia-l4", "x1")]
    endpoint = live(accelerator="gpu", min_replica=1, max_replica=1, **SHOUTED)
    assert live_hourly(endpoint, rows) != live_hourly(endpoint, [])  # priced: the row was found
    d = desired(
        provider={"vendor": "aws", "region": "US-East-1"},
        compute={"accelerator": "gpu", "instanceType": "Nvidia-L4", "instanceSize": "X1"},
    )
    assert price_of(d.spec, rows) == rows[0].price_per_hour


@pytest.mark.parametrize("unreported", ["instance_type", "instance_size"])
def test_a_scale_up_of_an_endpoint_on_unreported_hardware_is_never_blocked(unreported: str) -> None:
    """What it holds now cannot be counted: blocking would be on a guess that it holds nothing."""
    on_the_row = {"instance_type": "nvidia-l4", "instance_size": "x1", unreported: None}
    endpoint = live(accelerator="gpu", max_replica=3, **on_the_row)
    full = [row("nvidia-l4", "x1", quota_max=4, quota_used=3)]  # 3 of them its own: +1 fits
    (checked,) = check(Plan((_scale_up(endpoint),)), {"acme": full}).plan.changes
    assert checked.action is Action.UPDATE, checked.reason


def test_the_hardware_filter_and_quota_figures_read_names_case_aside() -> None:
    from endpointctl.core.catalog_filter import HardwareFilter
    from endpointctl.hub.wording import quota_figures

    offered = row("nvidia-l4", "x1", quota_max=4, quota_used=3)
    assert HardwareFilter(vendor="AWS", region="US-East-1").admits(offered)
    assert not HardwareFilter(region="eu-west-1").admits(offered)
    shouted = desired(
        provider={"vendor": "aws", "region": "US-EAST-1"},
        compute={"accelerator": "gpu", "instanceType": "NVIDIA-L4", "instanceSize": "X1"},
    )
    plain = desired(compute={"accelerator": "gpu", "instanceType": "nvidia-l4", "instanceSize": "x1"})
    figures = quota_figures([offered], plain)
    assert figures is not None and quota_figures([offered], shouted) == figures
