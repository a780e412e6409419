"""JUnit XML for CI: parseable, one testcase per endpoint, failures and skips where JUnit expects them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st

from endpointctl.core.outcomes import SmokeOutcome, SmokeResult
from endpointctl.dataplane.junit import to_xml

RESULTS = [
    SmokeResult(
        "sst2", "acme", SmokeOutcome.PASS, "HTTP 200", url="http://x/sst2", status=200, latency_ms=120.0
    ),
    SmokeResult(
        "gpt2",
        "acme",
        SmokeOutcome.FAIL,
        'expected HTTP 200, got 500: {"error": "<boom> & \x00bad"}',
        status=500,
        latency_ms=30.0,
        attempts=3,
        cold_start_seconds=12.5,
        notes=("woken from cold in 12.5 s",),
    ),
    SmokeResult("vault", "acme", SmokeOutcome.SKIPPED, "private with PrivateLink: pass --url"),
]


def parse(text: str) -> ET.Element:
    return ET.fromstring(text.encode())


def test_structure_and_counts() -> None:
    root = parse(to_xml(RESULTS))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "errors": "0",
        "skipped": "1",
    }
    assert suite.get("time") == "0.150"
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name"), c.get("time")) for c in cases] == [
        ("smoke.acme", "sst2", "0.120"),
        ("smoke.acme", "gpt2", "0.030"),
        ("smoke.acme", "vault", "0.000"),
    ]
    passed, failed, skipped = cases
    assert passed.find("failure") is None and passed.find("skipped") is None
    failure = failed.find("failure")
    assert failure is not None and failed.find("skipped") is None
    assert failure.get("message") == 'expected HTTP 200, got 500: {"error": "<boom> & ?bad"}'
    assert failure.text == failure.get("message")
    marker = skipped.find("skipped")
    assert marker is not None and marker.get("message") == "private with PrivateLink: pass --url"
    out = failed.find("system-out")
    assert out is not None and out.text is not None
    assert "attempts: 3" in out.text and "cold start: 12.5 s" in out.text and "note: woken" in out.text


def test_empty_run_is_still_a_valid_document() -> None:
    suite = parse(to_xml([])).find("testsuite")
    assert suite is not None and suite.get("tests") == "0" and suite.findall("testcase") == []


def test_declares_xml_and_ends_with_a_newline() -> None:
    text = to_xml(RESULTS[:1])
    assert text.startswith("<?xml") and text.endswith("\n")


# Any text at all, lone surrogates and the characters XML 1.0 cannot carry included.
ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=20)


@given(
    rows=st.lists(
        st.tuples(ANY_TEXT, ANY_TEXT, st.sampled_from(list(SmokeOutcome)), ANY_TEXT), min_size=1, max_size=4
    )
)
def test_any_name_namespace_and_reason_make_a_document_a_ci_reads(
    rows: list[tuple[str, str, SmokeOutcome, str]],
) -> None:
    """Names come from the API: one holding ESC, NUL or a lone surrogate made an invalid file, or a crash
    after the results were printed."""
    results = [SmokeResult(name, ns, outcome, reason) for name, ns, outcome, reason in rows]
    text = to_xml(results)
    text.encode("utf-8")  # a lone surrogate would fail here, as in writing the file
    cases = parse(text).findall("./testsuite/testcase")
    assert len(cases) == len(results)
    for case, (name, _, _, _) in zip(cases, rows, strict=True):
        assert len(case.get("name") or "") == len(name)  # each character kept, or one "?" for it
