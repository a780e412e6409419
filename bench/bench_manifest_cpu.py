"""CPU to load and validate a directory of manifests, in a fresh process, as a CLI run would do it cold.

    python bench_manifest_cpu.py DIR c|pure

Prints one JSON object: ``endpointctl`` (seconds of ``time.process_time()`` for
``endpointctl.manifest.load([DIR])``, imports excluded), ``yaml`` (the same files read and parsed by
PyYAML alone with the same loader: the floor any YAML-based loader stands on, measured first), the
number of manifests, and which loader was used.

The loader is chosen through the public switch ``endpointctl.manifest.load(..., loader=...)``: ``c`` is
``"libyaml"`` (libyaml's parser, what endpointctl uses wherever PyYAML has it), ``pure`` is ``"python"``
(PyYAML's pure-Python parser, what a PyYAML built without libyaml gets).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

import endpointctl.manifest


def main() -> int:
    directory, which = sys.argv[1], sys.argv[2]
    loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
    ours: endpointctl.manifest.YamlLoader
    if which == "c":
        loader, ours = yaml.CSafeLoader, "libyaml"
    elif which == "pure":
        loader, ours = yaml.SafeLoader, "python"
    else:
        raise SystemExit(f"loader must be c or pure, not {which!r}")

    t0 = time.process_time()
    documents = 0
    for path in sorted(Path(directory).rglob("*.yaml")):
        documents += sum(1 for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader))
    parse_only = time.process_time() - t0

    t0 = time.process_time()
    desired = endpointctl.manifest.load([directory], environ={}, loader=ours)
    seconds = time.process_time() - t0

    print(
        json.dumps(
            {
                "endpointctl": seconds,
                "yaml": parse_only,
                "manifests": len(desired),
                "documents": documents,
                "loader": loader.__name__,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
