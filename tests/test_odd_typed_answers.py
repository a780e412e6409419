"""Fields of the API's answers sent as another type than the reference gives: an error that names the
field, or unknown, never "unexpected ... bug" (a review: a numeric `status.url` crashed `status`, a string
`gpuMemoryGb` crashed `init`, a price of 1e30 crashed `cost` and `plan` with a budget, a null hardware
status showed as "None")."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx2 as httpx
import pytest
from clirunner import Cli
from cost_helpers import HARDWARE, LIST, edit_catalog, manifest, write
from hypothesis import given
from hypothesis import strategies as st
from rewritten_answers import each_endpoint, rewrite

from endpointctl.core import money
from endpointctl.hub.responses import Malformed, to_endpoint, to_hardware
from endpointctl.sandbox import Sandbox

ROW = {"accelerator": "cpu", "instanceType": "intel-spr", "instanceSize": "x2", "numAccelerators": 1}


def _one_row(**fields: Any) -> Any:
    return to_hardware(
        {"vendors": [{"name": "aws", "regions": [{"name": "r", "computes": [ROW | fields]}]}]}
    )[0]


@pytest.mark.parametrize("url", [42, 1.5, True, ["x"], {"u": 1}])
def test_a_url_that_is_not_text_is_malformed_and_named(
    client: httpx.Client, endpoint_body: Callable[..., dict[str, Any]], url: Any
) -> None:
    assert client.post("/v2/endpoint/sandbox-user", json=endpoint_body("a")).is_success
    doc = client.get("/v2/endpoint/sandbox-user/a").json()
    doc["status"]["url"] = url
    with pytest.raises(Malformed, match=r"'status\.url' is \w+, not a string"):
        to_endpoint(doc, "acme")


def test_status_over_a_listing_with_a_numeric_url_says_which_field(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    assert cli("apply", write(tmp_path / "m", a=manifest("a", instance="intel-spr x2")), "--yes").code == 0
    rewrite(sandbox, LIST, each_endpoint(lambda endpoint: endpoint["status"].update(url=42)))
    result = cli("status")
    assert result.code == 1 and "status.url" in result.stderr, result.all
    assert "bug" not in result.all


@given(value=st.one_of(st.text(max_size=5), st.none(), st.booleans(), st.lists(st.integers(), max_size=2)))
def test_a_gpu_memory_that_is_not_a_number_is_unknown(value: Any) -> None:
    assert _one_row(gpuMemoryGb=value).gpu_memory_gb is None


STATUSES = [
    ({}, "available"),
    ({"status": None}, "unknown"),
    ({"status": 3}, "unknown"),
    ({"status": "deprecated"}, "deprecated"),
]


@pytest.mark.parametrize(("fields", "status"), STATUSES)
def test_a_hardware_status_that_is_not_text_is_unknown_not_none(fields: dict[str, Any], status: str) -> None:
    assert _one_row(**fields).status == status


@given(
    price=st.one_of(
        st.floats(min_value=1e6 + 1),
        st.sampled_from([float("nan"), float("inf"), float("-inf"), 1e30]),
        st.integers(min_value=10**6 + 1),
        st.floats(max_value=-1e-9),
    )
)
def test_a_price_no_hardware_has_is_unknown(price: float) -> None:
    assert money.exact(price) is None


def test_prices_up_to_the_ceiling_are_read_exactly() -> None:
    assert money.exact(0.067) == Decimal("0.067") and money.exact(10**6) == Decimal(10**6)


def test_cost_and_a_budgeted_plan_over_a_price_of_1e30_say_it_is_unknown(
    cli: Cli, sandbox: Sandbox, tmp_path: pathlib.Path
) -> None:
    def absurd(compute: dict[str, Any]) -> None:
        compute["pricePerHour"] = 1e30

    sandbox.add_middleware(edit_catalog(absurd))
    path = write(tmp_path / "m", a=manifest("a", instance="intel-spr x2", budget="100"))
    costed = cli("cost", path, "-o", "json")
    assert costed.code == 0 and "bug" not in costed.all, costed.all
    assert json.loads(costed.stdout)[0]["pricePerHour"] is None
    planned = cli("plan", path)
    assert "bug" not in planned.all and planned.code in (0, 1), planned.all
    assert HARDWARE in sandbox.counts()
