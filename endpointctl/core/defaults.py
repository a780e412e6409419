"""PURE: defaults that a flag shows and a heavier module uses, defined once here.

Declaring a flag imports this module only, so ``--help`` loads no pydantic, huggingface_hub or filelock
just to show a default; the modules that use the values import them from here too.
"""

from __future__ import annotations

from datetime import timedelta

WAIT_TIMEOUT = 20 * 60.0  # how long a wait gives endpoints to become ready
SETTLE_TIMEOUT = 20 * 60.0  # how long a step the API refuses mid-deployment waits for it to be over
# How far the API's clock (updatedAt) may run ahead of this machine's before a time it gives is no reading.
CLOCK_SKEW = timedelta(minutes=5)
LOCK_TIMEOUT = 300.0  # how long apply waits for another process's lock on an endpoint
# How long `schedule run` waits, in all, for the locks of endpoints another command is changing; one not had
# by then is reported blocked, and the next run (every 15 minutes) moves it.
SCHEDULE_LOCK_TIMEOUT = 60.0
# A running `endpointctl run` rewrites its lease record this often (its heartbeat). A record that a reader
# cannot check by its pid (another host, kernel boot or pid namespace: a container) counts as alive while
# its last renewal is at most LEASE_EXPIRY old: ten periods, so a few late or failed renewals and clocks
# minutes apart never make a live batch look gone, and a killed run's endpoint is paused by the first
# `schedule run` after ten minutes instead of billing until someone looks.
LEASE_RENEWAL = 60.0
LEASE_EXPIRY = 600.0
COLD_START_SECONDS = 300.0  # how long a smoke test lets a scaled-to-zero endpoint wake up
# The longest any timeout or wait may be, from a flag, the environment or a manifest: a week. Past it a
# deadline overflows the platform's clock ("timestamp out of range"), and nothing real waits that long.
MAX_SECONDS = 7 * 24 * 3600.0
# Endpoints changed at once in each namespace (``--parallelism``); why this many: the README's design notes.
PARALLELISM = 32
INIT_VENDOR, INIT_REGION = "aws", "us-east-1"  # where `init` puts a model unless told
# The most endpointctl reads of one answer, decoded (a gzip body counts as what it inflates to); past it the
# call is an error saying so, and nothing more is read. The API's: a page of 100 endpoints is ~100 KB, the
# hardware catalog a few, a log tail (2000-character lines) a few MB. A deployed endpoint's: a model's answer
# is a few MB at most (a batch of embeddings, an image), with room to spare.
API_ANSWER_BYTES = 16 * 1024 * 1024
ENDPOINT_ANSWER_BYTES = 64 * 1024 * 1024
