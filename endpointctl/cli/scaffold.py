"""init: write a first manifest for a model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click

from endpointctl.cli import options
from endpointctl.cli.export import directory_option, force_option, given_directory
from endpointctl.cli.invocation import Invocation, pass_invocation
from endpointctl.cli.options import epilog
from endpointctl.core.defaults import INIT_REGION, INIT_VENDOR
from endpointctl.core.errors import ExitCode, UsageError


@click.command(
    name="init",
    epilog=epilog(
        "endpointctl init openai-community/gpt2 --name gpt2-demo > manifests/gpt2.yaml",
        "endpointctl init distilbert/distilbert-base-uncased-finetuned-sst-2-english --name sentiment-en "
        "-f sentiment.yaml",
        "endpointctl init openai/whisper-medium --name whisper-medium --dir manifests/ --region eu-west-1",
        "endpointctl init meta-llama/Llama-3.2-1B-Instruct --dir manifests/   # the catalog's recipe",
    ),
)
@click.argument("repository", metavar="REPO")
@click.option(
    "--name",
    metavar="NAME",
    callback=options.checked_names,
    help="Endpoint name. Default: from the model's name.",
)
@click.option("--task", metavar="TASK", help="Pipeline task. Default: the model's, from the Hub.")
@click.option("--vendor", default=INIT_VENDOR, show_default=True, help="Cloud vendor.")
@click.option("--region", default=INIT_REGION, show_default=True, help="Vendor region.")
@click.option(
    "-f", "--file", "file", metavar="PATH", type=click.Path(dir_okay=False), help="Write the manifest here."
)
@directory_option("the manifest")
@force_option
@options.common
@pass_invocation
def init(
    inv: Invocation,
    repository: str,
    name: str | None,
    task: str | None,
    vendor: str,
    region: str,
    file: str | None,
    directory: str | None,
    force: bool,
    output: str,
    namespace: str | None,
) -> ExitCode:
    """Write a manifest for a model: its task from the Hub, and the cheapest instance that fits it.

    The instance is the Inference Catalog's recipe when the model has one and its hardware is offered;
    otherwise the cheapest one available now in the vendor region (status and quota) whose memory
    holds the model's weights (from its safetensors size): a CPU for small models of light tasks, a GPU
    for generative ones. The manifest is private, scales to zero after 15 idle minutes, and passes
    `endpointctl validate`; nothing is created until you `apply` it.
    """
    from endpointctl.engine.flows import export as export_flow
    from endpointctl.engine.flows import scaffold as init_flow
    from endpointctl.ui import manifests as shown

    if file is not None and directory is not None:
        raise UsageError("give -f/--file or --dir, not both")
    if file is not None and not file.strip():
        raise UsageError("--file is empty", hint="check the variable that should have named it")
    target_dir = given_directory(directory)
    _check_offline(vendor, region, None if file is None else Path(file), force=force)
    settings = inv.settings(namespace=namespace, output=output)
    accepted = settings.accepted_tasks
    request = init_flow.InitRequest(repository, name, task, vendor, region, namespace, accepted)
    made = init_flow.init(inv.session(settings), request)
    if file is None and target_dir is None:
        inv.out.result(shown.printed([made.manifest], settings.output, scrub=inv.out.redactor.scrub))
        return ExitCode.OK
    if target_dir is not None:
        (written,) = export_flow.write([made.manifest], target_dir, force=force)
    else:
        path = Path(str(file))
        _check_offline(vendor, region, path, force=force)  # again: the Hub's answers took a while
        export_flow.write_file(path, made.manifest.text)
        written = replace(made.manifest, file=str(path))
    inv.out.result(shown.written([written], settings.output, scrub=inv.out.redactor.scrub))
    return ExitCode.OK


def _check_offline(vendor: str, region: str, path: Path | None, *, force: bool) -> None:
    """What can be told wrong without asking the Hub, refused before any call: a vendor a manifest cannot
    name, an empty region, and a file that would be refused after the model was read."""
    from endpointctl.core.spec import CONTROL_RE, Vendor

    vendors = [v.value for v in Vendor]
    if vendor not in vendors:
        raise UsageError(f"--vendor {vendor!r} is not one of {', '.join(vendors)}")
    if not region.strip() or CONTROL_RE.search(region):
        raise UsageError("--region is empty or holds a control character")
    if path is None:
        return
    if (path.exists() or path.is_symlink()) and not force:
        raise UsageError(f"refusing to overwrite {path}", hint="pass --force to replace it")
    if path.parent != Path() and not path.parent.is_dir():
        raise UsageError(f"{path.parent} does not exist or is not a directory")
