"""A misspelt task is refused offline; any other task deploys, and its smoke test says what went unchecked.

The review's case: `task: text-clasification` passed validate, was deployed, and `apply --smoke` reported
PASS though no answer shape could be checked. A task a typo away from a known one is now refused by
validate (exit 2, with its line and the task meant); one far from every known task is still taken, as
the Hub has tasks endpointctl does not list and a container may be given its own, and its smoke test
says the answer's shape was not checked. A task in another case, or with "_" for "-", is the same task.
"""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import yaml
from builders import BASE_DOC
from clirunner import Cli
from hypothesis import example, given
from hypothesis import strategies as st

from endpointctl.core.hub_tasks import KNOWN_TASKS, misspelt_task, task_typo
from endpointctl.core.spec import Manifest
from endpointctl.sandbox import Sandbox

USER = "sandbox-user"
LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789-"
# A typo reaches only tasks this long: a shorter word of one's own is as likely meant as it is a slip.
TYPO_REACH = 8


def document(task: str, name: str = "typo") -> dict[str, Any]:
    doc = copy.deepcopy(BASE_DOC)
    doc["metadata"]["name"] = name
    doc["spec"]["model"]["task"] = task
    return doc


def write(path: pathlib.Path, task: str, name: str = "typo") -> tuple[str, int]:
    """The manifest's path and the line its task is on."""
    text = yaml.safe_dump(document(task, name), sort_keys=False)
    path.write_text(text)
    (line,) = [n for n, row in enumerate(text.splitlines(), start=1) if row.strip().startswith("task:")]
    return str(path), line


def slips(word: str) -> set[str]:
    """Every word one typo from ``word``: a letter left out, added, changed, or swapped with the next."""
    cut = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + b[1:] for a, b in cut if b}
        | {a + c + b for a, b in cut for c in LETTERS}
        | {a + c + b[1:] for a, b in cut if b for c in LETTERS}
        | {a + b[1] + b[0] + b[2:] for a, b in cut if len(b) > 1}
    ) - {word}


