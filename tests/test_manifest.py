"""manifest.load: every error path, each located by file, exact line and key path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from endpointctl.core.errors import ManifestError, ManifestIssue
from endpointctl.core.spec import DesiredState, Security
from endpointctl.manifest import json_schema, load

# Line numbers in the cases below refer to this document; replacements keep one line for one line.
BASE = """\
apiVersion: endpointctl/v1
kind: InferenceEndpoint
metadata:
  name: demo
  labels: {team: nlp}
spec:
  model:
    repository: openai-community/gpt2
    task: text-generation
    env: {MAX_INPUT_LENGTH: "1024"}
  provider: {vendor: aws, region: us-east-1}
  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}
  scaling: {minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15}
  security: protected
"""


def variant(*replacements: tuple[str, str]) -> str:
    text = BASE
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def issues_of(
    paths: list[Path], environ: Mapping[str, str] | None = None, *, allow_public: bool = False
) -> list[ManifestIssue]:
    with pytest.raises(ManifestError) as caught:
        load(paths, environ=environ or {}, allow_public=allow_public)
    return caught.value.issues


PASSWORD = "spec.model.image.custom.credentials.password"


def private_image(password: str) -> str:
    """One line: a custom image pulled from a private registry with ``password`` as written."""
    credentials = f"{{username: bot, password: {password}}}"
    return f"    image: {{custom: {{url: ghcr.io/acme/app:1, credentials: {credentials}}}}}"


# (id, document text, environ, [(line, key path, text the message must contain), ...])
ERROR_CASES: list[tuple[str, str, dict[str, str], list[tuple[int | None, str, str]]]] = [
    (
        "yaml syntax error",
        variant(("    task: text-generation", "    task: text: generation")),
        {},
        # PyYAML's words ("... here"), or libyaml's where PyYAML was built with it ("... in this context").
        [(9, "", "invalid YAML: mapping values are not allowed")],
    ),
    (
        "document is a list",
        "- a\n- b\n",
        {},
        [(1, "", "expected a mapping with apiVersion, kind, metadata and spec, found a list")],
    ),
    (
        "document is a string",
        "hello\n",
        {},
        [(1, "", "found 'hello'")],
    ),
    (
        "wrong apiVersion",
        variant(("apiVersion: endpointctl/v1", "apiVersion: endpointctl/v2")),
        {},
        [(1, "apiVersion", "expected endpointctl/v1, found 'endpointctl/v2'")],
    ),
    (
        "wrong kind",
        variant(("kind: InferenceEndpoint", "kind: Deployment")),
        {},
        [(2, "kind", "expected InferenceEndpoint, found 'Deployment'")],
    ),
    (
        "missing repository: line of the parent mapping",
        variant(("    repository: openai-community/gpt2\n", "    revision: main\n")),
        {},
        [(7, "spec.model.repository", "required key missing")],
    ),
    (
        "missing name",
        variant(("  name: demo\n", "  namespace: acme\n")),
        {},
        [(3, "metadata.name", "required key missing")],
    ),
    (
        "missing compute and instanceSize",
        variant(
            ("  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}", "  state: running"),
            ("  provider: {vendor: aws, region: us-east-1}", "  provider: {vendor: aws}"),
        ),
        {},
        [(6, "spec.compute", "required key missing"), (11, "spec.provider.region", "required key missing")],
    ),
    (
        "unknown key at the top",
        variant(("kind: InferenceEndpoint", "kind: InferenceEndpoint\nkinds: x")) + "",
        {},
        [
            (
                3,
                "kinds",
                "unknown key 'kinds' (did you mean 'kind'?); allowed: apiVersion, kind, metadata, spec",
            )
        ],
    ),
    (
        "unknown key in compute, its missing twin is not reported",
        variant(("instanceSize: x2}", "instanceSise: x2}")),
        {},
        [
            (
                12,
                "spec.compute.instanceSise",
                "unknown key 'instanceSise' (did you mean 'instanceSize'?); "
                "allowed: accelerator, instanceSize, instanceType",
            )
        ],
    ),
    (
        "unknown key in model, snake case",
        variant(("    task: text-generation", "    task: text-generation\n    frame_work: pytorch")),
        {},
        [(10, "spec.model.frame_work", "(did you mean 'framework'?); allowed: env, framework, image,")],
    ),
    (
        "unknown key in metadata without a close match",
        variant(("  labels: {team: nlp}", "  owner: someone")),
        {},
        [(5, "metadata.owner", "unknown key 'owner'; allowed: labels, name, namespace")],
    ),
    (
        "integer expected",
        variant(("minReplica: 0,", "minReplica: two,")),
        {},
        [(13, "spec.scaling.minReplica", "expected an integer, found 'two'")],
    ),
    (
        "integer too small",
        variant(("maxReplica: 1,", "maxReplica: 0,")),
        {},
        [(13, "spec.scaling.maxReplica", "must be at least 1, found 0")],
    ),
    (
        "mapping expected",
        variant(("  scaling: {minReplica: 0, maxReplica: 1, scaleToZeroTimeout: 15}", "  scaling: 3")),
        {},
        [(13, "spec.scaling", "expected a mapping, found 3")],
    ),
    (
        "label value must be a string",
        variant(("  labels: {team: nlp}", "  labels: {team: 7}")),
        {},
        [(5, "metadata.labels.team", "expected a string, found 7 (put it in quotes")],
    ),
    (
        "enum with did-you-mean",
        variant(("accelerator: cpu", "accelerator: gpuu")),
        {},
        [(12, "spec.compute.accelerator", "'gpuu' is not one of cpu, gpu, neuron (did you mean 'gpu'?)")],
    ),
    (
        "security enum",
        variant(("  security: protected", "  security: publik")),
        {},
        [(14, "spec.security", "'publik' is not one of public, protected, private (did you mean 'public'?)")],
    ),
    (
        "state enum, case-insensitive match",
        BASE + "  state: ScaledtoZero\n",
        {},
        [(15, "spec.state", "is not one of running, paused, scaledToZero (did you mean 'scaledToZero'?)")],
    ),
    (
        "name with invalid characters",
        variant(("  name: demo", "  name: My_Demo")),
        {},
        [(4, "metadata.name", "invalid endpoint name 'My_Demo': use only a-z, 0-9 and '-'")],
    ),
    (
        "name too long",
        variant(("  name: demo", "  name: " + "a" * 40)),
        {},
        [(4, "metadata.name", "it is 40 characters long, at most 32 are allowed")],
    ),
    (
        "repository format",
        variant(("repository: openai-community/gpt2", "repository: gpt2")),
        {},
        [(8, "spec.model.repository", "expected a Hub repository id like 'owner/model', found 'gpt2'")],
    ),
    (
        "duplicate key",
        variant(("    task: text-generation", "    task: text-generation\n    task: fill-mask")),
        {},
        [(10, "spec.model.task", "duplicate key 'task' (first at line 9)")],
    ),
    (
        "unset variable",
        variant(("region: us-east-1}", 'region: "${REGION}"}')),
        {},
        [(11, "spec.provider.region", "environment variable REGION is not set")],
    ),
    (
        "unquoted variable in a flow mapping",
        variant(("region: us-east-1}", "region: ${REGION}}")),
        {"REGION": "us-east-1"},
        [(11, "", 'inside { } or [ ] quote values that use variables: "${VAR}"')],
    ),
    (
        "several unset variables in one value",
        variant(("    task: text-generation", "    task: ${A}-${B}")),
        {},
        [(9, "spec.model.task", "environment variables A, B are not set")],
    ),
    (
        "unterminated reference",
        variant(("    task: text-generation", "    task: ${TASK")),
        {},
        [(9, "spec.model.task", "invalid variable reference")],
    ),
    (
        "literal secret",
        variant(('    env: {MAX_INPUT_LENGTH: "1024"}', "    secrets: {API_KEY: hunter2-literal}")),
        {},
        [(10, "spec.model.secrets.API_KEY", "secret values must come from the environment: write ${VAR}")],
    ),
    (
        "secret with a default",
        variant(('    env: {MAX_INPUT_LENGTH: "1024"}', '    secrets: {API_KEY: "${KEY:-s3cr3t-default}"}')),
        {},
        [(10, "spec.model.secrets.API_KEY", "write ${VAR} without a default")],
    ),
    # An unset secret variable is not an error by itself (tests/test_export_round_trip.py): only where a
    # plan would send its value.
    (
        "public without allowPublic",
        variant(("  security: protected", "  security: public")),
        {},
        [(14, "spec.security", "set allowPublic: true in the spec or pass --allow-public")],
    ),
    (
        "privateLink without private",
        BASE + '  privateLink: {accountId: "123456789012", region: us-east-1}\n',
        {},
        [(15, "spec.privateLink", "only allowed with security: private, found security: protected")],
    ),
    (
        "privateLink outside aws",
        variant(("vendor: aws", "vendor: gcp"), ("security: protected", "security: private"))
        + '  privateLink: {accountId: "123456789012", region: us-east-1}\n',
        {},
        [(15, "spec.privateLink", "privateLink requires provider vendor aws, found 'gcp'")],
    ),
    (
        "privateLink account id",
        variant(("security: protected", "security: private"))
        + "  privateLink: {accountId: 1234, region: us-east-1}\n",
        {},
        [(15, "spec.privateLink.accountId", "expected a string, found 1234 (put it in quotes")],
    ),
    (
        "reserved labels",
        variant(("  labels: {team: nlp}", "  labels: {managed-by: me, endpointctl-stack: x}")),
        {},
        [
            (5, "metadata.labels.managed-by", "label 'managed-by' is reserved: endpointctl sets it"),
            (5, "metadata.labels.endpointctl-stack", "label 'endpointctl-stack' is reserved"),
        ],
    ),
    (
        "label key and value with separators",
        variant(("  labels: {team: nlp}", '  labels: {"a=b": x, team: "nlp,ml"}')),
        {},
        [
            (5, "metadata.labels.a=b", "label keys must not contain '=' or ','"),
            (5, "metadata.labels.team", "label value 'nlp,ml' must not contain '=' or ','"),
        ],
    ),
    (
        "unsupported tag",
        variant(("    task: text-generation", "    task: !Ref text")),
        {},
        [(9, "spec.model.task", "cannot read value: could not determine a constructor for the tag '!Ref'")],
    ),
    (
        "image needs exactly one variant",
        variant(("    task: text-generation", "    image: {vLLM: {url: x}, tgi: {url: y}}")),
        {},
        [(9, "spec.model.image", "expected exactly one image variant")],
    ),
    (
        "secret too short",
        variant(('    env: {MAX_INPUT_LENGTH: "1024"}', '    secrets: {API_KEY: "${KEY}"}')),
        {"KEY": "abc"},
        [
            (
                10,
                "spec.model.secrets.API_KEY",
                "environment variable KEY holds a value too short to be a secret",
            )
        ],
    ),
    (
        "literal registry password",
        variant(("    task: text-generation", private_image("hunter2-literal-pw"))),
        {},
        [
            (
                9,
                PASSWORD,
                "the registry password must come from the environment: write ${VAR}, not a literal value",
            )
        ],
    ),
    (
        "registry password with a default",
        variant(("    task: text-generation", private_image('"${REG_PW:-hunter2-default}"'))),
        {},
        [
            (
                9,
                PASSWORD,
                "the registry password must come from the environment: write ${VAR} without a default",
            )
        ],
    ),
    (
        "registry password not a string",
        variant(("    task: text-generation", private_image("424242424242"))),
        {},
        [(9, PASSWORD, "the registry password must come from the environment: write ${VAR}")],
    ),
    (
        "registry password too short",
        variant(("    task: text-generation", private_image('"${REG_PW}"'))),
        {"REG_PW": "hunt7"},
        [(9, PASSWORD, "environment variable REG_PW holds a value too short to be a secret; use at least 8")],
    ),
    (
        "misspelt password key",
        variant(
            (
                "    task: text-generation",
                "    image: {custom: {url: x, credentials: {username: bot, pasword: hunter2-literal}}}",
            )
        ),
        {},
        [
            (
                9,
                "spec.model.image.custom.credentials.pasword",
                "unknown key 'pasword' (did you mean 'password'?); allowed: password, username",
            )
        ],
    ),
    (
        "credentials without a username",
        variant(
            ("    task: text-generation", '    image: {custom: {url: x, credentials: {password: "${P}"}}}')
        ),
        {"P": "long-enough-password"},
        [(9, "spec.model.image.custom.credentials.username", "required key missing")],
    ),
    (
        "snake_case health route in an image",
        variant(("    task: text-generation", "    image: {vLLM: {url: x, health_route: /health}}")),
        {},
        [
            (
                9,
                "spec.model.image.vLLM.health_route",
                "unknown key 'health_route' (did you mean 'healthRoute'?); allowed: dataParallelSize, "
                "healthRoute, port, tensorParallelSize, url",
            )
        ],
    ),
    (
        "engine field of another engine",
        variant(("    task: text-generation", "    image: {tei: {url: x, tensorParallelSize: 2}}")),
        {},
        [(9, "spec.model.image.tei.tensorParallelSize", "allowed: healthRoute, pooling, port, url")],
    ),
    (
        "settings on the default image",
        variant(("    task: text-generation", "    image: {huggingface: {port: 8080}}")),
        {},
        [(9, "spec.model.image.huggingface.port", "allowed: none (huggingface takes no settings)")],
    ),
    (
        "unknown image variant",
        variant(("    task: text-generation", "    image: {vllm: {url: x}}")),
        {},
        [(9, "spec.model.image.vllm", "unknown image variant 'vllm' (did you mean 'vLLM'?); allowed: ")],
    ),
    (
        "credentials on a variant that takes none",
        variant(("    task: text-generation", "    image: {tgi: {url: x, credentials: hunter2-literal}}")),
        {},
        [(9, "spec.model.image.tgi.credentials", "unknown key 'credentials'; allowed: disableCustomKernels")],
    ),
    (
        "keys YAML reads as a boolean, a number or empty",  # paths as YAML reads keys (review)
        variant(("    task: text-generation", "    task: text-generation\n    on: x\n    2: y\n    ~: z")),
        {},
        [
            (10, "spec.model.true", "a key must be text; YAML reads this one as true: quote it"),
            (11, "spec.model.2", "reads this one as 2"),
            (12, "spec.model.null", "reads this one as an empty value"),
        ],
    ),
    (
        "credentials not a mapping",
        variant(("    task: text-generation", "    image: {custom: {url: x, credentials: hunter2-literal}}")),
        {},
        [
            (
                9,
                "spec.model.image.custom.credentials",
                "expected a mapping with username and password, found a string",
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "environ", "expected"), [case[1:] for case in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_error_is_located(
    tmp_path: Path, text: str, environ: dict[str, str], expected: list[tuple[int | None, str, str]]
) -> None:
    path = write(tmp_path, "endpoint.yaml", text)
    issues = issues_of([path], environ)
    assert [(issue.line, issue.path) for issue in issues] == [(line, key) for line, key, _ in expected]
    for issue, (_, _, fragment) in zip(issues, expected, strict=True):
        assert issue.file == str(path)
        assert fragment in issue.message, issue.message


def test_image_engine_fields_are_accepted(tmp_path: Path) -> None:
    image = "{vLLM: {url: vllm/vllm-openai:v0.23.0, port: 8000, healthRoute: /health, tensorParallelSize: 2}}"
    text = variant(("    task: text-generation", f"    image: {image}"))
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ={})
    assert desired.spec.model.image == {
        "vLLM": {
            "url": "vllm/vllm-openai:v0.23.0",
            "port": 8000,
            "healthRoute": "/health",
            "tensorParallelSize": 2,
        }
    }


def test_sensitive_values_never_appear(tmp_path: Path) -> None:
    text = variant(
        ('    env: {MAX_INPUT_LENGTH: "1024"}', "    env: {TOKEN: 987654321}"),
        (
            "    task: text-generation",
            '    secrets: {A: literal-hunter2, B: "${B:-default-hunter3}", C: "${C}", D: 424242}',
        ),
        ("minReplica: 0,", "minReplica: oops,"),  # another error, so the document is reported
    )
    path = write(tmp_path, "endpoint.yaml", text)
    with pytest.raises(ManifestError) as caught:
        load([path], environ={"C": "expanded-hunter4", "B": "expanded-hunter5"})
    shown = str(caught.value)
    for secret in ("hunter2", "hunter3", "hunter4", "hunter5", "424242", "987654321"):
        assert secret not in shown
    messages = {issue.path: issue.message for issue in caught.value.issues}
    assert (
        messages["spec.model.env.TOKEN"]
        == "expected a string, found an integer (put it in quotes so YAML reads it as text)"
    )
    assert "secret values must come from the environment" in messages["spec.model.secrets.D"]


def test_variables_are_expanded(tmp_path: Path) -> None:
    text = variant(
        ("region: us-east-1}", 'region: "${REGION:-eu-west-1}"}'),
        ("    task: text-generation", "    task: ${TASK}"),
        ('    env: {MAX_INPUT_LENGTH: "1024"}', '    env: {PRICE: "$$5 or $5", LITERAL: "$${NOT_EXPANDED}"}'),
        ("scaleToZeroTimeout: 15", 'scaleToZeroTimeout: "${TIMEOUT:-20}"'),
    )
    path = write(tmp_path, "endpoint.yaml", text)
    (desired,) = load([path], environ={"TASK": "fill-mask"})
    assert desired.spec.provider.region == "eu-west-1"
    assert desired.spec.model.task == "fill-mask"
    assert desired.spec.model.env == {"PRICE": "$5 or $5", "LITERAL": "${NOT_EXPANDED}"}
    assert desired.spec.scaling is not None and desired.spec.scaling.scale_to_zero_timeout == 20
    # An empty value takes the default too, as in the shell.
    (desired,) = load([path], environ={"TASK": "x", "REGION": ""})
    assert desired.spec.provider.region == "eu-west-1"
    (desired,) = load([path], environ={"TASK": "x", "REGION": "us-east-2"})
    assert desired.spec.provider.region == "us-east-2"


def test_secret_from_environment(tmp_path: Path) -> None:
    text = variant(('    env: {MAX_INPUT_LENGTH: "1024"}', '    secrets: {API_KEY: "${MY_API_KEY}"}'))
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ={"MY_API_KEY": "s3cret-value"})
    assert desired.spec.model.secrets == {"API_KEY": "s3cret-value"}
    assert desired.sensitive_values() == ("s3cret-value",)


def test_registry_password_from_environment_is_sensitive(tmp_path: Path) -> None:
    text = variant(
        ('    env: {MAX_INPUT_LENGTH: "1024"}', '    secrets: {API_KEY: "${MY_API_KEY}"}'),
        ("    task: text-generation", private_image('"${REG_PW}"')),
    )
    environ = {"MY_API_KEY": "s3cret-value", "REG_PW": "hunter2-registry-pw"}
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ=environ)
    assert desired.spec.model.image == {
        "custom": {
            "url": "ghcr.io/acme/app:1",
            "credentials": {"username": "bot", "password": "hunter2-registry-pw"},
        }
    }
    assert desired.sensitive_values() == ("s3cret-value", "hunter2-registry-pw")


def test_short_or_literal_registry_passwords_are_never_echoed(tmp_path: Path) -> None:
    documents = [
        variant(("    task: text-generation", private_image(password)), ("name: demo", f"name: demo-{index}"))
        for index, password in enumerate(
            ('"${SHORT}"', "hunter6-literal", '"${REG_PW:-hunter7-default}"', "9876543210")
        )
    ]
    documents.append(
        variant(
            ("    task: text-generation", "    image: {custom: {url: x, credentials: hunter8-literal}}"),
            ('    env: {MAX_INPUT_LENGTH: "1024"}', '    secrets: {API_KEY: "${SHORT_KEY}"}'),
            ("name: demo", "name: demo-x"),
        )
    )
    path = write(tmp_path, "endpoint.yaml", "---\n".join(documents))
    with pytest.raises(ManifestError) as caught:
        load([path], environ={"SHORT": "hunt9", "SHORT_KEY": "hunt0"})
    shown = str(caught.value)
    for value in ("hunt9", "hunt0", "hunter6", "hunter7", "hunter8", "9876543210"):
        assert value not in shown
    assert len(caught.value.issues) == 6, shown
    assert shown.count("too short to be a secret") == 2


@pytest.mark.parametrize(
    ("spec_line", "allow_public"),
    [("  allowPublic: true\n", False), ("", True), ('  allowPublic: "${ALLOW:-true}"\n', False)],
    ids=["allowPublic in spec", "allow_public argument", "allowPublic from a variable"],
)
def test_public_is_allowed_either_way(tmp_path: Path, spec_line: str, allow_public: bool) -> None:
    text = variant(("  security: protected", "  security: public")) + spec_line
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ={}, allow_public=allow_public)
    assert desired.spec.security is Security.PUBLIC


def test_private_link_with_private(tmp_path: Path) -> None:
    text = (
        variant(("security: protected", "security: private"))
        + '  privateLink: {accountId: "123456789012", region: us-east-1}\n'
    )
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ={})
    assert desired.spec.private_link is not None and desired.spec.private_link.account_id == "123456789012"


def test_authenticated_is_protected(tmp_path: Path) -> None:
    text = variant(("  security: protected", "  security: authenticated")) + "  state: scaledToZero\n"
    (desired,) = load([write(tmp_path, "e.yaml", text)], environ={})
    assert desired.spec.security is Security.PROTECTED
    assert desired.spec.state is DesiredState.SCALED_TO_ZERO


def test_valid_document(tmp_path: Path) -> None:
    path = write(tmp_path, "e.yaml", "# a comment\n\n" + BASE)
    (desired,) = load([path], environ={})
    assert desired.name == "demo"
    assert desired.source == f"{path}:3"
    assert desired.manifest.metadata.labels == {"team": "nlp"}
    assert desired.spec.compute.instance_size == "x2"
    assert desired.spec.model.framework is None  # defaults apply at create, not here


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", BASE)
    second = write(tmp_path, "b.yaml", "# same endpoint again\n" + BASE)
    other_namespace = write(tmp_path, "c.yaml", variant(("  name: demo", "  name: demo\n  namespace: acme")))
    issues = issues_of([first, second, other_namespace])
    assert issues == [
        ManifestIssue(
            str(second), 5, "metadata.name", f"endpoint 'demo' is defined twice; first at {first}:4"
        )
    ]


def test_same_file_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", BASE)
    assert len(load([path, tmp_path], environ={})) == 1


def test_directories_are_searched_recursively(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", variant(("name: demo", "name: b")))
    write(tmp_path, "a/z.yml", variant(("name: demo", "name: z")))
    write(tmp_path, "a/c.yaml", variant(("name: demo", "name: c")))
    write(tmp_path, "notes.txt", "not yaml")
    write(tmp_path, ".github/workflows/ci.yaml", "on: push\n")
    desired = load([tmp_path], environ={})
    assert [d.name for d in desired] == ["c", "z", "b"]
    assert desired[0].source == f"{tmp_path / 'a' / 'c.yaml'}:1"


def test_multi_document_errors_are_all_reported(tmp_path: Path) -> None:
    bad_second = variant(("accelerator: cpu", "accelerator: tpu"))
    bad_third = variant(("  name: demo", "  name: third"), ("maxReplica: 1,", "maxReplica: many,"))
    text = "---\n" + BASE + "---\n# empty\n---\n" + bad_second.replace("demo", "second") + "---\n" + bad_third
    path = write(tmp_path, "all.yaml", text)
    other = write(
        tmp_path, "other.yaml", variant(("kind: InferenceEndpoint", "kind: Endpoint"), ("demo", "other"))
    )
    issues = issues_of([path, other])
    # BASE is 14 lines: documents start at lines 2, 19 and 34.
    assert [(i.file, i.line, i.path) for i in issues] == [
        (str(path), 30, "spec.compute.accelerator"),
        (str(path), 46, "spec.scaling.maxReplica"),
        (str(other), 2, "kind"),
    ]
    assert str(issues[0]).startswith(
        f"{path}:30: spec.compute.accelerator: 'tpu' is not one of cpu, gpu, neuron"
    )


def test_syntax_error_keeps_earlier_documents(tmp_path: Path) -> None:
    text = variant(("accelerator: cpu", "accelerator: gpuu")) + "---\nkey: [unclosed\n"
    issues = issues_of([write(tmp_path, "e.yaml", text)])
    assert [(i.line, i.path) for i in issues] == [(12, "spec.compute.accelerator"), (17, "")]
    assert issues[1].message.startswith("invalid YAML:")


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "no such file or directory"),
        ("empty dir", "no manifests found; expected *.yaml or *.yml files"),
        ("empty documents", "no manifest in this file: it is empty, or holds only `---` and comments"),
    ],
)
def test_nothing_to_load(tmp_path: Path, setup: str, message: str) -> None:
    target = tmp_path / "nothing"
    if setup == "empty dir":
        target.mkdir()
    elif setup == "empty documents":
        target = write(tmp_path, "empty.yaml", "# nothing yet\n---\n---\n")
    issues = issues_of([target])
    assert [(i.file, i.line, i.path, i.message) for i in issues] == [(str(target), None, "", message)]


def test_issue_lists_every_file(tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", variant(("  name: demo", "  name: Bad")))
    missing = tmp_path / "missing.yaml"
    with pytest.raises(ManifestError) as caught:
        load([a, missing], environ={})
    error = caught.value
    assert [i.file for i in error.issues] == [str(a), str(missing)]
    assert error.message.startswith("2 problems in the manifests:")


def test_anchors_and_merge_keys(tmp_path: Path) -> None:
    text = variant(
        (
            "  compute: {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}",
            "  compute:\n    <<: *cpu",
        ),
        ("  provider: {vendor: aws, region: us-east-1}", "  provider: {vendor: aws, region: us-east-1}"),
    ).replace(
        "metadata:",
        "x-defaults: &cpu {accelerator: cpu, instanceType: intel-spr, instanceSize: x2}\nmetadata:",
    )
    issues = issues_of([write(tmp_path, "e.yaml", text)])
    # Merged keys work; the helper key itself is still unknown.
    assert [(i.line, i.path) for i in issues] == [(3, "x-defaults")]


def test_json_schema_uses_yaml_names() -> None:
    schema = json_schema()
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    compute = schema["$defs"]["ComputeSpec"]
    assert set(compute["properties"]) == {"accelerator", "instanceType", "instanceSize"}
    assert compute["additionalProperties"] is False


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    assert issues_of([path]) == [ManifestIssue(str(path), None, "", "cannot read: not UTF-8 text")]
