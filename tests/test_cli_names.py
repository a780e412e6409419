"""A NAME on the command line is an endpoint name, or exit 2 before any API call.

huggingface_hub puts a name into a URL path as it is: ``..`` reached the namespace's listing, ``a/b``
another namespace, ``x?y=1`` a query of its own, and an empty name the listing route (review finding).
"""

from __future__ import annotations

import pytest
from clirunner import Cli
from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.names import NAME_MAX, NAME_RE, name_problem
from endpointctl.hub.calls import endpoint_path
from endpointctl.sandbox import Sandbox

# Every command that takes NAME, with what else it needs to get as far as calling the API.
COMMANDS = [
    ("status",),
    ("pause",),
    ("resume",),
    ("scale-to-zero",),
    ("delete", "--yes"),
    ("wait",),
    ("smoke",),
    ("export",),
    ("logs",),
    ("replicas",),
    ("invoke", "--data", "{}"),
    ("run", "--", "true"),
]
BAD = ["..", "", "Foo_Bar", "x?y=1", "a/b", "gpt2-demo/../other", "trail-", "x" * (NAME_MAX + 1), "sp ace"]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize("name", BAD, ids=repr)
def test_a_name_that_cannot_be_an_endpoints_is_refused_before_any_call(
    cli: Cli, sandbox: Sandbox, command: tuple[str, ...], name: str
) -> None:
    verb, *rest = command
    sandbox.reset_counts()
    run = cli(verb, name, *rest)
    assert run.code == 2, run.all
    assert "endpoint name" in run.stderr, run.stderr
    assert sandbox.counts() == {}, sandbox.counts()


def test_a_good_name_among_bad_ones_does_not_let_them_through(cli: Cli, sandbox: Sandbox) -> None:
    sandbox.reset_counts()
    run = cli("pause", "gpt2-demo", "../x", "--allow-empty")
    assert run.code == 2 and "'../x'" in run.stderr
    assert sandbox.counts() == {}


@given(st.text(max_size=40))
def test_the_check_takes_exactly_the_apis_names(name: str) -> None:
    is_name = bool(NAME_RE.fullmatch(name)) and len(name) <= NAME_MAX
    assert (name_problem(name) is None) == is_name
    if not is_name:
        assert repr(name) in (name_problem(name) or "") or not name


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_a_path_segment_never_holds_a_slash_or_a_query(namespace: str, name: str) -> None:
    path = endpoint_path(namespace, name)
    assert path.count("/") == 1 and "?" not in path and "#" not in path
    assert all(part.strip(".") for part in path.split("/"))  # never "." or "..": a step up
