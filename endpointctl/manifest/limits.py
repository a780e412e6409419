"""PURE: how much a manifest file may ask of endpointctl before it is refused (README, "Manifests").

Generous for any real manifest, small enough that a hostile one (a billion-laughs alias bomb, a deep
nesting, a huge file) is refused within a second and a few megabytes, with its file and line.
"""

from __future__ import annotations

MAX_FILE_BYTES = 1024 * 1024  # one file; a manifest is a few hundred bytes
MAX_DOCUMENTS = 1000  # documents in one file
MAX_DEPTH = 64  # mappings and lists inside each other
MAX_EVENTS = 200_000  # YAML parse events in one file (keys, values, starts and ends)
MAX_VALUES = 100_000  # values built from one document, each alias counting as many as it expands to
