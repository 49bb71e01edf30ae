"""The ``clustergeo`` command: one subcommand per stage, plus ``run`` and ``demo``.

Errors caused by inputs or configuration (:class:`ClusterGeoError`) are printed as plain
messages with exit status 2, never as tracebacks; ``--debug`` shows the traceback too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from clustergeo import clusters, concentration, governance, hotspots, manifest, publish
from clustergeo._errors import ClusterGeoError
from clustergeo.config import RunConfig, load_config
from clustergeo.ingest import stage as ingest
from clustergeo.paths import RunPaths
from clustergeo.surface import stage as surface

__all__ = ["main"]

log = logging.getLogger("clustergeo")

Stage = Callable[[RunConfig], RunPaths]
STAGES: dict[str, Stage] = {
    "ingest": ingest.run,
    "concentration": concentration.run,
    "hotspots": hotspots.run,
    "clusters": clusters.run,
    "governance": governance.run,
    "surface": surface.run,
    "publish": publish.run,
}
DEFAULT_DEMO_CONFIG = Path("pipelines/demo.yaml")


def _configure_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose >= 0 else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("clustergeo").setLevel(level)


def _run_stages(config: RunConfig, names: list[str], *, resume: bool = False) -> None:
    """Run stages in order, recording each one's manifest when it succeeds.

    With ``resume``, stages whose outputs are still valid (see :mod:`clustergeo.manifest`)
    are skipped; once one stage runs, every later one runs too.
    """
    order = list(STAGES)
    code = manifest.code_digest()
    manifest.remove_partial_files(RunPaths.for_config(config))
    for name in names:
        if resume:
            current, reason = manifest.is_current(config, name, order, code=code)
            if current:
                log.info("Stage %s: up to date, skipped", name)
                continue
            log.info("Stage %s: runs because %s", name, reason)
        started = time.perf_counter()
        log.info("Stage %s: starting", name)
        STAGES[name](config)
        manifest.record(config, name, order, code=code)
        log.info("Stage %s: done in %.1f s", name, time.perf_counter() - started)


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option("--debug", is_flag=True, help="Show tracebacks for input errors too.")
@click.pass_context
def main(ctx: click.Context, verbose: int, quiet: bool, debug: bool) -> None:
    """Find industrial clusters and the authorities that govern them."""
    _configure_logging(-1 if quiet else verbose)
    ctx.obj = _Context(debug)


def _stage_command(name: str, help_text: str) -> None:
    @main.command(name=name, help=help_text)
    @config_argument
    @click.pass_context
    def command(ctx: click.Context, config_path: Path) -> None:
        _guarded(ctx, lambda: _run_stages(load_config(config_path), [name]))


_stage_command("ingest", "Read and validate the inputs of CONFIG; write tidy intermediates.")
_stage_command("concentration", "Compute location quotients for every area and industry.")
_stage_command("hotspots", "Find hot spots: Getis-Ord Gi* and Local Moran's I for every industry.")
_stage_command("clusters", "Join neighbouring hot spots of each industry into clusters.")
_stage_command(
    "governance", "Flag the authorities each cluster and anchor site straddles; summarise them."
)
_stage_command(
    "surface", "Spread employment over a grid (OSM land use), find grid clusters, compare them."
)
_stage_command("publish", "Write the GeoPackage, the LQ maps and the provenance record.")


@main.command(name="run")
@config_argument
@click.option(
    "--force", is_flag=True, help="Run every stage, even those whose outputs are up to date."
)
@click.pass_context
def run_all(ctx: click.Context, config_path: Path, force: bool) -> None:
    """Run every stage for CONFIG, in order, skipping stages whose outputs are up to date.

    After a crash, a kill or a change to the config, the inputs or the code, the run resumes
    from the first stage whose outputs are no longer valid.
    """
    _guarded(ctx, lambda: _run_stages(load_config(config_path), list(STAGES), resume=not force))


@main.command()
@config_argument
@click.pass_context
def check(ctx: click.Context, config_path: Path) -> None:
    """Validate CONFIG and check that its input files exist, without running anything."""

    def action() -> None:
        config = load_config(config_path)
        config.check_inputs_exist()
        click.echo(f"{config_path}: valid; {len(config.input_paths())} input files found.")

    _guarded(ctx, action)


@main.command()
@config_argument
@click.argument("what", type=click.Choice(["output_dir", "inputs", "data_dir"]))
@click.pass_context
def paths(ctx: click.Context, config_path: Path, what: str) -> None:
    """Print the output folder, input files or data folder of CONFIG (for the Makefile)."""

    def action() -> None:
        config = load_config(config_path)
        if what == "output_dir":
            click.echo(config.resolved_output_dir)
        elif what == "data_dir":
            click.echo(config.resolved_data_dir)
        else:
            click.echo(" ".join(str(p) for p in config.input_paths().values()))

    _guarded(ctx, action)


@main.command()
@config_argument
@click.option("--limit", default=10, show_default=True, help="How many clusters to list.")
@click.pass_context
def straddling(ctx: click.Context, config_path: Path, limit: int) -> None:
    """Print the findings of CONFIG's run that straddle districts, as a Markdown table."""
    import pandas as pd

    from clustergeo.governance.summaries import markdown_table, straddling_clusters

    def action() -> None:
        paths = RunPaths.for_config(load_config(config_path))
        if not paths.governance_report.exists():
            raise ClusterGeoError(
                f"No governance results in {paths.governance_dir}: run "
                f"`clustergeo run {config_path}` (or `make all CONFIG={config_path}`) first."
            )
        table = straddling_clusters(
            pd.read_parquet(paths.governed_clusters), pd.read_parquet(paths.cluster_authorities)
        )
        click.echo(f"{len(table)} findings straddle district boundaries by their core or extent.")
        if not table.empty:
            click.echo(markdown_table(table.head(limit)))

    _guarded(ctx, action)


@main.command(name="panel")
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path))
@click.pass_context
def panel(ctx: click.Context, config_path: Path) -> None:
    """LQs and hot spots for every area x industry x year of a Parquet table (national scale)."""
    from clustergeo.config import load_panel_config
    from clustergeo.scale.panel import run_panel

    _guarded(ctx, lambda: _announce(run_panel(load_panel_config(config_path)).output_dir))


def _announce(output_dir: Path) -> None:
    log.info("Panel outputs: %s (hotspots/, summary.csv, panel_report.json)", output_dir)


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
    from clustergeo.scale.workload import write_national_workload

    def write() -> None:
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
    from clustergeo.synthetic import write_demo_inputs

    _guarded(ctx, lambda: _log_written(write_demo_inputs(out_dir, seed=seed)))


def _log_written(written: dict[str, Path]) -> None:
    log.info("Demo inputs: %s", ", ".join(str(p) for p in written.values()))


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=DEFAULT_DEMO_CONFIG,
    show_default=True,
    help="The demo pipeline config.",
)
@click.option("--seed", default=2011, show_default=True, help="Seed of the synthetic region.")
@click.pass_context
def demo(ctx: click.Context, config_path: Path, seed: int) -> None:
    """Generate the synthetic demo region and run every stage on it (no network)."""
    from clustergeo.synthetic import write_demo_inputs

    def action() -> None:
        config = load_config(config_path)
        write_demo_inputs(config.resolved_data_dir, seed=seed)
        _run_stages(config, list(STAGES), resume=True)
        paths = RunPaths.for_config(config)
        click.echo(f"Demo outputs: {paths.geopackage} and {paths.figures_dir}/")

    _guarded(ctx, action)
