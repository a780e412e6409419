"""The typed domain: what a manifest asks for (desired) and what the API reports (observed).

Pure: no click, no huggingface_hub, no network, no clock. The manifest models are pydantic models with
``extra="forbid"`` so a misspelt key fails loudly; their descriptions double as the JSON Schema that
``endpointctl schema`` prints. ``None`` on an optional field means "the manifest does not set it", and
unset fields are never compared with the live endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated, Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

API_VERSION = "endpointctl/v1"
KIND = "InferenceEndpoint"

# Tags endpointctl owns. A manifest may not set them through labels.
MANAGED_BY_KEY = "managed-by"
MANAGED_BY_VALUE = "endpointctl"
MANAGED_TAG = f"{MANAGED_BY_KEY}={MANAGED_BY_VALUE}"
STACK_KEY = "endpointctl-stack"
# Which tags are labels we set, so a label removed from a manifest is removed from the endpoint while
# tags someone else added stay. "+" cannot occur in a label key (LABEL_KEY_RE).
LABELS_KEY = "endpointctl-labels"
LABEL_SEPARATOR = "+"
RESERVED_LABEL_KEYS = frozenset({MANAGED_BY_KEY, STACK_KEY, LABELS_KEY})

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NAME_MAX = 32
LABEL_KEY_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")


class Security(StrEnum):
    PUBLIC = "public"
    PROTECTED = "protected"
    PRIVATE = "private"

    @property
    def wire(self) -> str:
        """The API's ``type``: it renamed protected to authenticated."""
        return "authenticated" if self is Security.PROTECTED else self.value

    @classmethod
    def from_wire(cls, value: str) -> Security:
        # Real responses still carried the legacy "protected" in 2025.
        return cls.PROTECTED if value in ("authenticated", "protected") else cls(value)


class DesiredState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    SCALED_TO_ZERO = "scaledToZero"


class Status(StrEnum):
    """The API's ``status.state``."""

    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"


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
DEFAULT_SECURITY = Security.PROTECTED


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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class ModelSpec(_Strict):
    repository: str = Field(
        description="Hub repository id of the model, e.g. openai-community/gpt2.",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$",
    )
    revision: str | None = Field(None, description="Commit SHA or branch; the API defaults to main.")
    task: str | None = Field(None, description="Pipeline task, e.g. text-classification.")
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

    @field_validator("image")
    @classmethod
    def _one_variant(cls, value: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]] | None:
        if value is not None and len(value) != 1:
            raise ValueError(
                f"expected exactly one image variant (e.g. huggingface, vLLM, tgi), found {len(value)}"
            )
        return value


class ProviderSpec(_Strict):
    vendor: Vendor = Field(description="Cloud vendor.")
    region: str = Field(description="Vendor region, e.g. us-east-1.", min_length=1)


class ComputeSpec(_Strict):
    accelerator: Accelerator = Field(description="cpu, gpu or neuron.")
    instance_type: str = Field(alias="instanceType", min_length=1, description="e.g. intel-icl, nvidia-l4.")
    instance_size: str = Field(alias="instanceSize", min_length=1, description="e.g. x1, x2, x4.")


class ScalingSpec(_Strict):
    min_replica: int | None = Field(None, alias="minReplica", ge=0, description="0 enables scale-to-zero.")
    max_replica: int | None = Field(None, alias="maxReplica", ge=1)
    scale_to_zero_timeout: int | None = Field(
        None, alias="scaleToZeroTimeout", ge=1, description="Minutes without traffic before scaling to zero."
    )


class PrivateLinkSpec(_Strict):
    account_id: str = Field(
        alias="accountId", pattern=r"^[0-9]{12}$", description="AWS account id (12 digits)."
    )
    # Required: huggingface_hub refuses a PrivateLink create without it, and it is not the compute region.
    region: str = Field(min_length=1, description="PrivateLink entry region, e.g. us-east-1 or eu-west-1.")


# -- smoke tests ------------------------------------------------------------------------------------

