"""smoke, invoke: commands that call deployed endpoints' URLs (the data plane)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from endpointctl.cli import options
from endpointctl.cli.app import App, epilog, pass_app
from endpointctl.cli.group import cli
from endpointctl.core.errors import EndpointctlError, EndpointFailed, ExitCode, NothingMatched, UsageError
from endpointctl.core.models import DEFAULT_COLD_START_SECONDS, Desired, Endpoint, Status
from endpointctl.core.plan import Target
from endpointctl.dataplane import junit
from endpointctl.dataplane import runner as smoke_run
from endpointctl.dataplane.checks import SmokeRequest, SmokeResult, all_passed, default_request
from endpointctl.dataplane.client import DeployedClient
from endpointctl.engine import session as operations
from endpointctl.ui import render
from endpointctl.ui.render import Mode

# "name=URL" or "namespace/name=URL"; a bare URL has a ':' before any '=', so it never matches.
_NAMED_URL = re.compile(r"^([^=:]+)=(.+)$")
_MEDIA_TYPES = {
    ".flac": "audio/flac",
    ".wav": "audio/wav",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".webm": "audio/webm",
    ".m4a": "audio/mp4",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".json": "application/json",
}


def _url_overrides(raw: Sequence[str], targets: Sequence[Target]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in raw:
        named = _NAMED_URL.match(item)
        if named:
            found[named[1]] = named[2]
        elif len(targets) == 1:
            found[f"{targets[0].namespace}/{targets[0].name}"] = item
        else:
            raise UsageError(
                f"--url {item} names no endpoint, and {len(targets)} are selected",
                hint="write --url NAME=URL for each endpoint to call at another address",
            )
    return found


@cli.command(
    epilog=epilog(
        "endpointctl smoke sst2-en",
        "endpointctl smoke -f manifests/ --junit-xml smoke.xml",
        "endpointctl smoke -l env=prod -o json",
        "endpointctl smoke vault-embed --url vault-embed=https://vpce-0abc.example/   # PrivateLink",
    )
)
@options.targets
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="[NAME=]URL",
    help="Call this URL instead of the endpoint's own, e.g. its PrivateLink interface. Repeatable.",
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="Also write JUnit XML here, for CI.")
@options.common
@pass_app
def smoke(
    app: App,
    names: tuple[str, ...],
    files: tuple[str, ...],
    selector: tuple[str, ...],
    urls: tuple[str, ...],
    junit_xml: str | None,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Call each endpoint's URL and check the answer: the manifest's smokeTest, else a task default.

    Exit 0 when every test that ran passed and at least one ran; 1 otherwise.
    """
    if not (names or files or selector):
        raise UsageError("name the endpoints to smoke-test: NAME..., -f PATH or --selector KEY=VALUE")
    desired = app.load(files) if files else []
    ctx = app.context(namespace)
    placed = operations.place(ctx, desired)
    observed, targets = operations.select(ctx, names, placed, operations.parse_selector(selector))
    if not targets:
        raise NothingMatched("no endpoint matches the selector", hint="check the labels and the namespace")
    overrides = _url_overrides(urls, targets)
    by_key = {(namespace, d.name): d for namespace, d in placed}
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    client = app.deployed_client()
    try:
        results = [_one(client, live, by_key, t, overrides) for t in targets]
    finally:
        client.close()
    return report(app, results, Mode(output), junit_xml)


def report(app: App, results: Sequence[SmokeResult], mode: Mode, junit_xml: str | None) -> ExitCode:
    """Show smoke results, write the JUnit file, and decide the exit code."""
    app.out.result(render.smoke_results(results, mode))
    return conclude(app, results, junit_xml)


def conclude(app: App, results: Sequence[SmokeResult], junit_xml: str | None) -> ExitCode:
    """Write the JUnit file and decide the exit code (also for apply --smoke, which renders its own way)."""
    if junit_xml:
        _write(app, Path(junit_xml), junit.to_xml(results))
    return ExitCode.OK if all_passed(results) else ExitCode.FAILURE


def _one(
    client: DeployedClient,
    live: dict[tuple[str, str], Endpoint],
    desired: dict[tuple[str, str], Desired],
    target: Target,
    overrides: dict[str, str],
) -> SmokeResult:
    key = (target.namespace, target.name)
    endpoint = live.get(key)
    if endpoint is None:
        return smoke_run.not_found(*key)
    return smoke_run.run_smoke(client, [(endpoint, desired.get(key))], url_override=overrides)[0]


def _write(app: App, path: Path, text: str) -> None:
    try:
        path.write_text(app.out.redactor.scrub(text), encoding="utf-8")
    except OSError as error:
        raise EndpointctlError(f"cannot write {path}: {error.strerror or error}") from None


