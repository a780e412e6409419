"""wire: the API's raw endpoint dicts to Endpoint, for answers endpointctl does not fully understand."""

from __future__ import annotations

from typing import Any

import pytest
from builders import raw_endpoint

from endpointctl.core.spec import Security
from endpointctl.hub.responses import secret_names_from_wire, security_from_wire, to_endpoint


def raw(**changes: Any) -> dict[str, Any]:
    """``secrets=...`` sets ``model.secrets`` (None: an explicit null); other keys are top-level."""
    model = {"secrets": changes.pop("secrets")} if "secrets" in changes else {}
    return raw_endpoint(
        tags=["managed-by=endpointctl"], scaling={"minReplica": 1, "maxReplica": 1}, model=model, **changes
    )


# -- security level -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "level"),
    [
        ("public", Security.PUBLIC),
        ("authenticated", Security.PROTECTED),
        ("private", Security.PRIVATE),
    ],
)
def test_known_types_map_to_their_level(wire: str, level: Security) -> None:
    assert security_from_wire(wire) is level
    assert to_endpoint(raw(type=wire), "acme").security is level
    assert to_endpoint(raw(type=wire), "acme").reported_type == ""


def test_the_legacy_protected_is_no_level_but_is_kept_to_be_shown() -> None:
    """Still seen in 2025; which of today's levels it is is unconfirmed (test_legacy_security_type.py)."""
    assert security_from_wire("protected") is None
    endpoint = to_endpoint(raw(type="protected"), "acme")
    assert endpoint.security is None and endpoint.reported_type == "protected"


@pytest.mark.parametrize("wire", ["verified", "", "Public", "org-only"])
def test_an_unknown_type_is_unknown_not_an_error_and_not_a_guess(wire: str) -> None:
    assert security_from_wire(wire) is None
    endpoint = to_endpoint(raw(type=wire), "acme")  # one odd endpoint must not fail a whole listing
    assert endpoint.security is None
    assert endpoint.name == "gpt2-demo"


def test_a_listing_with_an_unknown_type_converts_every_endpoint() -> None:
    items = [raw(name="a"), raw(name="b", type="verified"), raw(name="c", type="public")]
    endpoints = [to_endpoint(item, "acme") for item in items]
    assert [(e.name, e.security) for e in endpoints] == [
        ("a", Security.PROTECTED),
        ("b", None),
        ("c", Security.PUBLIC),
    ]


# -- secret names ---------------------------------------------------------------------------------------


def test_secrets_left_out_of_the_answer_are_unknown_not_none() -> None:
    assert "secrets" not in raw()["model"]
    assert to_endpoint(raw(), "acme").secret_names is None
    assert to_endpoint(raw(secrets=None), "acme").secret_names is None


def test_secrets_in_the_answer_give_their_names_only() -> None:
    endpoint = to_endpoint(raw(secrets={"API_KEY": "***", "DB_PASSWORD": "***"}), "acme")
    assert endpoint.secret_names == frozenset({"API_KEY", "DB_PASSWORD"})
    assert "***" not in repr(endpoint.secret_names)


def test_an_empty_secrets_object_means_no_secrets() -> None:
    assert to_endpoint(raw(secrets={}), "acme").secret_names == frozenset()
    assert secret_names_from_wire({"secrets": {}}) == frozenset()
    assert secret_names_from_wire({}) is None