ASSERTION_KINDS = ("equals", "contains", "matches", "exists")
DEFAULT_COLD_START_SECONDS = 300.0
# Tags of the one-or-many union below. Pydantic puts them in error locations; ``explain`` drops them so a
# message points at the manifest's own keys.
ONE_ASSERTION = "json-assertion"
ASSERTION_LIST = "json-assertion-list"
UNION_TAGS = frozenset({ONE_ASSERTION, ASSERTION_LIST})


class JsonAssertion(_Strict):
    path: str = Field(
        min_length=1,
        description='JMESPath expression into the JSON answer, e.g. "[0].label".',
    )
    equals: Any = Field(None, description="The value at path equals this JSON value.")
    contains: Any = Field(
        None,
        description="The value at path contains this: a substring of a string, an element of a list, "
        "a key of a mapping.",
    )
    matches: str | None = Field(None, description="The string at path matches this regular expression.")
    exists: bool | None = Field(
        None, description="true: path yields a non-null value; false: it yields nothing."
    )

    @field_validator("path")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            jmespath.compile(value)
        except JMESPathError as exc:
            # jmespath's own message draws a caret under the expression over several lines.
            reason = str(exc).splitlines()[0].removeprefix("Invalid jmespath expression: ").rstrip(": ")
            raise ValueError(f"invalid JMESPath expression {value!r}: {reason}") from None
        return value

    @field_validator("matches")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"invalid regular expression {value!r}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> JsonAssertion:
        # fields_set, not "is not None": `equals: null` is a legitimate check.
        given = [kind for kind in ASSERTION_KINDS if kind in self.model_fields_set]
        if len(given) != 1:
            found = " and ".join(given) if given else "none"
            raise ValueError(f"expected exactly one of {', '.join(ASSERTION_KINDS)}; found {found}")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in ASSERTION_KINDS if kind in self.model_fields_set)

    @property
    def operand(self) -> Any:
        return getattr(self, self.kind)


def _one_or_many(value: Any) -> str | None:
    if isinstance(value, dict | JsonAssertion):
        return ONE_ASSERTION
    if isinstance(value, list):
        return ASSERTION_LIST
    return None


JsonAssertions = Annotated[
    Annotated[JsonAssertion, Tag(ONE_ASSERTION)] | Annotated[list[JsonAssertion], Tag(ASSERTION_LIST)],
    Discriminator(
        _one_or_many,
        custom_error_type="one_or_many",
        custom_error_message="expected a mapping with path and one check, or a list of them",
    ),
]


class SmokeExpect(_Strict):
    status: int = Field(200, ge=100, le=599, description="Expected HTTP status of the answer.")
    json_assertions: JsonAssertions | None = Field(
        None,
        alias="json",
        description="Checks on the JSON answer: {path, equals|contains|matches|exists}, or a list of them. "
        "Without any, the answer must have the task's shape.",
    )
    max_latency_ms: float | None = Field(
        None, alias="maxLatencyMs", gt=0, description="Fail when a warm call takes longer."
    )

    @property
    def assertions(self) -> tuple[JsonAssertion, ...]:
        found = self.json_assertions
        if found is None:
            return ()
        return (found,) if isinstance(found, JsonAssertion) else tuple(found)


class SmokeTestSpec(_Strict):
    request: Any = Field(
        None,
        description="JSON body to POST to the endpoint's URL. Default: one chosen by the model's task.",
    )
    expect: SmokeExpect = Field(default_factory=SmokeExpect, description="What the answer must satisfy.")
    cold_start_timeout_seconds: float = Field(
        DEFAULT_COLD_START_SECONDS,
        alias="coldStartTimeoutSeconds",
        gt=0,
        description="How long waking a scaled-to-zero or loading endpoint may take, in seconds.",
    )


