"""The only module that talks to huggingface_hub; raw API dicts stop here.

huggingface_hub's endpoint methods have no timeout and no retry, its listing reads one page of 20, and
its debug log prints request bodies (secrets included). This module gives every call a timeout,
follows ``nextCursor`` itself through huggingface_hub's session and header helpers, scrubs the debug
log, and turns HTTP errors into endpointctl's error tree with a message that says what was being done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from huggingface_hub import HfApi, constants, get_token
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils._headers import build_hf_headers
from huggingface_hub.utils._http import (
    get_session,
    hf_raise_for_status,
    hf_request_event_hook,
    set_client_factory,
)

from endpointctl.errors import ApiError, AuthError, Conflict, NotFound, QuotaExceeded
from endpointctl.models import (
    DEFAULT_FRAMEWORK,
    DEFAULT_IMAGE,
    DEFAULT_SECURITY,
    Desired,
    Endpoint,
    Hardware,
    PrivateLink,
    Security,
    Status,
    labels_from_tags,
)
from endpointctl.redact import Redactor

PAGE_SIZE = 100
T = TypeVar("T")


@dataclass(frozen=True)
class TokenInfo:
    value: str | None
    source: str  # where it came from, for error messages; never the value


def resolve_token(explicit: str | None, environ: Mapping[str, str]) -> TokenInfo:
    if explicit:
        return TokenInfo(explicit, "--token")
    if environ.get("HF_TOKEN"):
        return TokenInfo(environ["HF_TOKEN"], "the HF_TOKEN environment variable")
    stored = get_token()
    if stored:
        return TokenInfo(stored, "the stored login (hf auth login)")
    return TokenInfo(None, "nowhere: no HF_TOKEN and no stored login")


class _ScrubFilter(logging.Filter):
    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redactor.scrub(record.getMessage())
        record.args = None
        return True


def _install_client(timeout: float, redactor: Redactor) -> None:
    def factory() -> httpx2.Client:
        return httpx2.Client(
            event_hooks={"request": [hf_request_event_hook]},
            follow_redirects=True,
            timeout=httpx2.Timeout(timeout),
        )

    set_client_factory(factory)
    hub_logger = logging.getLogger("huggingface_hub")
    if not any(isinstance(f, _ScrubFilter) for f in hub_logger.filters):
        hub_logger.addFilter(_ScrubFilter(redactor))
    for handler in hub_logger.handlers:
        handler.addFilter(_ScrubFilter(redactor))


def _server_message(response: httpx2.Response) -> str:
    message = response.headers.get("X-Error-Message")
    if message:
        return message
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or response.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return response.text[:300]


def _translate(error: HfHubHTTPError, doing: str, token: TokenInfo) -> ApiError:
    response = error.response
    status = response.status_code
    message = f"{doing}: the API answered {status}: {_server_message(response)}"
    if status in (401, 403):
        return AuthError(
            message,
            status=status,
            hint=f"the token came from {token.source}; it needs write access to the namespace "
            "(a fine-grained token needs the Inference Endpoints permissions)",
        )
    if status == 404:
        return NotFound(message, status=status)
    if status == 409:
        if "quota" in response.text.lower():
            return QuotaExceeded(message, status=status, hint="run `endpointctl hardware` to see quotas")
        return Conflict(message, status=status)
    return ApiError(message, status=status)


class Hub:
    """Endpoint operations on one API server with one token."""

    def __init__(
        self,
        *,
        token: TokenInfo,
        api_url: str | None = None,
        timeout: float = 30.0,
        redactor: Redactor | None = None,
    ) -> None:
        self._token = token
        self._redactor = redactor or Redactor()
        self._redactor.add(token.value)
        if api_url:
            base = api_url.rstrip("/")
            # huggingface_hub reads this constant at call time and offers no other override.
            constants.INFERENCE_ENDPOINTS_ENDPOINT = base + "/v2"
            self._api = HfApi(endpoint=base, token=token.value)
        else:
            self._api = HfApi(token=token.value)
        _install_client(timeout, self._redactor)
        self._whoami: str | None = None
        self._whoami_lock = threading.Lock()

    # -- calls ------------------------------------------------------------------------------------

    def _call(self, doing: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except HfHubHTTPError as error:
            raise _translate(error, doing, self._token) from None
        except httpx2.TimeoutException:
            raise ApiError(f"{doing}: the API did not answer in time") from None
        except httpx2.TransportError as error:
            raise ApiError(f"{doing}: could not reach the API ({type(error).__name__})") from None

    def whoami(self) -> str:
        """The token's user name; asked at most once per process (the route is heavily rate-limited)."""
        with self._whoami_lock:
            if self._whoami is None:
                info = self._call("asking whoami", lambda: self._api.whoami(token=self._token.value))
                self._whoami = str(info["name"])
            return self._whoami

    def list_endpoints(self, namespace: str) -> list[Endpoint]:
        """Every endpoint of a namespace, following ``nextCursor`` through every page."""
        doing = f"listing endpoints of namespace '{namespace}'"
        url = f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}/endpoint/{namespace}"
        headers = build_hf_headers(token=self._token.value)
        endpoints: list[Endpoint] = []
        cursor: str | None = None
        while True:
            params: dict[str, str | int] = {"limit": PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor

            def fetch(params: dict[str, str | int] = params) -> dict[str, Any]:
                response = get_session().get(url, headers=headers, params=params)
                hf_raise_for_status(response)
                body: dict[str, Any] = response.json()
                return body

            page = self._call(doing, fetch)
            endpoints.extend(to_endpoint(raw, namespace) for raw in page.get("items", []))
            cursor = page.get("nextCursor")
            if not cursor:
                return endpoints

    def get(self, namespace: str, name: str) -> Endpoint | None:
        try:
            raw = self._call(
                f"reading endpoint '{namespace}/{name}'",
                lambda: (
                    self._api.get_inference_endpoint(name, namespace=namespace, token=self._token.value).raw
                ),
            )
        except NotFound:
            return None
        return to_endpoint(raw, namespace)

    def create(self, namespace: str, desired: Desired, tags: tuple[str, ...]) -> Endpoint:
        spec = desired.spec
        scaling = spec.scaling
        link = spec.private_link
        security = spec.security or DEFAULT_SECURITY
        raw = self._call(
            f"creating endpoint '{namespace}/{desired.name}'",
            lambda: (
                self._api.create_inference_endpoint(
                    desired.name,
                    namespace=namespace,
                    repository=spec.model.repository,
                    revision=spec.model.revision,
                    task=spec.model.task,
                    framework=(spec.model.framework or DEFAULT_FRAMEWORK).value,
                    custom_image=spec.model.image or DEFAULT_IMAGE,
                    env=spec.model.env,
                    secrets=spec.model.secrets,
                    vendor=spec.provider.vendor.value,
                    region=spec.provider.region,
                    accelerator=spec.compute.accelerator.value,
                    instance_type=spec.compute.instance_type,
                    instance_size=spec.compute.instance_size,
                    min_replica=1 if scaling is None or scaling.min_replica is None else scaling.min_replica,
                    max_replica=1 if scaling is None or scaling.max_replica is None else scaling.max_replica,
                    scale_to_zero_timeout=None if scaling is None else scaling.scale_to_zero_timeout,
                    type=security.wire,
                    private_link_account_id=link.account_id if link else None,
                    private_link_region=link.region if link else None,
                    tags=list(tags),
                    token=self._token.value,
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def update(
        self, namespace: str, name: str, desired: Desired, paths: tuple[str, ...], tags: tuple[str, ...]
    ) -> Endpoint:
        kwargs = update_arguments(desired, paths)
        if tags:
            kwargs["tags"] = list(tags)
        raw = self._call(
            f"updating endpoint '{namespace}/{name}'",
            lambda: (
                self._api.update_inference_endpoint(
                    name, namespace=namespace, token=self._token.value, **kwargs
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def pause(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"pausing endpoint '{namespace}/{name}'",
            lambda: (
                self._api.pause_inference_endpoint(name, namespace=namespace, token=self._token.value).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def resume(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"resuming endpoint '{namespace}/{name}'",
            lambda: (
                self._api.resume_inference_endpoint(
                    name, namespace=namespace, running_ok=True, token=self._token.value
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def scale_to_zero(self, namespace: str, name: str) -> Endpoint:
        raw = self._call(
            f"scaling endpoint '{namespace}/{name}' to zero",
            lambda: (
                self._api.scale_to_zero_inference_endpoint(
                    name, namespace=namespace, token=self._token.value
                ).raw
            ),
        )
        return to_endpoint(raw, namespace)

    def delete(self, namespace: str, name: str) -> None:
        self._call(
            f"deleting endpoint '{namespace}/{name}'",
            lambda: self._api.delete_inference_endpoint(name, namespace=namespace, token=self._token.value),
        )

    def hardware(self, namespace: str) -> list[Hardware]:
        doing = f"listing hardware for namespace '{namespace}'"

        def fetch() -> dict[str, Any]:
            response = get_session().get(
                f"{constants.INFERENCE_ENDPOINTS_ENDPOINT}/provider/{namespace}",
                headers=build_hf_headers(token=self._token.value),
            )
            hf_raise_for_status(response)
            body: dict[str, Any] = response.json()
            return body

        return to_hardware(self._call(doing, fetch))


# -- conversion of raw API dicts, done once -----------------------------------------------------------

_UPDATE_ARGUMENTS: dict[str, tuple[str, Callable[[Desired], Any]]] = {
    "model.repository": ("repository", lambda d: d.spec.model.repository),
    "model.revision": ("revision", lambda d: d.spec.model.revision),
    "model.task": ("task", lambda d: d.spec.model.task),
    "model.framework": ("framework", lambda d: d.spec.model.framework and d.spec.model.framework.value),
    "model.image": ("custom_image", lambda d: d.spec.model.image),
    "model.env": ("env", lambda d: d.spec.model.env),
    "model.secrets": ("secrets", lambda d: d.spec.model.secrets),
    "compute.accelerator": ("accelerator", lambda d: d.spec.compute.accelerator.value),
    "compute.instanceType": ("instance_type", lambda d: d.spec.compute.instance_type),
    "compute.instanceSize": ("instance_size", lambda d: d.spec.compute.instance_size),
    "scaling.minReplica": ("min_replica", lambda d: d.spec.scaling and d.spec.scaling.min_replica),
    "scaling.maxReplica": ("max_replica", lambda d: d.spec.scaling and d.spec.scaling.max_replica),
    "scaling.scaleToZeroTimeout": (
        "scale_to_zero_timeout",
        lambda d: d.spec.scaling and d.spec.scaling.scale_to_zero_timeout,
    ),
}
# The API wants instance type and size together with the accelerator when any of them changes.
_COMPUTE = ("compute.accelerator", "compute.instanceType", "compute.instanceSize")


def update_arguments(desired: Desired, paths: tuple[str, ...]) -> dict[str, Any]:
    wanted = set(paths)
    if wanted & set(_COMPUTE):
        wanted |= set(_COMPUTE)
    kwargs: dict[str, Any] = {}
    for path in sorted(wanted):
        argument, value = _UPDATE_ARGUMENTS[path]
        kwargs[argument] = value(desired)
    return kwargs


def to_endpoint(raw: Mapping[str, Any], namespace: str) -> Endpoint:
    status = raw.get("status") or {}
    model = raw.get("model") or {}
    compute = raw.get("compute") or {}
    scaling = compute.get("scaling") or {}
    provider = raw.get("provider") or {}
    private = raw.get("privateService")
    tags = tuple(str(tag) for tag in raw.get("tags") or ())
    state = status.get("state", "pending")
    return Endpoint(
        name=str(raw["name"]),
        namespace=namespace,
        status=Status(state) if state in Status._value2member_map_ else Status.PENDING,
        message=str(status.get("message") or ""),
        url=status.get("url") or None,
        repository=str(model.get("repository", "")),
        revision=model.get("revision"),
        task=model.get("task"),
        framework=str(model.get("framework", "")),
        image=dict(model.get("image") or {}),
        env={str(k): str(v) for k, v in (model.get("env") or {}).items()},
        # Secret values are write-only; only their names are kept.
        secret_names=frozenset(str(k) for k in (model.get("secrets") or {})),
        vendor=str(provider.get("vendor", "")),
        region=str(provider.get("region", "")),
        accelerator=str(compute.get("accelerator", "")),
        instance_type=str(compute.get("instanceType", "")),
        instance_size=str(compute.get("instanceSize", "")),
        min_replica=int(scaling.get("minReplica") or 0),
        max_replica=int(scaling.get("maxReplica") or 0),
        scale_to_zero_timeout=scaling.get("scaleToZeroTimeout"),
        security=Security.from_wire(str(raw.get("type", "authenticated"))),
        private_link=PrivateLink(str(private["accountId"]), private.get("region"))
        if isinstance(private, dict) and private.get("accountId")
        else None,
        tags=tags,
        created_at=str(status.get("createdAt", "")),
        updated_at=str(status.get("updatedAt", "")),
        ready_replica=int(status.get("readyReplica") or 0),
        target_replica=int(status.get("targetReplica") or 0),
        health_route=str(raw.get("healthRoute") or "/health"),
        labels=labels_from_tags(tags),
    )


def to_hardware(raw: Mapping[str, Any]) -> list[Hardware]:
    rows: list[Hardware] = []
    for vendor in raw.get("vendors") or ():
        for region in vendor.get("regions") or ():
            for compute in region.get("computes") or ():
                quota = compute.get("quota") or {}
                rows.append(
                    Hardware(
                        vendor=str(vendor.get("name", "")),
                        region=str(region.get("name", "")),
                        accelerator=str(compute.get("accelerator", "")),
                        instance_type=str(compute.get("instanceType", "")),
                        instance_size=str(compute.get("instanceSize", "")),
                        architecture=str(compute.get("architecture", "")),
                        num_accelerators=int(compute.get("numAccelerators") or 0),
                        memory_gb=float(compute.get("memoryGb") or 0),
                        gpu_memory_gb=compute.get("gpuMemoryGb"),
                        price_per_hour=float(compute.get("pricePerHour") or 0),
                        status=str(compute.get("status", "available")),
                        quota_max=quota.get("maxAccelerators"),
                        quota_used=quota.get("usedAccelerators"),
                    )
                )
    return rows
