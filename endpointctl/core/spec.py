"""PURE: what a manifest asks for, as typed, validated models (desired state).

The manifest models are pydantic models with ``extra="forbid"`` so a misspelt key fails loudly; their
descriptions double as the JSON Schema that ``endpointctl schema`` prints. ``None`` on an optional field
means "the manifest does not set it", and unset fields are never compared with the live endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from endpointctl.core import names
from endpointctl.core.budget_spec import BudgetSpec
from endpointctl.core.desired_state import DesiredState as DesiredState  # re-exported
from endpointctl.core.image_settings import as_sent
from endpointctl.core.schedule_spec import ScheduleSpec
from endpointctl.core.security_level import LEGACY_TYPES as LEGACY_TYPES  # re-exported
from endpointctl.core.security_level import Security as Security  # re-exported
from endpointctl.core.smoke_spec import SmokeTestSpec
from endpointctl.core.strict import Expanded as Expanded  # re-exported: the loader marks values
from endpointctl.core.strict import StrictModel, expanded_number

API_VERSION = "endpointctl/v1"
KIND = "InferenceEndpoint"
NAME_RE, NAME_MAX = names.NAME_RE, names.NAME_MAX  # re-exported: the manifest's metadata.name
# A Hugging Face user or organization name as it may appear in an API path: no '/', '?', spaces or '..'.
NAMESPACE_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
# Upper bounds endpointctl checks offline (README, Manifests); the API's own are not documented.
MAX_REPLICAS = 100
MAX_SCALE_TO_ZERO_MINUTES = 7 * 24 * 60  # a week
# Every value a manifest's ``scaling`` count may hold: ``ScalingSpec`` refuses any other, and an answer's
# count below them is unknown (hub/responses.py). minReplica 0 enables scale-to-zero; maxReplica 0 would
# be no endpoint at all.
MIN_REPLICA_VALUES = range(0, MAX_REPLICAS + 1)
MAX_REPLICA_VALUES = range(1, MAX_REPLICAS + 1)
SCALE_TO_ZERO_MINUTES_VALUES = range(1, MAX_SCALE_TO_ZERO_MINUTES + 1)


# Control characters (C0, DEL, C1) and lone surrogates: invisible in a terminal, or able to move its cursor.
CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def namespace_problem(value: str) -> str | None:
    """Why ``value`` cannot be a namespace, or None when it can."""
    if not value:
        return "a namespace cannot be empty"
    if not NAMESPACE_RE.fullmatch(value) or ".." in value:
        return (
            f"namespace {value!r} is not a user or organization name: letters, digits, '-', '_' and '.', "
            "starting and ending with a letter or digit, no '..', at most 96 characters"
        )
    return None


# A git ref name as the Hub takes it (a branch, a tag, refs/pr/N) or a commit.
# A task, region, instance type or size: one word the API and the catalog spell without blanks. A blank
# copied along with a value (" us-east-1") is refused offline, with its line: sent, it would reach the
# catalog check only at plan time, or the API as a different value.
WORD_PATTERN = r"^[^\s\x00-\x1f\x7f-\x9f]+$"

REVISION_RE = re.compile(r"(?!.*\.\.)(?!/)(?!.*/$)(?!-)[^\x00-\x20\x7f~^:?*\[\\]+")


def _no_control_characters(value: str, what: str) -> str:
    if CONTROL_RE.search(value):
        raise ValueError(f"{what} contains a control character (a newline, NUL, ESC, ...)")
    return value


class Vendor(StrEnum):
    AWS = "aws"
    AZURE = "azure"
    GCP = "gcp"


class Accelerator(StrEnum):
    CPU = "cpu"
    GPU = "gpu"
    NEURON = "neuron"


class Framework(StrEnum):
    PYTORCH = "pytorch"
    CUSTOM = "custom"
    LLAMACPP = "llamacpp"


DEFAULT_FRAMEWORK = Framework.PYTORCH
DEFAULT_IMAGE: dict[str, dict[str, Any]] = {"huggingface": {}}
# The narrowest level, as the service's own UI defaults to since late 2025: a manifest that says nothing
# gets an endpoint only its namespace's organization can call, never one any HF account can.
DEFAULT_SECURITY = Security.PRIVATE


# The keys each ``model.image`` variant takes (reference §2 EndpointModelImage). The API silently drops
# any other key, so a manifest that set one would show as drift forever: manifest validation refuses it.
# Variants without an engine list of their own take their engine family's fields.
IMAGE_CONTAINER_FIELDS = ("url", "port", "healthRoute")
_TGI_FIELDS = (
    "maxBatchPrefillTokens",
    "maxBatchTotalTokens",
    "maxInputLength",
    "maxTotalTokens",
    "disableCustomKernels",
    "quantize",
)
_VLLM_FIELDS = ("tensorParallelSize", "dataParallelSize")
IMAGE_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "huggingface": (),
        "huggingfaceNeuron": IMAGE_CONTAINER_FIELDS,
        "custom": (*IMAGE_CONTAINER_FIELDS, "credentials"),
        "tgi": (*IMAGE_CONTAINER_FIELDS, *_TGI_FIELDS),
        "tgiNeuron": (*IMAGE_CONTAINER_FIELDS, *_TGI_FIELDS),
        "tei": (*IMAGE_CONTAINER_FIELDS, "pooling"),
        "llamacpp": (*IMAGE_CONTAINER_FIELDS, "ctxSize", "modelPath", "nParallel"),
        "vLLM": (*IMAGE_CONTAINER_FIELDS, *_VLLM_FIELDS),
        "vLLMNeuron": (*IMAGE_CONTAINER_FIELDS, *_VLLM_FIELDS),
        "vLLMOmni": (*IMAGE_CONTAINER_FIELDS, *_VLLM_FIELDS),
        "sGLang": (*IMAGE_CONTAINER_FIELDS, "tensorParallelSize"),
        "hfServe": IMAGE_CONTAINER_FIELDS,
    }
)


class ModelSpec(StrictModel):
    repository: str = Field(
        description="Hub repository id of the model, e.g. openai-community/gpt2.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
    revision: str | None = Field(
        None,
        description="Branch, tag or 40-hex commit. A branch or tag is resolved to its commit when planning, "
        "and a new commit on it plans an update. Omitted: the API's default, the latest main, never drift.",
    )
    task: str | None = Field(
        None,
        description="Pipeline task, e.g. text-classification. One a typo away from a task the Hub knows "
        "is refused; any other is taken as written.",
        pattern=WORD_PATTERN,
    )
    framework: Framework | None = Field(None, description="Defaults to pytorch when creating.")
    image: dict[str, dict[str, Any]] | None = Field(
        None,
        description="The API's model.image union, one key naming the variant, e.g. "
        '{vLLM: {url: "vllm/vllm-openai:v0.23.0", port: 8000}}. Defaults to {huggingface: {}}.',
    )
    env: dict[str, str] | None = Field(None, description="Environment variables of the container.")
    secrets: dict[str, str] | None = Field(
        None,
        description='Secret environment variables. Values only from "${VAR}"; a literal value is refused.',
    )

    @field_validator("revision")
    @classmethod
    def _revision_is_a_ref(cls, value: str | None) -> str | None:
        # Refused here, offline, with its line: sent, it would cost a lookup and come back a 404 (or, when
        # empty, be read as the default branch by some clients).
        if value is not None and not REVISION_RE.fullmatch(_no_control_characters(value, "the revision")):
            raise ValueError(
                "expected a branch, tag or 40-hex commit: no spaces or control characters, "
                "none of ~ ^ : ? * [ \\ and no '..', e.g. main, v1.0 or refs/pr/1"
            )
        return value

    @field_validator("env")
    @classmethod
    def _env_keys_are_printable(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            _no_control_characters(key, "an environment variable's name")
        return value

    @field_validator("image")
    @classmethod
    def _one_variant(cls, value: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
        if value is not None and len(value) != 1:
            raise ValueError(
                f"expected exactly one image variant (e.g. huggingface, vLLM, tgi), found {len(value)}"
            )
        if value is None:
            return None
        return {
            variant: {key: as_sent(key, setting) for key, setting in settings.items()}
            for variant, settings in value.items()
        }


class ProviderSpec(StrictModel):
    vendor: Vendor = Field(description="Cloud vendor.")
    region: str = Field(description="Vendor region, e.g. us-east-1.", min_length=1, pattern=WORD_PATTERN)


class ComputeSpec(StrictModel):
    accelerator: Accelerator = Field(description="cpu, gpu or neuron.")
    instance_type: str = Field(
        alias="instanceType", min_length=1, pattern=WORD_PATTERN, description="e.g. intel-spr, nvidia-l4."
    )
    instance_size: str = Field(
        alias="instanceSize", min_length=1, pattern=WORD_PATTERN, description="e.g. x1, x2, x4."
    )


class ScalingSpec(StrictModel):
    # strict: YAML 1.1 reads `no` as false and a quoted "2" is text; neither may become a replica count.
    min_replica: int | None = Field(
        None,
        alias="minReplica",
        strict=True,
        ge=MIN_REPLICA_VALUES[0],
        le=MIN_REPLICA_VALUES[-1],
        description="0 enables scale-to-zero.",
    )
    max_replica: int | None = Field(
        None, alias="maxReplica", strict=True, ge=MAX_REPLICA_VALUES[0], le=MAX_REPLICA_VALUES[-1]
    )
    scale_to_zero_timeout: int | None = Field(
        None,
        alias="scaleToZeroTimeout",
        strict=True,
        ge=SCALE_TO_ZERO_MINUTES_VALUES[0],
        le=SCALE_TO_ZERO_MINUTES_VALUES[-1],
        description="Minutes without traffic before scaling to zero.",
    )

    @field_validator("min_replica", "max_replica", "scale_to_zero_timeout", mode="before")
    @classmethod
    def _from_a_variable(cls, value: Any) -> Any:
        return expanded_number(value)

    @model_validator(mode="after")
    def _min_not_above_max(self) -> ScalingSpec:
        low, high = self.min_replica, self.max_replica
        if low is not None and high is not None and low > high:
            raise ValueError(f"minReplica ({low}) is more than maxReplica ({high})")
        return self


class PrivateLinkSpec(StrictModel):
    account_id: str = Field(
        alias="accountId", pattern=r"^[0-9]{12}$", description="AWS account id (12 digits)."
    )
    # Required: huggingface_hub refuses a PrivateLink create without it, and it is not the compute region.
    region: str = Field(
        min_length=1,
        pattern=WORD_PATTERN,
        description="PrivateLink entry region, e.g. us-east-1 or eu-west-1.",
    )


class EndpointSpec(StrictModel):
    model: ModelSpec
    provider: ProviderSpec
    compute: ComputeSpec
    scaling: ScalingSpec | None = None
    security: Security | None = Field(
        None,
        description="private (the namespace's organization only) | protected (any Hugging Face account; "
        "the API's 'authenticated', accepted here too) | public (anyone). Defaults to private when creating.",
    )
    private_link: PrivateLinkSpec | None = Field(
        None, alias="privateLink", description="AWS PrivateLink; only with security: private."
    )
    state: DesiredState | None = Field(
        None, description="running | paused | scaledToZero. Omitted: created running, then left alone."
    )
    schedule: ScheduleSpec | None = Field(
        None,
        description="When it runs: windows in a time zone; outside them paused or scaled to zero. "
        "Not together with state. See the README's Schedules.",
    )
    allow_public: bool = Field(False, alias="allowPublic", description="Required to set security: public.")
    smoke_test: SmokeTestSpec | None = Field(
        None,
        alias="smokeTest",
        description="What `endpointctl smoke` and `apply --smoke` send and expect. "
        "Omitted: a default request for the task, checked for the task's answer shape.",
    )
    budget: BudgetSpec | None = Field(
        None, description="A spending limit, e.g. {monthlyUSD: 500}; see the README's Cutting cost."
    )

    @field_validator("security", mode="before")
    @classmethod
    def _authenticated_is_protected(cls, value: Any) -> Any:
        return "protected" if value == "authenticated" else value


class Metadata(StrictModel):
    name: str = Field(
        description="Endpoint name: a-z, 0-9 and '-', at most 32 characters.",
        max_length=NAME_MAX,
        pattern=NAME_RE.pattern,
    )
    namespace: str | None = Field(
        None,
        description="User or organization; else --namespace, ENDPOINTCTL_NAMESPACE, then the token's user.",
    )

    @field_validator("namespace")
    @classmethod
    def _a_namespace(cls, value: str | None) -> str | None:
        problem = None if value is None else namespace_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    labels: dict[str, str] = Field(
        default_factory=dict, description='Sent as endpoint tags "key=value"; usable in --selector.'
    )


class Manifest(StrictModel):
    api_version: Literal["endpointctl/v1"] = Field(alias="apiVersion")
    kind: Literal["InferenceEndpoint"]
    metadata: Metadata
    spec: EndpointSpec


@dataclass(frozen=True)
class Desired:
    """One validated manifest document and where it came from."""

    manifest: Manifest
    source: str  # "file:line" of the document, for messages
    # The commit a branch or tag in ``spec.model.revision`` resolved to when planning (core/revisions.py);
    # None when the manifest sets no revision, sets a commit, or nothing has looked it up.
    revision_commit: str | None = None
    # The line of each key path of the document, e.g. ("spec", "compute", "instanceType") -> 14, so a check
    # made after loading (the hardware preflight) points at the key as validation does. Empty: unknown.
    lines: Mapping[tuple[Any, ...], int] = field(default_factory=dict, compare=False, hash=False)
    # Secret values whose ``${VAR}`` is unset, by key path -> VAR: empty in ``manifest``, known by name
    # only, and needed only where a step sends them (core/secret_values.py refuses that before any change).
    unset_secrets: Mapping[tuple[str, ...], str] = field(default_factory=dict, compare=False, hash=False)
    # The run's --namespace / ENDPOINTCTL_NAMESPACE (None: the token's user), set when placed: a hint that
    # applies this document's file gives it again, so the file's documents naming none land where they did.
    run_namespace: str | None = field(default=None, compare=False, hash=False)

    @property
    def name(self) -> str:
        return self.manifest.metadata.name

    @property
    def file(self) -> str:
        file, _, line = self.source.rpartition(":")
        return file if file and line.isdigit() else self.source

    def line_of(self, *path: Any) -> int | None:
        """The line of ``path``, else of its deepest parent found, else of the document (None: unknown)."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        _, _, start = self.source.rpartition(":")
        return int(start) if start.isdigit() else None

    @property
    def spec(self) -> EndpointSpec:
        return self.manifest.spec

    def sensitive_values(self) -> tuple[str, ...]:
        """Every value no output may show: the secrets' values and the image's registry password."""
        model = self.spec.model
        values = list((model.secrets or {}).values())
        for settings in (model.image or {}).values():
            password = registry_password(settings)
            if password is not None:
                values.append(password)
        return tuple(value for value in values if value)


# A container image's private-registry login: ``credentials: {username, password}`` inside the variant.
# The password is a secret like a ``spec.model.secrets`` value: only from ``${VAR}``, never shown, never
# compared (the API does not return it in full).
CREDENTIALS_KEY = "credentials"
PASSWORD_KEY = "password"
CREDENTIAL_KEYS = ("password", "username")


def registry_password(settings: Any) -> str | None:
    """The registry password of one image variant's settings, if it sets one."""
    credentials = settings.get(CREDENTIALS_KEY) if isinstance(settings, dict) else None
    password = credentials.get(PASSWORD_KEY) if isinstance(credentials, dict) else None
    return password if isinstance(password, str) else None
