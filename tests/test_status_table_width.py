"""The default status table fits 100 columns; ``-o wide`` shows every column in full; rows are sorted."""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime
from typing import Any

import pytest
from builders import live
from clirunner import Cli
from test_cli_apply import EXAMPLES, manifest, write

from endpointctl.core.settings import OutputMode
from endpointctl.ui import render
from endpointctl.ui.fit import TABLE_WIDTH

AT = datetime(2026, 3, 23, 20, 0, tzinfo=UTC)  # the instant listings are shown at

LONG_NAME = "a-very-long-endpoint-name-32-chr"  # the longest name the service accepts
LONG_MODEL = "some-organization-with-a-long-name/a-model-with-an-even-longer-name-v2-instruct-gguf"
LONG_URL = "https://k3x9qz1m2n4p5r6s7t8u.eu-west-1.aws.endpoints.huggingface.cloud/some/long/path"


def widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


@pytest.mark.parametrize("columns", ["160", "80", "", "wide", "²", "0"])
def test_a_wider_terminal_shows_more_and_never_less_than_100_columns(
    cli: Cli, clock: Any, tmp_path: pathlib.Path, columns: str
) -> None:
    """COLUMNS (as shells export it) widens the table, so nothing is cut that need not be (review)."""
    doc = manifest(LONG_NAME, repository="some-organization-with-a-long-name/a-model-with-a-long-name")
    assert cli("apply", write(tmp_path, "long.yaml", doc), "--yes").code == 0
    clock.advance(10)
    table = cli("status", env={"COLUMNS": columns}).stdout
    width = (
        int(columns)
        if columns.isascii() and columns.isdigit() and int(columns) > TABLE_WIDTH
        else TABLE_WIDTH
    )
    assert widest(table) <= width, table
    cut = "…" in table
    assert cut is (width == TABLE_WIDTH), table  # 160 columns hold the whole model; 100 do not


def test_long_name_is_32_characters() -> None:
    assert len(LONG_NAME) == 32


def test_every_example_and_long_values_fit_100_columns(cli: Cli, clock: Any, tmp_path: pathlib.Path) -> None:
    for example in EXAMPLES:
        assert cli("apply", str(example), "--yes").code == 0
    long_one = write(tmp_path, "long.yaml", manifest(LONG_NAME))
    assert cli("apply", long_one, "--yes").code == 0
    clock.advance(10)  # let them deploy, so they have URLs
    table = cli("status")
    assert table.code == 0, table.all
    assert widest(table.stdout) <= TABLE_WIDTH, table.stdout
    assert table.stdout.split()[:7] == [
        "NAME",
        "STATE",
        "HOST",
        "MODEL",
        "INSTANCE",
        "READY/MIN-MAX",
        "SECURITY",
    ]
    assert LONG_NAME in table.stdout  # names are never cut

    wide = cli("status", "-o", "wide")
    assert wide.code == 0, wide.all
    shown = json.loads(cli("status", "-o", "json").stdout)
    assert len(shown) == len(EXAMPLES) + 1
    for record in shown:
        assert record["url"] and record["url"] in wide.stdout
        assert record["namespace"] in wide.stdout
    assert wide.stdout.split()[:2] == ["NAME", "NAMESPACE"]


def test_long_model_ids_and_urls_are_cut_to_fit_and_shown_in_full_when_wide() -> None:
    items = [
        live(name=LONG_NAME, repository=LONG_MODEL, url=LONG_URL, state="initializing"),
        live(
            name="b" * 32, namespace="an-organization-namespace", repository=LONG_MODEL + "-2", url=LONG_URL
        ),
    ]
    table = render.endpoints(items, OutputMode.TABLE, at=AT)
    assert widest(table) <= TABLE_WIDTH, table
    assert LONG_NAME in table and "b" * 32 in table
    assert "…" in table and "/some/long/path" not in table
    assert "some…" in table  # a model keeps its organization's start and its name's end
    wide = render.endpoints(items, OutputMode.WIDE, at=AT)
    assert LONG_URL in wide and LONG_MODEL in wide and "an-organization-namespace" in wide
    assert widest(wide) > TABLE_WIDTH


def test_short_values_are_not_cut() -> None:
    table = render.endpoints([live(url="https://abc.example/x")], OutputMode.TABLE, at=AT)
    assert "…" not in table and "abc.example" in table and "gpt2-demo" in table


@pytest.mark.parametrize("mode", [OutputMode.TABLE, OutputMode.WIDE])
def test_rows_are_sorted_by_namespace_and_name(mode: OutputMode) -> None:
    items = [
        live(name="b", namespace="zeta"),
        live(name="c", namespace="alpha"),
        live(name="a", namespace="zeta"),
    ]
    lines = render.endpoints(items, mode, at=AT).splitlines()[1:]
    order = [line.split()[0] for line in lines]
    assert order == ["c", "a", "b"]


def test_json_and_yaml_keep_the_api_order_and_records() -> None:
    items = [live(name="b"), live(name="a")]
    assert [r["name"] for r in json.loads(render.endpoints(items, OutputMode.JSON, at=AT))] == ["b", "a"]


def test_wide_elsewhere_is_a_table(cli: Cli, tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "one.yaml", manifest())
    validated = cli("validate", path, "-o", "wide")
    assert validated.code == 0, validated.all
    assert validated.stdout == "1 manifest(s) valid.\n"
    planned = cli("plan", path, "-o", "wide")
    assert planned.stdout == cli("plan", path).stdout


def test_the_host_gives_up_room_before_the_model() -> None:
    """An 18-character model id stays whole while a long host is cut: the model says what an endpoint
    is, and a host's first characters already tell which one it is."""
    model = "google/flan-t5-xxl"
    host = "abcdef0123456789.us-east-1.aws.endpoints.huggingface.cloud"
    items = [live(name="n" * 16, repository=model, url=f"https://{host}/")]
    table = render.endpoints(items, OutputMode.TABLE, at=AT)
    assert widest(table) <= TABLE_WIDTH, table
    assert model in table, table
    assert "abcdef01" in table and host not in table
