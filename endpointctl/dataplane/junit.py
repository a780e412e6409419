"""PURE: smoke results as JUnit XML, so CI systems show each endpoint as a test case.

The dialect is the common denominator Jenkins, GitLab, GitHub test reporters and pytest agree on:
``<testsuites>`` holding one ``<testsuite>`` whose ``<testcase>``s carry ``<failure>`` or
``<skipped>``. Times are latencies in seconds; there is no wall-clock timestamp, which keeps this pure.
``write`` scrubs secrets with the caller's redactor twice: each text before characters XML cannot carry
are replaced (a secret with one of them in it would no longer be found whole afterwards), and the
document, escapes and all, before it is written.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

from endpointctl.core.errors import EndpointctlError, UsageError
from endpointctl.core.outcomes import SmokeOutcome, SmokeResult

SUITE = "endpointctl smoke"
# Characters XML 1.0 cannot carry even escaped, and lone surrogates (no UTF-8 can write them): an
# endpoint's error body, and the API's names, may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str, scrub: Callable[[str], str]) -> str:
    return _NOT_XML.sub("?", scrub(text))


def _unchanged(text: str) -> str:
    return text


def _seconds(result: SmokeResult) -> str:
    return f"{(result.latency_ms or 0.0) / 1000:.3f}"


def _details(result: SmokeResult) -> str:
    lines = [
        f"url: {result.url or '-'}",
        f"status: {result.status if result.status is not None else '-'}",
        f"latency: {'-' if result.latency_ms is None else f'{result.latency_ms:.0f} ms'}",
        f"attempts: {result.attempts}",
    ]
    if result.cold_start_seconds is not None:
        lines.append(f"cold start: {result.cold_start_seconds:.1f} s")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines)


def to_xml(
    results: Sequence[SmokeResult], suite: str = SUITE, scrub: Callable[[str], str] = _unchanged
) -> str:
    failures = sum(1 for r in results if r.outcome is SmokeOutcome.FAIL)
    skipped = sum(1 for r in results if r.outcome is SmokeOutcome.SKIPPED)
    total = f"{sum((r.latency_ms or 0.0) for r in results) / 1000:.3f}"
    counts = {"tests": str(len(results)), "failures": str(failures), "errors": "0", "skipped": str(skipped)}
    root = ET.Element("testsuites", {"name": suite, **counts, "time": total})
    testsuite = ET.SubElement(root, "testsuite", {"name": suite, **counts, "time": total})
    for result in results:
        case = ET.SubElement(
            testsuite,
            "testcase",
            {
                "classname": _clean(f"smoke.{result.namespace}", scrub),
                "name": _clean(result.name, scrub),
                "time": _seconds(result),
            },
        )
        if result.outcome is SmokeOutcome.FAIL:
            reason = _clean(result.reason, scrub)
            failure = ET.SubElement(case, "failure", {"message": reason, "type": "SmokeTestFailure"})
            failure.text = reason
        elif result.outcome is SmokeOutcome.SKIPPED:
            ET.SubElement(case, "skipped", {"message": _clean(result.reason, scrub)})
        ET.SubElement(case, "system-out").text = _clean(_details(result), scrub)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def check_writable(path: str) -> None:
    """Refuse, before anything is sent, a ``--junit-xml`` path the results could not be written to: found
    out after an apply, the changes were made and the record of them lost with the error."""
    target = Path(path)
    parent = target.parent
    if target.is_dir():
        raise UsageError(f"--junit-xml {path}: is a directory")
    if not parent.is_dir():
        raise UsageError(f"--junit-xml {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--junit-xml {path}: not writable")


def write(path: str, results: Sequence[SmokeResult], scrub: Callable[[str], str]) -> None:
    """``--junit-xml PATH``: the results for CI, passed through ``scrub`` like every other output."""
    try:
        Path(path).write_text(scrub(to_xml(results, scrub=scrub)), encoding="utf-8")
    except OSError as error:
        raise EndpointctlError(f"cannot write {path}: {error.strerror or error}") from None