def levenshtein(a: str, b: str) -> int:
    """Insertions, deletions and substitutions only: a swap costs 2, so past 4 is past 2 typos of any kind."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def respelled(draw: st.DrawFn, task: str) -> str:
    """``task`` in another case, with some of its "-" written "_": how an API or a person may spell it."""
    return "".join(
        draw(st.sampled_from(["-", "_"])) if c == "-" else (c.upper() if draw(st.booleans()) else c)
        for c in task
    )


LONG_TASKS = sorted(task for task in KNOWN_TASKS if len(task) >= TYPO_REACH)


@st.composite
def slipped(draw: st.DrawFn) -> tuple[str, str]:
    """A long known task as someone spelled it, and that spelling with one typo in it."""
    task = draw(st.sampled_from(LONG_TASKS))
    typo = draw(st.sampled_from(sorted(slips(task))))
    return respelled(draw, task), respelled(draw, typo)


@given(slipped())
@example(("text-classification", "text-clasification"))
@example(("Text_Classification", "Text_Clasification"))
def test_a_respelling_of_a_known_task_is_the_task_and_a_typo_in_it_is_refused(case: tuple[str, str]) -> None:
    spelling, typo = case
    assert misspelt_task(spelling) is None
    Manifest.model_validate(document(spelling))
    key = typo.casefold().replace("_", "-")
    if key in KNOWN_TASKS or key.startswith("translation-"):
        return  # the typo made another known task (text-to-image, text-to-video): nothing to refuse
    meant = misspelt_task(typo)
    assert meant is not None and key in slips(meant)  # the nearest known task: one typo away
    assert f"did you mean '{meant}'?" in (task_typo(typo) or "")
    # Loaded as any manifest (a pause or a schedule run of one deployed with it must not stop); refused
    # where it would be sent (validate, and plan's creates and task updates: the tests below).
    assert Manifest.model_validate(document(typo)).spec.model.task == typo


@given(st.from_regex(r"[a-z0-9]+(-[a-z0-9]+){0,4}", fullmatch=True))
@example("custom")
@example("sentence-ranking")
@example("my-company-reranker")
def test_a_task_far_from_every_known_one_is_taken(task: str) -> None:
    if any(levenshtein(task, known) <= 4 for known in KNOWN_TASKS):
        return  # near a known task: the test above's
    assert misspelt_task(task) is None
    assert Manifest.model_validate(document(task)).spec.model.task == task


def test_validate_refuses_a_typo_with_its_line_and_the_task_meant_and_takes_the_rest(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    typo, line = write(tmp_path / "typo.yaml", "text-clasification")
    for name, task in [
        ("respelled", "Text_Classification"),
        ("languages", "translation_en_to_zh"),
        ("alias", "sentiment-analysis"),
        ("custom", "custom"),
        ("its-own", "my-own-task"),
        ("short", "othr"),  # too short to guess at: perhaps a word of its own
    ]:
        write(tmp_path / f"{name}.yaml", task, name)
    result = cli("validate", str(tmp_path), "-o", "json")
    assert result.code == 2, result.all
    problems = [row for row in result.stderr.splitlines() if ".yaml:" in row]
    assert problems == [
        f"  {typo}:{line}: spec.model.task: 'text-clasification' is not a task the Hub knows, but a typo "
        "away from one (did you mean 'text-classification'?); a task newer than endpointctl's list is taken "
        "when ENDPOINTCTL_TASKS names it"
    ], result.stderr
    assert [r["path"] for r in json.loads(result.stdout)] == ["spec.model.task"]
    assert sum(sandbox.counts().values()) == 0  # refused offline


def test_plan_and_apply_block_only_the_changes_that_would_send_a_misspelt_task(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any, endpoint_body: Any
) -> None:
    """A create is blocked, never sent; an endpoint deployed with the typo before (by another tool, or
    before this check) is still paused by its manifest, since its task is not sent (review: an upgrade
    must not stop a cost job)."""
    typo, _ = write(tmp_path / "typo.yaml", "text-clasification", "typo")
    planned = cli("plan", typo, "--detailed-exitcode", "-o", "json")
    (change,) = json.loads(planned.stdout)
    assert planned.code == 1 and change["action"] == "blocked", planned.all
    assert "did you mean 'text-classification'?" in change["reason"] and typo in change["reason"]
    applied = cli("apply", typo, "--yes")
    assert applied.code == 1 and sandbox.mutating_count() == 0, applied.all
    body = endpoint_body("typo", task="text-clasification", tags=["managed-by=endpointctl"])
    assert client.post(f"/v2/endpoint/{USER}", json=body).status_code == 200
    paused = cli("pause", "-f", typo)
    assert paused.code == 0, paused.all


def test_a_smoke_test_says_when_the_answer_shape_went_unchecked(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any, endpoint_body: Any
) -> None:
    path, _ = write(tmp_path / "own.yaml", "my-own-task", "own")
    # Deployed with a typo before validate refused it, or by another tool: the API takes any word.
    created = client.post(f"/v2/endpoint/{USER}", json=endpoint_body("typo", task="text-clasification"))
    assert created.status_code == 200, created.text
    applied = cli("apply", path, "--yes", "--smoke", "-o", "json")
    assert applied.code == 0, applied.all
    (own,) = [record["smoke"] for record in json.loads(applied.stdout)]
    smoked = cli("smoke", "typo", "-o", "json")
    assert smoked.code == 0, smoked.all
    (typo,) = json.loads(smoked.stdout)
    for result in (own, typo):
        # Still a pass (the verdicts are pass, fail and skipped), but never one that reads as a shape check.
        assert (result["verdict"], result["reason"]) == (
            "pass",
            "HTTP 200, a JSON answer (its shape not checked)",
        )
    assert "task 'my-own-task': endpointctl knows no answer shape for it to check" in own["notes"]
    assert (
        "task 'text-clasification' is not one the Hub knows (did you mean 'text-classification'?), "
        "so no answer shape to check"
    ) in typo["notes"]
    # Named in ENDPOINTCTL_TASKS, it is a task of its own: no "did you mean", in smoke as in validate.
    accepted = cli("smoke", "typo", "-o", "json", env={"ENDPOINTCTL_TASKS": "text-clasification"})
    assert accepted.code == 0, accepted.all
    (taken,) = json.loads(accepted.stdout)
    assert "task 'text-clasification': endpointctl knows no answer shape for it to check" in taken["notes"]
    assert "did you mean" not in accepted.all


def test_export_leaves_out_a_misspelt_task_and_says_which_was_meant(
    cli: Cli, tmp_path: pathlib.Path, client: Any, endpoint_body: Any
) -> None:
    """Written out, the manifest would not load (export failed, calling it endpointctl's bug)."""
    created = client.post(f"/v2/endpoint/{USER}", json=endpoint_body("typo", task="text-clasification"))
    assert created.status_code == 200, created.text
    directory = tmp_path / "live"
    exported = cli("export", "typo", "--dir", str(directory))
    assert exported.code == 0, exported.all
    assert "its task 'text-clasification' is a typo of 'text-classification'" in exported.all
    assert "task" not in yaml.safe_load((directory / "typo.yaml").read_text())["spec"]["model"]
    assert cli("validate", str(directory)).code == 0
    # Named in ENDPOINTCTL_TASKS, it is a task of its own: written, and validated with the same list.
    accepted = {"ENDPOINTCTL_TASKS": "text-clasification"}
    again = tmp_path / "accepted"
    assert cli("export", "typo", "--dir", str(again), env=accepted).code == 0
    assert yaml.safe_load((again / "typo.yaml").read_text())["spec"]["model"]["task"] == "text-clasification"
    assert cli("validate", str(again), env=accepted).code == 0


def test_validate_reports_a_misspelt_task_with_the_other_problems_at_once(
    cli: Cli, tmp_path: pathlib.Path
) -> None:
    """One run lists every problem (review: the typo came out only once the others were fixed)."""
    typo, line = write(tmp_path / "a-typo.yaml", "text-clasification", "typo")
    broken = document("text-classification", "broken")
    broken["spec"]["compute"]["instanceSize"] = 7
    (tmp_path / "b-broken.yaml").write_text(yaml.safe_dump(broken, sort_keys=False))
    result = cli("validate", str(tmp_path))
    assert result.code == 2, result.all
    assert f"{typo}:{line}: spec.model.task: 'text-clasification'" in result.stderr
    assert "b-broken.yaml:" in result.stderr and "spec.compute.instanceSize" in result.stderr
    assert "2 problems" in result.stderr, result.stderr


def _deployed(cli: Cli, path: pathlib.Path, task: str, **spec: Any) -> str:
    """``path``'s endpoint deployed with ``task``, then its manifest rewritten with a typo of it and
    ``spec``; the line the typo is on."""
    written, _ = write(path, task, "typo")
    applied = cli("apply", written, "--yes")
    assert applied.code == 0, applied.all
    doc = document(task[:7] + task[8:], "typo")  # a letter left out: "text-geeration"
    doc["spec"].update(spec)
    text = yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text)
    (line,) = [n for n, row in enumerate(text.splitlines(), start=1) if row.strip().startswith("task:")]
    return str(line)


