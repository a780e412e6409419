"""Validation of create and update bodies into the stored configuration (wire shape, camelCase).

Errors are 400s naming the offending field and value, the way a client wants to read them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from . import catalog
from .transport import ErrorAnswer

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
NAME_MAX = 32
TYPES = ("public", "authenticated", "protected", "private")
IMAGE_VARIANTS = (
    "huggingface",
    "huggingfaceNeuron",
    "custom",
    "tgi",
    "tgiNeuron",
    "tei",
    "llamacpp",
    "vLLM",
    "vLLMNeuron",
    "vLLMOmni",
    "sGLang",
    "hfServe",
)
SECRET_MASK = "********"
# The keys each image variant keeps; like the real API, any other key inside a variant is silently dropped
# (so a client sending snake_case ``health_route`` gets no health route). Kept apart from
# endpointctl.models.IMAGE_FIELDS on purpose: the sandbox is stdlib-only and imports nothing from the tool.
_CONTAINER = ("url", "port", "healthRoute")
_TGI = (
    *_CONTAINER,
    "maxBatchPrefillTokens",
    "maxBatchTotalTokens",
    "maxInputLength",
    "maxTotalTokens",
    "disableCustomKernels",
    "quantize",
)
_VLLM = (*_CONTAINER, "tensorParallelSize", "dataParallelSize")
IMAGE_FIELDS: dict[str, frozenset[str]] = {
    "huggingface": frozenset(),
    "huggingfaceNeuron": frozenset(_CONTAINER),
    "custom": frozenset((*_CONTAINER, "credentials")),
    "tgi": frozenset(_TGI),
    "tgiNeuron": frozenset(_TGI),
    "tei": frozenset((*_CONTAINER, "pooling")),
    "llamacpp": frozenset((*_CONTAINER, "ctxSize", "modelPath", "nParallel")),
    "vLLM": frozenset(_VLLM),
    "vLLMNeuron": frozenset(_VLLM),
    "vLLMOmni": frozenset(_VLLM),
    "sGLang": frozenset((*_CONTAINER, "tensorParallelSize")),
    "hfServe": frozenset(_CONTAINER),
}
CREDENTIAL_FIELDS = frozenset({"username", "password"})


def _obj(doc: Any, where: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise ErrorAnswer(400, f"'{where}' must be an object")
    return doc


def _req(doc: dict[str, Any], key: str, where: str) -> Any:
    if doc.get(key) is None:
        raise ErrorAnswer(400, f"Missing required field '{where}{key}'")
    return doc[key]


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ErrorAnswer(400, f"'{where}' must be a non-empty string")
    return value


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ErrorAnswer(400, f"'{where}' must be an integer >= {minimum}, got {value!r}")
    return value


def _str_map(value: Any, where: str) -> dict[str, str]:
    doc = _obj(value, where)
    for k, v in doc.items():
        if not isinstance(v, str):
            raise ErrorAnswer(400, f"'{where}.{k}' must be a string")
    return dict(doc)


def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ErrorAnswer(400, f"'{where}' must be a list of strings")
    return list(value)


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or len(name) > NAME_MAX or not NAME_RE.match(name):
        raise ErrorAnswer(
            400,
            f"Invalid endpoint name {name!r}: use at most {NAME_MAX} lowercase letters, digits or '-',"
            " starting and ending with a letter or digit",
        )
    return name


def _type(value: Any) -> str:
    if value not in TYPES:
        raise ErrorAnswer(400, f"Invalid type {value!r}: expected one of {', '.join(TYPES)}")
    return str(value)


def _image(value: Any) -> dict[str, Any]:
    image = _obj(value, "model.image")
    if len(image) != 1:
        raise ErrorAnswer(400, f"'model.image' must have exactly one of: {', '.join(IMAGE_VARIANTS)}")
    variant, body = next(iter(image.items()))
    if variant not in IMAGE_VARIANTS:
        raise ErrorAnswer(
            400, f"Unknown image variant {variant!r}: expected one of {', '.join(IMAGE_VARIANTS)}"
        )
    _obj(body, f"model.image.{variant}")
    if variant != "huggingface" and not body.get("url"):
        raise ErrorAnswer(400, f"Missing required field 'model.image.{variant}.url'")
    kept = {key: copy.deepcopy(value) for key, value in body.items() if key in IMAGE_FIELDS[variant]}
    credentials = kept.get("credentials")
    if isinstance(credentials, dict):
        kept["credentials"] = {k: v for k, v in credentials.items() if k in CREDENTIAL_FIELDS}
    return {variant: kept}


def check_compute(provider: dict[str, Any], compute: dict[str, Any]) -> catalog.Compute:
    vendor, region = provider["vendor"], provider["region"]
    if vendor not in catalog.VENDORS:
        raise ErrorAnswer(400, f"Unknown vendor {vendor!r}: expected one of {', '.join(catalog.VENDORS)}")
    if region not in catalog.VENDORS[vendor]:
        raise ErrorAnswer(400, f"Region {region!r} is not available for vendor {vendor!r}")
    itype, size, accel = compute["instanceType"], compute["instanceSize"], compute["accelerator"]
    known = catalog.INSTANCE_TYPES.get(itype)
    if known is None:
        raise ErrorAnswer(400, f"Unknown instanceType {itype!r}")
    found = catalog.find(vendor, region, itype, size)
    if found is None:
        raise ErrorAnswer(
            400, f"instanceType {itype!r} with instanceSize {size!r} is not available in {vendor}/{region}"
        )
    if accel != known.accelerator:
        raise ErrorAnswer(
            400, f"accelerator {accel!r} does not match instanceType {itype!r} ({known.accelerator})"
        )
    if found.status in catalog.UNDEPLOYABLE:
        raise ErrorAnswer(400, f"Compute {found.id!r} is {found.status} and cannot be deployed")
    return found


def _scaling(doc: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    out = dict(base or {})
    for key in ("minReplica", "maxReplica"):
        if key in doc:
            out[key] = _int(doc[key], f"compute.scaling.{key}")
        elif key not in out:
            raise ErrorAnswer(400, f"Missing required field 'compute.scaling.{key}'")
    if "scaleToZeroTimeout" in doc:
        value = doc["scaleToZeroTimeout"]
        out["scaleToZeroTimeout"] = (
            None if value is None else _int(value, "compute.scaling.scaleToZeroTimeout", 1)
        )
    out.setdefault("scaleToZeroTimeout", None)
    if "measure" in doc:
        out["measure"] = (
            _obj(doc["measure"], "compute.scaling.measure") if doc["measure"] is not None else None
        )
    if out["minReplica"] > out["maxReplica"]:
        raise ErrorAnswer(400, "'compute.scaling.minReplica' cannot exceed 'compute.scaling.maxReplica'")
    return out


def _model_fields(model: dict[str, Any], out: dict[str, Any]) -> None:
    for key in ("repository", "framework"):
        if key in model:
            out[key] = _string(model[key], f"model.{key}")
    for key in ("revision", "task"):
        if key in model:
            out[key] = None if model[key] is None else _string(model[key], f"model.{key}")
    if "image" in model:
        out["image"] = _image(model["image"])
    if "env" in model:
        out["env"] = _str_map(model["env"] or {}, "model.env")
    if "secrets" in model:
        previous = out.get("secrets") or {}
        secrets = _str_map(model["secrets"] or {}, "model.secrets")
        # A client echoing back what it read would otherwise overwrite the secret with the mask.
        out["secrets"] = {
            k: previous[k] if v == SECRET_MASK and k in previous else v for k, v in secrets.items()
        }
    for key in ("args", "command"):
        if key in model:
            out[key] = None if model[key] is None else _str_list(model[key], f"model.{key}")


def _private_service(value: Any, vendor: str) -> dict[str, Any]:
    doc = _obj(value, "privateService")
    if vendor != "aws":
        raise ErrorAnswer(
            400, f"privateService (AWS PrivateLink) is only available with vendor 'aws', not {vendor!r}"
        )
    _string(doc.get("accountId"), "privateService.accountId")
    return dict(doc)


def _extras(body: dict[str, Any], out: dict[str, Any]) -> None:
    if "tags" in body:
        out["tags"] = _str_list(body["tags"] or [], "tags")
    if "route" in body:
        out["route"] = None if body["route"] is None else dict(_obj(body["route"], "route"))
    features = dict(out.get("experimentalFeatures") or {"cacheHttpResponses": False})
    if "experimentalFeatures" in body and body["experimentalFeatures"] is not None:
        features.update(_obj(body["experimentalFeatures"], "experimentalFeatures"))
    if "cacheHttpResponses" in body:
        if not isinstance(body["cacheHttpResponses"], bool):
            raise ErrorAnswer(400, "'cacheHttpResponses' must be a boolean")
        features["cacheHttpResponses"] = body["cacheHttpResponses"]
    out["experimentalFeatures"] = features


def validate_create(body: dict[str, Any]) -> dict[str, Any]:
    """The stored configuration for a create body, or ErrorAnswer(400)."""
    name = validate_name(_req(body, "name", ""))
    etype = _type(_req(body, "type", ""))
    provider_in = _obj(_req(body, "provider", ""), "provider")
    provider = {k: _string(_req(provider_in, k, "provider."), f"provider.{k}") for k in ("vendor", "region")}
    compute_in = _obj(_req(body, "compute", ""), "compute")
    compute: dict[str, Any] = {
        k: _string(_req(compute_in, k, "compute."), f"compute.{k}")
        for k in ("accelerator", "instanceType", "instanceSize")
    }
    compute["scaling"] = _scaling(_obj(_req(compute_in, "scaling", "compute."), "compute.scaling"), None)
    if compute["scaling"]["maxReplica"] < 1:
        raise ErrorAnswer(400, "'compute.scaling.maxReplica' must be at least 1")
    check_compute(provider, compute)
    model_in = _obj(_req(body, "model", ""), "model")
    for key in ("repository", "framework", "image"):
        _req(model_in, key, "model.")
    model: dict[str, Any] = {"revision": None, "task": None, "env": {}, "secrets": {}}
    _model_fields(model_in, model)
    spec: dict[str, Any] = {
        "name": name,
        "type": etype,
        "provider": provider,
        "compute": compute,
        "model": model,
        "tags": [],
    }
    if body.get("privateService") is not None:
        spec["privateService"] = _private_service(body["privateService"], provider["vendor"])
    _extras(body, spec)
    return spec


def apply_update(spec: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """A new configuration: ``spec`` with the partial ``body`` merged in, or ErrorAnswer(400)."""
    for key in ("provider", "privateService"):
        if key in body:
            raise ErrorAnswer(400, f"'{key}' cannot be changed on an existing endpoint; create a new one")
    if "name" in body and body["name"] != spec["name"]:
        raise ErrorAnswer(400, "An endpoint cannot be renamed")
    out = copy.deepcopy(spec)
    if "type" in body:
        out["type"] = _type(body["type"])
    if "compute" in body:
        compute_in = _obj(body["compute"], "compute")
        for key in ("accelerator", "instanceType", "instanceSize"):
            if key in compute_in:
                out["compute"][key] = _string(compute_in[key], f"compute.{key}")
        if "scaling" in compute_in:
            scaling_in = _obj(compute_in["scaling"], "compute.scaling")
            out["compute"]["scaling"] = _scaling(scaling_in, out["compute"]["scaling"])
        check_compute(out["provider"], out["compute"])
    if "model" in body:
        _model_fields(_obj(body["model"], "model"), out["model"])
    _extras(body, out)
    return out


def mask_secrets(secrets: dict[str, str]) -> dict[str, str]:
    return dict.fromkeys(secrets, SECRET_MASK)
