"""The ``clustergeo`` command: one subcommand per stage of the registry, plus ``run`` and ``demo``.

Errors caused by inputs or configuration (:class:`ClusterGeoError`) are printed as plain
messages with exit status 2, never as tracebacks; ``--debug`` shows the traceback too.

The command starts instantly: this module imports only click, the standard library and the
stage registry. The statistics, geometry and plotting libraries are imported by the command
that needs them, so ``clustergeo --help``, ``--version``, ``check`` and ``paths`` never load them.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from clustergeo._errors import ClusterGeoError
from clustergeo.fetch.command import fetch
from clustergeo.stages.registry import STAGES

if TYPE_CHECKING:
    from clustergeo.config import RunConfig

__all__ = ["main"]

log = logging.getLogger("clustergeo")

DEMO_FOLDER = Path("clustergeo-demo")


def _load(config_path: Path) -> RunConfig:
    from clustergeo.config import load_config

    return load_config(config_path)


def _run(config_path: Path, names: list[str] | None = None, *, force: bool = False) -> None:
    from clustergeo.stages.runner import run_stages

    run_stages(_load(config_path), names, force=force)


class _Context:
    def __init__(self, debug: bool) -> None:
        self.debug = debug


def _guarded(ctx: click.Context, action: Callable[[], None]) -> None:
    try:
        action()
    except ClusterGeoError as exc:
        if ctx.obj.debug:
            raise
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


config_argument = click.argument(
    "config_path", metavar="CONFIG", type=click.Path(path_type=Path, dir_okay=False)
)
force_option = click.option(
    "--force", is_flag=True, help="Run it even if its outputs are up to date."
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clustergeo")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks for input errors too.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Find industrial clusters and the authorities that govern them.

    Each stage is a command; a stage runs the stages it needs first and skips every stage
    whose outputs are up to date. `clustergeo run CONFIG` runs them all.
    """
    from clustergeo._console import configure_logging

    configure_logging(-1 if quiet else verbose)
    ctx.obj = _Context(debug)


def _stage_command(name: str, summary: str) -> None:
    @main.command(
        name=name,
        help=f"{summary} Runs the stages it needs first; skips any that are up to date.",
    )
    @config_argument
    @force_option
    @click.pass_context
    def command(ctx: click.Context, config_path: Path, force: bool) -> None:
        _guarded(ctx, lambda: _run(config_path, [name], force=force))


for _stage in STAGES:
    _stage_command(_stage.name, _stage.summary)


@main.command(name="run")
@config_argument
@click.option(
    "--force", is_flag=True, help="Run every stage, even those whose outputs are up to date."
)
@click.pass_context
def run_all(ctx: click.Context, config_path: Path, force: bool) -> None:
    """Run every stage for CONFIG, in order, skipping stages whose outputs are up to date.

    After a crash, a kill or a change to the config, the inputs or the code, the run resumes
    from what is still valid: a stage runs again only when a setting it reads, its code, its
    inputs or the outputs of the stages it reads have changed.
    """
    _guarded(ctx, lambda: _run(config_path, None, force=force))


@main.command()
@config_argument
@click.pass_context
def check(ctx: click.Context, config_path: Path) -> None:
    """Validate CONFIG and check that its input files exist, without running anything."""

    def action() -> None:
        config = _load(config_path)
        config.check_inputs_exist()
        click.echo(f"{config_path}: valid; {len(config.input_paths())} input files found.")

    _guarded(ctx, action)


_PATHS = ("output_dir", "inputs", "data_dir", "make-rules", "stages")


@main.command()
@config_argument
@click.argument("what", type=click.Choice(_PATHS))
@click.pass_context
def paths(ctx: click.Context, config_path: Path, what: str) -> None:
    """Print where CONFIG's run lives: output_dir, inputs, data_dir, its stages' files, make-rules.

    `stages` lists every stage with the files it reads and writes; `make-rules` prints the
    Makefile rules of the run (pipeline.mk includes them).
    """

    def action() -> None:
        config = _load(config_path)
        if what == "output_dir":
            click.echo(config.resolved_output_dir)
        elif what == "data_dir":
            click.echo(config.resolved_data_dir)
        elif what == "inputs":
            click.echo(" ".join(str(p) for p in config.input_paths().values()))
        elif what == "make-rules":
            from clustergeo.stages.make_rules import make_rules

            click.echo(make_rules(config), nl=False)
        else:
            click.echo(_describe_stages(config))

    _guarded(ctx, action)


def _describe_stages(config: RunConfig) -> str:
    from clustergeo.stages.manifest import stage_inputs
    from clustergeo.stages.paths import RunPaths

    run = RunPaths.for_config(config)
    lines = []
    for stage in STAGES:
        lines.append(f"{stage.name}: {stage.summary}")
        for role, path in stage_inputs(config, stage).items():
            lines.append(f"  reads input {role}: {path}")
        lines.extend(f"  reads {run[artefact]}" for artefact in stage.reads)
        lines.extend(f"  writes {run[artefact]}" for artefact in stage.writes)
        lines.append(f"  settings: {', '.join(stage.settings)}")
    return "\n".join(lines)