class EndpointSpec(_Strict):
    model: ModelSpec
    provider: ProviderSpec
    compute: ComputeSpec
    scaling: ScalingSpec | None = None
    security: Security | None = Field(
        None,
        description="public | protected | private ('authenticated' is accepted as protected). "
        "Defaults to protected when creating.",
    )
    private_link: PrivateLinkSpec | None = Field(
        None, alias="privateLink", description="AWS PrivateLink; only with security: private."
    )
    state: DesiredState | None = Field(
        None, description="running | paused | scaledToZero. Omitted: created running, then left alone."
    )
    allow_public: bool = Field(False, alias="allowPublic", description="Required to set security: public.")
    smoke_test: SmokeTestSpec | None = Field(
        None,
        alias="smokeTest",
        description="What `endpointctl smoke` and `apply --smoke` send and expect. "
        "Omitted: a default request for the task, checked for the task's answer shape.",
    )

    @field_validator("security", mode="before")
    @classmethod
    def _authenticated_is_protected(cls, value: Any) -> Any:
        return "protected" if value == "authenticated" else value


class Metadata(_Strict):
    name: str = Field(
        description="Endpoint name: a-z, 0-9 and '-', at most 32 characters.",
        max_length=NAME_MAX,
        pattern=NAME_RE.pattern,
    )
    namespace: str | None = Field(
        None,
        description="User or organization; else --namespace, ENDPOINTCTL_NAMESPACE, then the token's user.",
    )
    labels: dict[str, str] = Field(
        default_factory=dict, description='Sent as endpoint tags "key=value"; usable in --selector.'
    )


class Manifest(_Strict):
    api_version: Literal["endpointctl/v1"] = Field(alias="apiVersion")
    kind: Literal["InferenceEndpoint"]
    metadata: Metadata
    spec: EndpointSpec


@dataclass(frozen=True)
class Desired:
    """One validated manifest document and where it came from."""

    manifest: Manifest
    source: str  # "file:line" of the document, for messages

    @property
    def name(self) -> str:
        return self.manifest.metadata.name

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


@dataclass(frozen=True)
class PrivateLink:
    account_id: str
    region: str | None


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as the API reports it, converted once from the raw dict in ``hub``."""

    name: str
    namespace: str
    status: Status
    message: str
    url: str | None
    repository: str
    revision: str | None
    task: str | None
    framework: str
    image: dict[str, Any]
    env: dict[str, str]
    secret_names: frozenset[str] | None  # None: the answer had no model.secrets: unknown, never drift
    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    min_replica: int
    max_replica: int
    scale_to_zero_timeout: int | None
    security: Security | None  # None: an API type endpointctl does not know (e.g. "verified")
    private_link: PrivateLink | None
    tags: tuple[str, ...]
    created_at: str
    updated_at: str
    ready_replica: int = 0
    target_replica: int = 0
    health_route: str = "/health"
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def managed(self) -> bool:
        return MANAGED_TAG in self.tags

    @property
    def stack(self) -> str | None:
        return tag_value(self.tags, STACK_KEY)


def tag_value(tags: Iterable[str], key: str) -> str | None:
    """The value of the first ``key=value`` tag with this key."""
    for tag in tags:
        name, sep, value = tag.partition("=")
        if sep and name == key:
            return value
    return None


def owned_label_keys(tags: Iterable[str]) -> frozenset[str]:
    """The label keys endpointctl set on an endpoint, as its bookkeeping tag records them."""
    value = tag_value(tags, LABELS_KEY)
    return frozenset(value.split(LABEL_SEPARATOR)) if value else frozenset()


def labels_from_tags(tags: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The ``key=value`` tags that are not ours, as labels (a bare tag maps to an empty value)."""
    labels: dict[str, str] = {}
    for tag in tags:
        key, _, value = tag.partition("=")
        if key not in RESERVED_LABEL_KEYS:
            labels[key] = value
    return labels


def matches_selector(labels: Mapping[str, str], selector: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


@dataclass(frozen=True)
class Hardware:
    """One deployable compute option of a vendor region, with price and the namespace's quota."""

    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    architecture: str
    num_accelerators: int
    memory_gb: float
    gpu_memory_gb: float | None
    price_per_hour: float
    status: str
    quota_max: int | None
    quota_used: int | None

    @property
    def deployable(self) -> bool:
        if self.status in ("deprecated", "not_available"):
            return False
        if self.quota_max is None or self.quota_used is None:
            return True
        return self.quota_max - self.quota_used >= self.num_accelerators
