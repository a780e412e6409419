"""Each image setting's value is what the API takes, checked offline: a text, a flag or a count (review
finding: `url: 5`, `port: "x"` and `port: -1` passed validation and reached the create plan)."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml
from builders import BASE_DOC, live
from clirunner import Cli, assert_replan_empty
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core import image_settings
from endpointctl.core.errors import ManifestError
from endpointctl.core.export import Exported, export
from endpointctl.core.spec import CREDENTIALS_KEY, IMAGE_FIELDS
from endpointctl.manifest import load
from endpointctl.sandbox import Request, Response, Sandbox
from endpointctl.sandbox.transport import Handler


def test_every_setting_the_api_knows_has_a_kind() -> None:
    known = {key for fields in IMAGE_FIELDS.values() for key in fields} - {CREDENTIALS_KEY}
    kinds = image_settings._IMAGE_TEXTS | image_settings._IMAGE_FLAGS | image_settings._IMAGE_COUNTS
    assert known == kinds


def manifest_with(tmp_path: pathlib.Path, image: dict[str, Any]) -> pathlib.Path:
    doc = {**BASE_DOC, "spec": {**BASE_DOC["spec"], "model": {**BASE_DOC["spec"]["model"], "image": image}}}
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


@pytest.mark.parametrize(
    ("settings", "problems"),
    [
        ({"url": 5, "port": "x"}, {"url": "non-empty string", "port": "from 1 to 65535"}),
        ({"url": "a/b:1", "port": -1}, {"port": "from 1 to 65535"}),
        ({"url": "a/b:1", "port": 65536}, {"port": "from 1 to 65535"}),
        ({"url": "", "port": 80}, {"url": "non-empty string"}),
        ({"url": "a/b:1", "port": True}, {"port": "from 1 to 65535"}),
        ({"url": "a/b:1", "port": 80, "tensorParallelSize": 0}, {"tensorParallelSize": "1 or more"}),
        ({"url": "a/b:1", "port": 80, "dataParallelSize": 1.5}, {"dataParallelSize": "1 or more"}),
    ],
)
def test_a_value_the_api_would_refuse_is_a_problem_at_its_key(
    tmp_path: pathlib.Path, settings: dict[str, Any], problems: dict[str, str]
) -> None:
    with pytest.raises(ManifestError) as raised:
        load([manifest_with(tmp_path, {"vLLM": settings})], environ={})
    found = {issue.path.rsplit(".", 1)[-1]: issue.message for issue in raised.value.issues}
    assert set(found) == set(problems)
    for key, words in problems.items():
        assert words in found[key]


def test_flags_and_a_number_from_a_variable() -> None:
    assert image_settings.setting_problem("disableCustomKernels", "yes") == "expected true or false"
    assert image_settings.setting_problem("disableCustomKernels", False) is None


def test_a_port_from_a_variable_is_a_number(tmp_path: pathlib.Path) -> None:
    (desired,) = load(
        [manifest_with(tmp_path, {"vLLM": {"url": "a/b:1", "port": "${PORT}"}})], environ={"PORT": "8080"}
    )
    # A number, as the API takes it: sent as "8080" it could never be compared with the 8080 reported.
    assert desired.spec.model.image == {"vLLM": {"url": "a/b:1", "port": 8080}}
    assert type(desired.spec.model.image["vLLM"]["port"]) is int
    with pytest.raises(ManifestError):
        load(
            [manifest_with(tmp_path, {"vLLM": {"url": "a/b:1", "port": "${PORT}"}})], environ={"PORT": "80x"}
        )


def test_a_changed_port_variable_is_sent_as_a_number_and_planned(
    cli: Cli, sandbox: Sandbox, clock: Any, tmp_path: pathlib.Path
) -> None:
    """Review finding: a port from ${PORT} went out as the text "8080"; the live 8080 then never compared
    with it (another JSON type is unknown), so changing PORT to 9090 planned nothing at all."""
    sent: list[Any] = []

    def record(request: Request, handler: Handler) -> Response:
        if request.method in ("POST", "PUT") and request.body:
            image = json.loads(request.body).get("model", {}).get("image")
            if image is not None:
                sent.append(image["vLLM"]["port"])
        return handler(request)

    sandbox.add_middleware(record)
    path = str(manifest_with(tmp_path, {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": "${PORT}"}}))
    assert cli("apply", path, "--yes", env={"PORT": "8080"}).code == 0
    clock.advance(10)
    assert sent == [8080]
    assert_replan_empty(cli, sandbox, path, env={"PORT": "8080"})
    plan = cli("plan", path, "-o", "json", env={"PORT": "9090"})
    ((change,),) = [entry["fields"] for entry in json.loads(plan.stdout)]
    assert (change["path"], change["before"]["vLLM"]["port"], change["after"]["vLLM"]["port"]) == (
        "model.image",
        8080,
        9090,
    )
    assert cli("apply", path, "--yes", env={"PORT": "9090"}).code == 0
    assert sent == [8080, 9090]


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5)))
def test_what_the_api_reports_outside_the_rule_is_left_out_of_an_export(port: Any) -> None:
    result = export(live(image={"vLLM": {"url": "vllm/vllm-openai:v1", "port": port}}))
    assert isinstance(result, Exported)
    settings = result.document["spec"]["model"]["image"]["vLLM"]
    good = isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535
    assert ("port" in settings) == good
    assert (
        good
        or any("port is reported as a value a manifest cannot hold" in n for n in result.notes)
        or port is None
    )
