"""What ``export`` and ``init`` print: the manifests themselves, or the files they wrote.

Printed manifests (no ``--dir`` / ``--file``) are the YAML text itself, several as one multi-document
stream, or with ``-o json`` a list of the documents. Files written are a table (``NAME NAMESPACE FILE
VARIABLES``) or, with ``-o json|yaml``, records ``{name, namespace, file, variables, notes}``: stable.
``-o markdown`` is a summary line and a table (endpoint, model, instance, file, placeholders, notes)
either way, for a pull request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tabulate import tabulate

from endpointctl.core.export import ManifestText
from endpointctl.core.settings import OutputMode
from endpointctl.ui import markdown_escape as esc
from endpointctl.ui.escapes import printable
from endpointctl.ui.markdown import Cells, Scrub
from endpointctl.ui.render import dump


def manifest_record(m: ManifestText) -> dict[str, Any]:
    return {
        "name": m.name,
        "namespace": m.namespace or None,
        "file": m.file,
        "variables": [variable for _, variable in m.variables],
        "notes": list(m.notes),
    }


def markdown(manifests: Sequence[ManifestText], *, scrub: Scrub) -> str:
    """``-o markdown``: a summary line and a table (the manifests themselves are YAML, not markdown)."""
    if not manifests:  # nothing matched (or --allow-empty): said as status and the lifecycle commands say it
        return "**Manifests:** none.\n\nNo endpoints.\n"
    cells = Cells(scrub)
    written = sum(1 for m in manifests if m.file)
    line = f"**Manifests:** {len(manifests)}" + (f", {written} written." if written else ", printed.")
    rows = []
    for m in manifests:
        spec = m.document.get("spec", {})
        model, compute = spec.get("model", {}), spec.get("compute", {})
        instance = " ".join(str(compute.get(k, "?")) for k in ("accelerator", "instanceType", "instanceSize"))
        rows.append(
            [
                cells.endpoint(m.namespace, m.name) if m.namespace else cells.code(m.name),
                cells.code(model.get("repository", "?")),
                cells.code(instance),
                cells.code(m.file) if m.file else "(stdout)",
                ", ".join(cells.code(f"${{{v}}}") for _, v in m.variables) or "-",
                cells.text("; ".join(m.notes)) if m.notes else "-",
            ]
        )
    headers = ["Endpoint", "Model", "Instance", "File", "Placeholders", "Notes"]
    return line + "\n\n" + esc.table(headers, rows)


def printed(manifests: Sequence[ManifestText], mode: OutputMode, *, scrub: Scrub) -> str:
    """The manifests themselves, for stdout."""
    if mode.markdown:
        return markdown(manifests, scrub=scrub)
    if mode is OutputMode.JSON:
        return dump([m.document for m in manifests], mode)
    return "---\n".join(m.text for m in manifests)


def written(manifests: Sequence[ManifestText], mode: OutputMode, *, scrub: Scrub) -> str:
    """The files written."""
    if mode.markdown:
        return markdown(manifests, scrub=scrub)
    if mode.structured:
        return dump([manifest_record(m) for m in manifests], mode)
    rows = [
        [
            printable(m.name),
            printable(m.namespace),
            printable(m.file or ""),
            " ".join(v for _, v in m.variables),
        ]
        for m in manifests
    ]
    return tabulate(rows, headers=["NAME", "NAMESPACE", "FILE", "VARIABLES"], tablefmt="plain") + "\n"
