"""How the CLI shows an engine flow as it goes, and the results at its end."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any

from endpointctl.cli.signals import interruptible
from endpointctl.core.clock import Clock
from endpointctl.core.errors import EndpointctlError, NothingMatched
from endpointctl.core.outcomes import ChangeResult, SmokeResult, WaitReport
from endpointctl.core.plan import Plan
from endpointctl.core.settings import OutputMode
from endpointctl.core.suggest import command_for
from endpointctl.engine.cancel import CancelEvent
from endpointctl.ui import progress, records, render
from endpointctl.ui.sink import Output


class CliHooks:
    """The engine's ``Hooks``: the plan on stderr before a confirmation, a live or plain wait display,
    problems as errors; stdout carries only the command's result."""

    def __init__(
        self,
        out: Output,
        clock: Clock,
        cancel: CancelEvent,
        *,
        quiet: bool = False,
        show_tracebacks: bool = False,
        files: Sequence[str] = (),
        holds_at: datetime | None = None,
    ) -> None:
        self._out = out
        # schedule hold/release: the results say until when each endpoint is held, as of this instant.
        self._holds_at = holds_at
        self._clock = clock
        self._cancel = cancel
        self._quiet = quiet
        self._tracebacks = show_tracebacks
        self._files = files  # listed under the plan (with --prune)

    def planned(self, plan: Plan) -> None:
        # With -o json the plan is not repeated on stderr unless there is nothing else to show.
        if not self._out.mode.structured or not plan.has_changes:
            self._out.info(render.plan(plan, OutputMode.TABLE, self._files).rstrip())
        else:
            show_prune_searched(self._out, plan)
        show_warnings(self._out, plan)

    def changed(self, results: Sequence[ChangeResult]) -> None:
        held = None if self._holds_at is None else held_until_each(results, self._holds_at)
        show_changes(self._out, results, show_tracebacks=self._tracebacks, held=held)

    def waiting(self) -> progress.ProgressDisplay:
        return progress.choose(self._out, quiet=self._quiet, wall=self._clock.wall, now=self._clock.now)

    def waited(self, report: WaitReport) -> None:
        progress.report_problems(self._out, report)

    def interruptible(self) -> AbstractContextManager[None]:
        return interruptible(self._cancel, self._out)


@contextmanager
def shown_empty_when_nothing_matched(
    out: Output,
    show: Callable[[], None],
    *,
    errors: tuple[type[EndpointctlError], ...] = (NothingMatched,),
) -> Iterator[None]:
    """Around a command that prints records: when nothing matched (``errors``), ``show()`` its report of
    no endpoint on stdout (``[]`` in JSON and YAML, its summary in markdown), then let the error go on
    (exit 1, the message on stderr). A pipeline reading -o json|yaml|markdown always gets a document it
    can parse, as `status` gives it; `pause nope -o json | jq` got no input at all. A table is for people,
    who read the error: it shows nothing more."""
    try:
        yield
    except errors:
        if out.mode.structured or out.mode.markdown:
            show()
        raise


def plan_text(out: Output, plan: Plan, files: Sequence[str] = ()) -> str:
    """The plan for stdout, as ``out.mode`` asks (markdown included); ``files``: see ``render.plan``."""
    if out.mode.markdown:
        from endpointctl.ui import markdown  # -o markdown only

        return markdown.plan(plan, files, scrub=out.redactor.scrub)
    return render.plan(plan, out.mode, files)


def show_prune_searched(out: Output, plan: Plan) -> None:
    """With -o json or yaml, where a prune looked, on stderr: stdout is a bare list of changes (a stable
    shape that has no room for it), and the other modes say it in the plan itself."""
    if out.mode.structured and plan.prune is not None:
        out.info(render.prune_searched(plan.prune))


def show_warnings(out: Output, plan: Plan) -> None:
    """The plan's warnings (e.g. an endpoint on deprecated hardware) on stderr, whatever the output mode."""
    for line in render.plan_warnings(plan):
        out.warn(line)


def show_changes(
    out: Output,
    results: Sequence[ChangeResult],
    *,
    extra: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
    appendix: str = "",
    show_tracebacks: bool = False,
    waited: WaitReport | None = None,
    smoked: Sequence[SmokeResult] | None = None,
    held: Mapping[tuple[str, str], str | None] | None = None,
) -> None:
    """The results (with what --wait/--smoke found, in ``extra``), and a warning for each half-done one.
    Markdown shows ``waited`` and ``smoked`` as columns of its one table (``extra`` and ``appendix`` are
    the other modes'). ``held``: until when each is held (schedule hold/release), as ``heldUntil`` in
    JSON and YAML and a column in markdown; a table's notes say it."""
    if out.mode.markdown:
        from endpointctl.ui import markdown  # -o markdown only

        out.result(
            markdown.results(results, scrub=out.redactor.scrub, waited=waited, smoked=smoked, held=held)
        )
    else:
        if held is not None:
            extra = {key: {**(extra or {}).get(key, {}), "heldUntil": until} for key, until in held.items()}
        out.result(render.results(results, out.mode, extra))
    if appendix and not out.mode.markdown:
        out.result(appendix)
    warn_half_done(out, results, show_tracebacks=show_tracebacks)


def warn_half_done(out: Output, results: Sequence[ChangeResult], *, show_tracebacks: bool = False) -> None:
    """A warning for each change whose outcome is unknown or that stopped part-way, saying what to run."""
    for r in results:
        # A step the plan did not list (a pause owed after an update woke the endpoint) is not one running
        # the command again plans, nor one a plan shows, as the manifest may set no state: the command that
        # does it is named instead.
        by_hand = [f"`{command_for(step, r.change.namespace, r.change.name)}`" for step in r.unplanned]
        unplanned = (
            f"Running the same command again may not {' or '.join(r.unplanned)} it (the plan did not list "
            f"it): if `{command_for('status', r.change.namespace, r.change.name)}` shows it awake, "
            f"{' and '.join(by_hand)} does."
        )
        if r.unknown:
            done = f"done {', '.join(r.done)}; " if r.done else ""
            left = f"; not done {', '.join(r.surely_not_done)}" if r.surely_not_done else ""
            next_step = unplanned if by_hand else "Run `endpointctl plan` to see where things stand."
            out.warn(
                f"{r.change.namespace}/{r.change.name}: {done}whether {', '.join(r.unknown)} took effect is "
                f"unknown{left}. {next_step}"
            )
        elif r.part_way:
            next_step = unplanned if by_hand else "Run the same command again to converge."
            out.warn(
                f"{r.change.namespace}/{r.change.name} is part-way: done {', '.join(r.done)}; "
                f"not done {', '.join(r.not_done)}. {next_step}"
            )
        if show_tracebacks and r.traceback:
            out.diagnostic(f"traceback of {r.change.namespace}/{r.change.name}:\n{r.traceback.rstrip()}")


def held_until_each(results: Sequence[ChangeResult], at: datetime) -> dict[tuple[str, str], str | None]:
    """Until when each endpoint is held at ``at`` (ISO 8601 UTC, None: not held), read from its tags as the
    last answer gave them, else as they were read before (nothing was sent: a no-op, a blocked change)."""
    held: dict[tuple[str, str], str | None] = {}
    for r in results:
        ep = r.endpoint or r.change.live
        held[(r.change.namespace, r.change.name)] = records.held_until(ep, at) if ep is not None else None
    return held