def test_an_update_sends_its_pause_and_other_fields_without_a_misspelt_task(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any
) -> None:
    """The task is held back, not the change: a manifest edited to pause its endpoint (and size it
    down) still does so when a typo slipped into its task (review: the whole change was blocked)."""
    path = tmp_path / "typo.yaml"
    line = _deployed(cli, path, "text-generation", state="paused", scaling={"minReplica": 1, "maxReplica": 1})
    planned = cli("plan", str(path), "-o", "json")
    assert planned.code == 0, planned.all
    (change,) = json.loads(planned.stdout)
    assert change["action"] == "update", change
    assert [f["path"] for f in change["fields"]] == ["scaling.maxReplica", "state"], change
    (warning,) = change["warnings"]
    assert warning.startswith(f"spec.model.task at {path}:{line}: 'text-geeration' is not a task")
    assert "the task is not sent" in warning and "did you mean 'text-generation'?" in warning
    sandbox.reset_counts()
    applied = cli("apply", str(path), "--yes")
    assert applied.code == 0, applied.all
    assert "the task is not sent" in applied.stderr
    live = client.get(f"/v2/endpoint/{USER}/typo").json()
    assert (live["status"]["state"], live["model"]["task"]) == ("paused", "text-generation"), live
    assert live["compute"]["scaling"]["maxReplica"] == 1
    # Only the task is left, and blocked: a cost job's plan says so every run until it is fixed.
    left = cli("plan", str(path), "--detailed-exitcode")
    assert left.code == 1 and "model.task: text-generation -> text-geeration" in left.stdout, left.all


