"""CPU to load and validate a directory of manifests, in a fresh process, as a CLI run would do it cold.

    python bench_manifest_cpu.py DIR c|pure

Prints one JSON object: ``endpointctl`` (seconds of ``time.process_time()`` for
``endpointctl.manifest.load([DIR])``, imports excluded), ``yaml`` (the same files read and parsed by
PyYAML alone with the same loader: the floor any YAML-based loader stands on, measured first), the
number of manifests, and which loader was used.

The loader has no public switch: it takes libyaml's ``CSafeLoader`` whenever PyYAML has it (module
constant ``endpointctl.manifest.yaml_source._FAST_LOADER``). ``pure`` replaces that constant with the
pure-Python ``SafeLoader`` in this process only, which is what a PyYAML built without libyaml gets.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml


def main() -> int:
    directory, which = sys.argv[1], sys.argv[2]
    loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader]
    if which == "c":
        loader = yaml.CSafeLoader
    elif which == "pure":
        loader = yaml.SafeLoader
    else:
        raise SystemExit(f"loader must be c or pure, not {which!r}")

    import endpointctl.manifest
    import endpointctl.manifest.yaml_source as yaml_source

    # private: no public way to choose (see the module docstring)
    yaml_source._FAST_LOADER = loader  # type: ignore[assignment]

    t0 = time.process_time()
    documents = 0
    for path in sorted(Path(directory).rglob("*.yaml")):
        documents += sum(1 for _ in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader))
    parse_only = time.process_time() - t0

    t0 = time.process_time()
    desired = endpointctl.manifest.load([directory], environ={})
    ours = time.process_time() - t0

    print(
        json.dumps(
            {
                "endpointctl": ours,
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