@main.command()
@config_argument
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="How many clusters to list.",
)
@click.pass_context
def straddling(ctx: click.Context, config_path: Path, limit: int) -> None:
    """Print the findings of CONFIG's run that straddle districts, as a Markdown table."""

    def action() -> None:
        from clustergeo.governance.summaries import (
            district_straddles_sentence,
            markdown_table,
            straddling_clusters,
        )
        from clustergeo.stages import intermediates
        from clustergeo.stages.paths import RunPaths

        paths = RunPaths.for_config(_load(config_path))
        governed, links = intermediates.read_governance(paths, config_path)
        table = straddling_clusters(governed, links)
        click.echo(f"{district_straddles_sentence(governed)}.")
        if not table.empty:
            click.echo(markdown_table(table.head(limit)))

    _guarded(ctx, action)


@main.command(name="weights")
@config_argument
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["gal", "gwt", "parquet"]),
    default=None,
    help="GAL (binary neighbours) or GWT (weighted links) for GeoDa, or libpysal's Parquet. "
    "Default: from OUT's extension.",
)
@click.pass_context
def weights(ctx: click.Context, config_path: Path, out: Path, output_format: str | None) -> None:
    """Export the spatial weights of CONFIG's run for GeoDa (GAL, GWT) or libpysal (Parquet)."""

    def action() -> None:
        from clustergeo.stages import intermediates
        from clustergeo.stages.paths import RunPaths

        paths = RunPaths.for_config(_load(config_path))
        fmt = output_format or out.suffix.lstrip(".").lower()
        written = intermediates.export_weights(paths, out, fmt, config_path)
        log.info("Wrote %s", written)

    _guarded(ctx, action)


@main.command(name="panel")
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.pass_context
def panel(ctx: click.Context, config_path: Path) -> None:
    """LQs and hot spots for every area x industry x year of a Parquet table (national scale).

    With an 'emerging:' section in CONFIG, also the emerging-hot-spot category (new,
    intensifying, persistent, ... hot and cold spots) of every area x industry over the years.
    """

    def action() -> None:
        from clustergeo.config import load_panel_config
        from clustergeo.panels.panel import run_panel

        run = run_panel(load_panel_config(config_path))
        outputs = "hotspots/, summary.csv, panel_report.json"
        if run.emerging is not None:
            outputs += ", emerging/, emerging_summary.csv"
        log.info("Panel outputs: %s (%s)", run.output_dir, outputs)

    _guarded(ctx, action)


@main.command(name="national-data")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--boundaries",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Small-area boundaries, e.g. the ONS LSOA 2011 file of England and Wales.",
)
@click.option("--code-column", default="LSOA11CD", show_default=True)
@click.option("--industries", default=730, show_default=True, type=click.IntRange(1, 32000))
@click.option("--years", default="2021", show_default=True, help="Comma-separated years.")
@click.option("--seed", default=20240611, show_default=True, type=int)
@click.pass_context
def national_data(  # noqa: PLR0917 -- click passes options as arguments
    ctx: click.Context,
    out_dir: Path,
    boundaries: Path,
    code_column: str,
    industries: int,
    years: str,
    seed: int,
) -> None:
    """Write synthetic national employment (planted clusters) on real boundaries to OUT_DIR."""

    def write() -> None:
        from clustergeo.demo.national import write_national_workload

        try:
            year_list = [int(y) for y in years.split(",") if y.strip()]
        except ValueError:
            raise ClusterGeoError(f"--years must be comma-separated years, got {years!r}") from None
        write_national_workload(
            boundaries,
            out_dir,
            code_column=code_column,
            industries=industries,
            years=year_list,
            seed=seed,
        )

    _guarded(ctx, write)


@main.command(name="demo-data")
@click.argument("out_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--seed", default=2011, show_default=True, help="Seed of the synthetic region.")
@click.pass_context
def demo_data(ctx: click.Context, out_dir: Path, seed: int) -> None:
    """Generate the synthetic demo region's input files into OUT_DIR (no network)."""

    def write() -> None:
        from clustergeo.demo.region import write_demo_inputs

        written = write_demo_inputs(out_dir, seed=seed)
        log.info("Demo inputs: %s", ", ".join(str(p) for p in written.values()))

    _guarded(ctx, write)


@main.command()
@click.option(
    "--into",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=DEMO_FOLDER,
    show_default=True,
    help="Folder for the demo's config, inputs (raw/) and outputs (processed/).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Run this demo config instead (its data_dir receives the generated inputs).",
)
@click.option("--seed", default=2011, show_default=True, help="Seed of the synthetic region.")
@click.pass_context
def demo(ctx: click.Context, folder: Path, config_path: Path | None, seed: int) -> None:
    """Generate the synthetic demo region and run every stage on it (no network).

    Works from any folder: it writes FOLDER/demo.yaml (the shipped demo config, with its
    folders), the inputs into FOLDER/raw and the outputs into FOLDER/processed.
    """

    def action() -> None:
        from clustergeo.demo.region import write_demo_inputs
        from clustergeo.stages.paths import RunPaths
        from clustergeo.stages.registry import FIGURES, GEOPACKAGE
        from clustergeo.stages.runner import run_stages

        path = config_path or _write_demo_config(folder)
        config = _load(path)
        write_demo_inputs(config.resolved_data_dir, seed=seed)
        run_stages(config)
        run = RunPaths.for_config(config)
        click.echo(f"Demo outputs: {run[GEOPACKAGE]} and {run[FIGURES]}")

    _guarded(ctx, action)


def _write_demo_config(folder: Path) -> Path:
    path = folder / "demo.yaml"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# The synthetic demo region, run by `clustergeo demo`: the config shipped with\n"
            "# clustergeo, with this folder's raw/ (inputs) and processed/ (outputs).\n"
            "extends: demo\ndata_dir: raw\noutput_dir: processed\n",
            encoding="utf-8",
        )
    return path


main.add_command(fetch)
