"""`-o yaml` goes through libyaml's emitter where PyYAML has it. For any data an output holds (strings of
any characters, control and invisible ones, lone surrogates, long lines, keys of every kind) both
emitters write YAML that reads back as the data and that the output sink leaves as it is (no raw control
or invisible character: the sink would escape it, and the YAML would read back otherwise); for records
as endpointctl writes them, the very same text. The choice is one of speed only."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from endpointctl.core.settings import OutputMode
from endpointctl.ui import render, yaml_output
from endpointctl.ui.escapes import terminal_text

needs_libyaml = pytest.mark.skipif(yaml_output._FAST_DUMPER is None, reason="PyYAML built without libyaml")

# Every kind of character that could be written differently: ASCII, controls (C0, DEL, C1 with NEL),
# the invisible ones, the BOM, surrogates (alone), astral characters, and YAML's indicators.
_TRICKY = st.sampled_from(
    [
        *"abc -:#&*!|>'\"%@`?,[]{}\\\t\n\r",
        *("\x00", "\x1b", "\x7f", "\x85", "\x9b", "\xa0", "\u2028", "\u202e"),
        *("\ufeff", "\ud83d", "\udc00", "\U0001f600", "é", "中", "\u200b"),
    ]
)
_TEXT = st.one_of(st.text(), st.text(_TRICKY, max_size=30), st.text(_TRICKY, min_size=70, max_size=200))
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), _TEXT)
_NESTED = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_TEXT, inner, max_size=4)),
    max_leaves=20,
)
# Every output is a list of records or one record; a bare scalar goes to the pure-Python emitter.
_DATA = st.one_of(st.lists(_NESTED, max_size=4), st.dictionaries(_TEXT, _NESTED, max_size=4), _SCALARS)


@needs_libyaml
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(_DATA)
def test_both_emitters_write_what_reads_back_and_passes_the_sink_unchanged(data: Any) -> None:
    for fast in (True, False):
        text = render.dump(data, OutputMode.YAML) if fast else yaml_output.yaml_text(data, fast=False)
        assert yaml.safe_load(text) == data
        if fast:
            assert terminal_text(text) == text


_RECORD = st.fixed_dictionaries(
    {
        "name": st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True),
        "status": st.sampled_from(["running", "paused", "initializing", "failed"]),
        "message": _TEXT,
        "labels": st.dictionaries(
            st.from_regex(r"[a-z][a-z0-9._-]{0,20}", fullmatch=True), _TEXT, max_size=3
        ),
        "replicas": st.fixed_dictionaries({"ready": st.integers(0, 9), "min": st.integers(0, 9)}),
        "url": st.one_of(st.none(), _TEXT),
    }
)


@needs_libyaml
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(_RECORD, max_size=5))
def test_records_are_written_to_the_same_text_by_both(records: list[dict[str, Any]]) -> None:
    assert yaml_output.yaml_text(records, fast=True) == yaml_output.yaml_text(records, fast=False)


@needs_libyaml
def test_a_lone_surrogate_is_escaped_as_the_pure_python_emitter_does() -> None:
    text = render.dump([{"message": "half \ud83d of a pair"}], OutputMode.YAML)
    assert "\\uD83D" in text
    assert yaml.safe_load(text) == [{"message": "half \ud83d of a pair"}]


def test_status_sized_output_reads_back_as_it_was() -> None:
    records = [{"name": f"e-{i}", "message": "ok \u202e\x85", "labels": {"team": "nlp"}} for i in range(50)]
    assert yaml.safe_load(render.dump(records, OutputMode.YAML)) == records