# -- invoke -----------------------------------------------------------------------------------------


def _request(data: str | None, file: str | None, content_type: str | None) -> SmokeRequest | None:
    if data is not None and file is not None:
        raise UsageError("give --data or --file, not both")
    if file is not None:
        content = _read_bytes(file)
        media = content_type or _MEDIA_TYPES.get(Path(file).suffix.lower(), "application/octet-stream")
        return SmokeRequest(content=content, content_type=media)
    if data is None:
        return None
    text = _read_bytes(data[1:]).decode("utf-8", errors="replace") if data.startswith("@") else data
    try:
        body = json.loads(text)
    except ValueError as error:
        where = f" in {data[1:]}" if data.startswith("@") else ""
        raise UsageError(f"--data is not valid JSON{where}: {error}") from None
    if content_type and content_type != "application/json":
        return SmokeRequest(content=text.encode(), content_type=content_type)
    return SmokeRequest(body=body)


def _read_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None


@cli.command(
    epilog=epilog(
        'endpointctl invoke sst2-en --data \'{"inputs": "I love this!"}\'',
        "endpointctl invoke sst2-en --data @request.json -o json",
        "endpointctl invoke whisper --file sample.flac",
        "endpointctl invoke gpt2-demo        # the task's default request",
    )
)
@click.argument("name")
@click.option("--data", metavar="JSON|@FILE", help="JSON body, inline or @file.json.")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="Send this file's bytes (audio, image)."
)
@click.option("--content-type", metavar="TYPE", help="Content-Type; default from the file's extension.")
@click.option("--url", metavar="URL", help="Call this URL instead of the endpoint's own (e.g. PrivateLink).")
@click.option(
    "--cold-start-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_COLD_START_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="How long waking a scaled-to-zero endpoint may take.",
)
@options.common
@pass_app
def invoke(
    app: App,
    name: str,
    data: str | None,
    file: str | None,
    content_type: str | None,
    url: str | None,
    cold_start_timeout: float,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Send one request to an endpoint and print the answer (status and latency on stderr).

    Without --data or --file, sends the default request for the endpoint's task. Exit 1 on a non-2xx.
    """
    request = _request(data, file, content_type)
    ctx = app.context(namespace)
    observed, targets = operations.select(ctx, [name], [], {})
    live = {(ep.namespace, ep.name): ep for eps in observed.values() for ep in eps}
    endpoint = live.get((targets[0].namespace, targets[0].name))
    if endpoint is None:
        raise NothingMatched(f"no endpoint '{targets[0].namespace}/{name}'", hint="endpointctl status")
    target = _invoke_url(endpoint, url)
    if request is None:
        request = default_request(endpoint.task)
        app.out.info(
            f"sending the default request for task {endpoint.task or '(none)'}: {request.describe()}"
        )
    client = app.deployed_client()
    try:
        exchange = smoke_run.send(client, endpoint, target, request, budget=cold_start_timeout)
    finally:
        client.close()
    reply = exchange.reply
    woke = f", after waking for {exchange.cold_seconds:.1f} s" if exchange.cold_seconds else ""
    app.out.info(f"HTTP {reply.status} in {reply.latency_ms:.0f} ms{woke}")
    mode = Mode(output)
    if mode is Mode.TABLE:
        doc = reply.json()
        shown = json.dumps(doc, indent=2, ensure_ascii=False) if doc is not None else reply.text
        app.out.result(shown if shown.endswith("\n") else shown + "\n")
    else:
        body: Any = reply.json() if reply.json() is not None else reply.text
        record = {"status": reply.status, "latencyMs": round(reply.latency_ms, 1), "body": body}
        app.out.result(render.dump(record, mode))
    if smoke_run.is_paused_reply(reply):
        app.out.error(smoke_run.paused_hint(endpoint))
    return ExitCode.OK if 200 <= reply.status < 300 else ExitCode.FAILURE


def _invoke_url(endpoint: Endpoint, url: str | None) -> str:
    if url:
        return url
    if endpoint.private_link is not None:
        raise EndpointctlError(
            f"'{endpoint.name}' is private with PrivateLink: reachable only from AWS account "
            f"{endpoint.private_link.account_id}'s network",
            hint=f"from inside that network: endpointctl invoke {endpoint.name} --url URL-of-its-interface",
        )
    if endpoint.status is Status.PAUSED:
        raise EndpointFailed(f"'{endpoint.name}' is {smoke_run.paused_hint(endpoint)}")
    if not endpoint.url:
        raise EndpointFailed(
            f"'{endpoint.name}' has no URL yet (state: {endpoint.status.value})",
            hint="try again once it is running: endpointctl status " + endpoint.name,
        )
    return endpoint.url
