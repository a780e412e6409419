"""`-o yaml` goes through libyaml's emitter where PyYAML has it. For any data an output holds (strings of
any characters, control and invisible ones, lone surrogates, long lines, keys of every kind) both
emitters write YAML that reads back as the data and that the output sink leaves as it is (no raw control
or invisible character: the sink would escape it, and the YAML would read back otherwise). They may fold
a long string differently; the choice is otherwise one of speed only."""

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


# Long text without what sends data to the pure-Python emitter (lone surrogates, astral characters), so
# that libyaml writes it: folding long strings is where the two emitters differ.
_BMP_TRICKY = [
    *"abcdefghij -:#&*!|>'\"%@`?,[]{}\\\t\n\r",
    *"\x00\x1b\x7f\x85\x9b\xa0\u2028\u202e\ufeffé中\u200b",
]
_LIBYAML_TEXT = st.text(st.sampled_from(_BMP_TRICKY), min_size=60, max_size=240)


@needs_libyaml
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(st.dictionaries(_LIBYAML_TEXT, _LIBYAML_TEXT, max_size=3), min_size=1, max_size=3))
def test_long_text_written_by_libyaml_reads_back_and_passes_the_sink(records: list[dict[str, str]]) -> None:
    assert yaml_output._alike_in_libyaml(records)  # this is libyaml's output under test
    text = yaml_output.dump(records)
    assert yaml.safe_load(text) == records
    assert terminal_text(text) == text


@needs_libyaml
def test_a_lone_surrogate_is_escaped_as_the_pure_python_emitter_does() -> None:
    text = render.dump([{"message": "half \ud83d of a pair"}], OutputMode.YAML)
    assert "\\uD83D" in text
    assert yaml.safe_load(text) == [{"message": "half \ud83d of a pair"}]


def test_status_sized_output_reads_back_as_it_was() -> None:
    records = [{"name": f"e-{i}", "message": "ok \u202e\x85", "labels": {"team": "nlp"}} for i in range(50)]
    assert yaml.safe_load(render.dump(records, OutputMode.YAML)) == records
