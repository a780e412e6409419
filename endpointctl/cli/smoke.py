"""smoke, invoke: commands that call deployed endpoints' URLs (the data plane)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from endpointctl.cli import options
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import COLD_START_SECONDS
from endpointctl.core.errors import ExitCode, UsageError
from endpointctl.core.settings import OutputMode
from endpointctl.core.targets import Targets, UrlOverride

if TYPE_CHECKING:
    from endpointctl.dataplane.checks import SmokeRequest

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


@click.command(
    epilog=epilog(
        "endpointctl smoke sentiment-en",
        "endpointctl smoke -f manifests/ --junit-xml smoke.xml",
        "endpointctl smoke -l env=prod -o json",
        "endpointctl smoke sentiment-en --url sentiment-en=https://vpce-0abc.example/   # PrivateLink",
    )
)
@options.targets(allow_empty=False)
@click.option(
    "--url",
    "urls",
    multiple=True,
    metavar="[NAME=]URL",
    help="Call this URL instead of the endpoint's own, e.g. its PrivateLink interface. Repeatable.",
)
@click.option("--junit-xml", type=click.Path(dir_okay=False), help="Also write JUnit XML here, for CI.")
@options.common
@pass_invocation
def smoke(
    inv: Invocation,
    targets: Targets,
    urls: tuple[str, ...],
    junit_xml: str | None,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Call each endpoint's URL and check the answer: the manifest's smokeTest, else a task default.

    Exit 0 when every test that ran passed and at least one ran; 1 otherwise.
    """
    from endpointctl.cli import exits
    from endpointctl.cli.hooks import shown_empty_when_nothing_matched
    from endpointctl.core.outcomes import SmokeResult
    from endpointctl.dataplane import junit
    from endpointctl.engine.flows import smoke as smoke_flow
    from endpointctl.ui import markdown_reports, render

    targets.require("smoke-test")
    if junit_xml:
        junit.check_writable(junit_xml)
    desired = inv.load(targets.files) if targets.files else []
    settings = inv.settings(namespace=namespace, output=output)
    overrides = [UrlOverride.parse(raw) for raw in urls]

    def show(results: list[SmokeResult]) -> None:
        if settings.output.markdown:
            inv.out.result(markdown_reports.smoke_results(results, scrub=inv.out.redactor.scrub))
        else:
            inv.out.result(render.smoke_results(results, settings.output))

    # A selector that matched nothing: no test ran (and no JUnit file is written).
    with shown_empty_when_nothing_matched(inv.out, lambda: show([])):
        results = smoke_flow.smoke(inv.session(settings), targets, desired, overrides)
    show(results)
    if junit_xml:
        junit.write(junit_xml, results, inv.out.redactor.scrub)
    if results and not any(r.ran for r in results):
        # Exit 1 under a report of "0 failed" needs its reason said: nothing was tested.
        inv.out.error(
            f"no smoke test ran: {len(results)} skipped",
            hint="each skipped one above says why; `endpointctl status` shows their states",
        )
    return exits.for_smoke(results)


# -- invoke -----------------------------------------------------------------------------------------


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not a JSON value")


def _request(data: str | None, file: str | None, content_type: str | None) -> SmokeRequest | None:
    from endpointctl.dataplane.checks import SmokeRequest

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
        body = json.loads(text, parse_constant=_not_json)  # NaN and Infinity: Python's, not JSON's
    except ValueError as error:
        where = f" in {data[1:]}" if data.startswith("@") else ""
        raise UsageError(f"--data is not valid JSON{where}: {error}") from None
    if content_type and content_type != "application/json":
        return SmokeRequest(content=text.encode(), content_type=content_type)
    return SmokeRequest(body=body)


# The largest body invoke sends from a file: a long recording for Whisper fits, /dev/zero does not.
MAX_BODY_BYTES = 100 * 1024 * 1024


def _read_bytes(path: str) -> bytes:
    from endpointctl.manifest.files import UnreadableFile, read_capped

    try:
        return read_capped(path, MAX_BODY_BYTES)
    except UnreadableFile as unreadable:
        raise UsageError(f"{path}: {unreadable}") from None


@click.command(
    epilog=epilog(
        'endpointctl invoke sentiment-en --data \'{"inputs": "I love this!"}\'',
        "endpointctl invoke sentiment-en --data @request.json -o json",
        "endpointctl invoke whisper-medium --file sample.flac",
        "endpointctl invoke gpt2-demo        # the task's default request",
    )
)
@click.argument("name", callback=options.checked_names)
@click.option("--data", metavar="JSON|@FILE", help="JSON body, inline or @file.json.")
@click.option(
    "--file", "file", type=click.Path(dir_okay=False), help="Send this file's bytes (audio, image)."
)
@click.option("--content-type", metavar="TYPE", help="Content-Type; default from the file's extension.")
@click.option("--url", metavar="URL", help="Call this URL instead of the endpoint's own (e.g. PrivateLink).")
@click.option(
    "--cold-start-timeout",
    type=options.Seconds(positive=True),
    default=COLD_START_SECONDS,
    show_default=True,
    metavar="SECONDS",
    help="How long waking a scaled-to-zero endpoint may take.",
)
@options.common
@pass_invocation
def invoke(
    inv: Invocation,
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
    from endpointctl.engine.flows import smoke as smoke_flow
    from endpointctl.ui import markdown_reports, records, render

    request = _request(data, file, content_type)
    if url is not None:
        UrlOverride.parse(url)  # refuses an empty one, as smoke --url does
    settings = inv.settings(namespace=namespace, output=output)
    invoked = smoke_flow.invoke(
        inv.session(settings), name, request, url=url, cold_start_timeout=cold_start_timeout
    )
    reply = invoked.exchange.reply
    cold = invoked.exchange.cold_seconds
    woke = f", after waking for {cold:.1f} s" if cold else ""
    inv.out.info(f"HTTP {reply.status} in {reply.latency_ms:.0f} ms{woke}")
    if settings.output.markdown:
        doc = reply.json()
        text = reply.text if doc is None else json.dumps(doc, ensure_ascii=False)
        scrub = inv.out.redactor.scrub
        inv.out.result(markdown_reports.invoke(reply.status, reply.latency_ms, text, scrub=scrub))
    elif not settings.output.structured:
        doc = reply.json()
        # As JSON output is written everywhere: DEL and C1 escaped in JSON's own notation, still valid JSON.
        shown = render.dump(doc, OutputMode.JSON) if doc is not None else reply.text
        inv.out.result(shown if shown.endswith("\n") else shown + "\n")
    else:
        body: Any = reply.json() if reply.json() is not None else reply.text
        inv.out.result(
            render.dump(records.invoke_record(reply.status, reply.latency_ms, body), settings.output)
        )
    if invoked.paused:
        inv.out.error(invoked.paused_hint)
    return ExitCode.OK if 200 <= reply.status < 300 else ExitCode.FAILURE