def test_a_pause_with_a_misspelt_task_is_a_pause_and_the_task_alone_is_blocked(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path, client: Any
) -> None:
    path = tmp_path / "typo.yaml"
    line = _deployed(cli, path, "text-generation", state="paused")
    planned = cli("plan", str(path), "-o", "json")
    (change,) = json.loads(planned.stdout)
    assert (change["action"], [f["path"] for f in change["fields"]]) == ("pause", ["state"]), change
    assert cli("apply", str(path), "--yes").code == 0
    assert client.get(f"/v2/endpoint/{USER}/typo").json()["status"]["state"] == "paused"
    # Paused as asked, only the typo is left: blocked, showing what it would change, at its line.
    planned = cli("plan", str(path), "-o", "json", "--detailed-exitcode")
    assert planned.code == 1, planned.all
    (change,) = json.loads(planned.stdout)
    assert change["action"] == "blocked" and [f["path"] for f in change["fields"]] == ["model.task"]
    assert change["reason"].startswith(f"spec.model.task at {path}:{line}: ")
    assert change["reason"].endswith("fix it, or remove the key to keep the endpoint's own"), change
    sandbox.reset_counts()
    assert cli("apply", str(path), "--yes").code == 1
    assert sandbox.mutating_count() == 0


def test_a_blocked_create_says_where_and_never_to_remove_the_key(cli: Cli, tmp_path: pathlib.Path) -> None:
    """Without its task key the endpoint would be created with no task at all."""
    typo, line = write(tmp_path / "typo.yaml", "text-clasification")
    (change,) = json.loads(cli("plan", typo, "-o", "json").stdout)
    assert change["action"] == "blocked" and not change.get("steps")
    assert change["reason"].startswith(f"spec.model.task at {typo}:{line}: 'text-clasification'")
    assert change["reason"].endswith("not sent: fix the manifest") and "remove" not in change["reason"]


def test_a_task_named_in_endpointctl_tasks_is_taken_though_a_typo_away_from_a_known_one(
    cli: Cli, client: Any, tmp_path: pathlib.Path
) -> None:
    """The Hub adds tasks: ``text-to-4d``, one edit from ``text-to-3d``, would be refused for good. Named in
    ENDPOINTCTL_TASKS (comma- or space-separated, spelled as tasks are compared), it is taken: validated,
    planned, created with it. A typo not named there is still refused."""
    new, _ = write(tmp_path / "new.yaml", "text-to-4d", "new-task")
    assert cli("validate", new).code == 2
    accepted = {"ENDPOINTCTL_TASKS": "other-task, Text_To_4D"}
    assert cli("validate", new, env=accepted).code == 0
    planned = cli("plan", new, "-o", "json", env=accepted)
    assert planned.code == 0 and json.loads(planned.stdout)[0]["action"] == "create", planned.all
    assert json.loads(cli("plan", new, "-o", "json").stdout)[0]["action"] == "blocked"  # without it
    assert cli("apply", new, "--yes", env=accepted).code == 0
    assert client.get("/v2/endpoint/sandbox-user/new-task").json()["model"]["task"] == "text-to-4d"
    typo, _ = write(tmp_path / "typo.yaml", "text-clasification", "typo")
    assert cli("validate", typo, env=accepted).code == 2
