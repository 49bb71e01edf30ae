"""The ``clustergeo fetch`` command: download real inputs into ``data/raw/<project>/``.

Only click and the standard library are imported here, so ``clustergeo --help`` stays instant;
the downloaders are imported when a subcommand runs.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click

__all__ = ["fetch"]

log = logging.getLogger("clustergeo")

_NOMIS = "https://www.nomisweb.co.uk/api/v01/dataset"
_ONS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"


def _guarded(ctx: click.Context, action: Callable[[], None]) -> None:
    """Print input and network errors as one line (exit status 2), as every command does."""
    from clustergeo._errors import ClusterGeoError

    try:
        action()
    except ClusterGeoError as exc:
        if getattr(ctx.obj, "debug", False):
            raise
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(2)


@click.group(
    epilog=(
        "Sources:\n\n"
        f"\b\n  Nomis API     {_NOMIS}/<id>.data.csv?geography=…&date=…&industry=…"
        "&RecordOffset=0&RecordLimit=25000\n"
        f"  ONS portal    {_ONS}/<service>/FeatureServer/0/query?where=1=1&outFields=*"
        "&resultOffset=0&resultRecordCount=1000&f=geojson"
    )
)
@click.option(
    "--project",
    required=True,
    help="Project name: files go to <data-root>/<project>/ (e.g. midlands).",
)
@click.option(
    "--data-root",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("data/raw"),
    show_default=True,
    help="Folder holding every project's raw data.",
)
@click.pass_context
def fetch(ctx: click.Context, project: str, data_root: Path) -> None:
    """Download employment tables (Nomis) and boundaries and lookups (ONS) for a project.

    Each file is written whole or not at all, with its exact URLs, row count and SHA-256 in
    <data-root>/<project>/provenance.json. A file whose provenance matches the query is never
    downloaded again. A killed download resumes from the pages it had. Failed calls are tried
    again (4 tries, waiting 2, 4, 8 s); an offline machine gets one clear error.
    """
    if not project or any(ch in project for ch in "/\\:") or project.startswith("."):
        raise click.BadParameter(
            "a plain folder name, without '/' or a leading '.'", param_hint="--project"
        )
    parent = ctx.obj
    ctx.obj = type(
        "FetchContext",
        (),
        {"debug": getattr(parent, "debug", False), "folder": data_root / project},
    )()


def _folder(ctx: click.Context) -> Path:
    folder: Path = ctx.obj.folder
    return folder


def _plain_file_name(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse an output name that would leave the project folder (``../x``, ``a/b``, ``.x``)."""
    if value is not None and (
        not value or any(ch in value for ch in "/\\:") or value.startswith(".")
    ):
        raise click.BadParameter(
            f"{value!r} is not a plain file name: give a name without '/', '\\' or ':' "
            "that does not start with '.', e.g. bres_lad.csv; files stay in the project folder",
            param=param,
        )
    return value


@fetch.command("bres")
@click.option(
    "--geography",
    required=True,
    help=(
        "lad (TYPE424), region (TYPE480), msoa2011 (TYPE297), lsoa2011 (TYPE298), nuts2_2013 "
        "(TYPE450), itl1, itl2, itl3; or any Nomis TYPE<n> or geography codes."
    ),
)
@click.option(
    "--industry",
    default="section",
    show_default=True,
    help="section, division, or Nomis industry codes (finer levels: from Nomis' query builder).",
)
@click.option("--year", "years", multiple=True, help="A year (repeat for several); default latest.")
@click.option(
    "--status",
    type=click.Choice(["employment", "employees"]),
    default="employment",
    show_default=True,
    help="employment (employees and working owners) or employees.",
)
@click.option(
    "--dataset",
    default="NM_189_1",
    show_default=True,
    help="NM_189_1 (BRES 2015 on) or NM_172_1 (2009-2015).",
)
@click.option(
    "--name",
    callback=_plain_file_name,
    help="Output file name [default: bres_<geography>_<industry>_<years>.csv].",
)
@click.option("--page-size", default=25_000, show_default=True, help="Rows per Nomis call.")
@click.option("--dry-run", is_flag=True, help="Print the URLs and stop.")
@click.pass_context
def bres(
    ctx: click.Context,
    *,
    geography: str,
    industry: str,
    years: tuple[str, ...],
    status: str,
    dataset: str,
    name: str | None,
    page_size: int,
    dry_run: bool,
) -> None:
    r"""BRES employment or employees by area x SIC level x year, from the Nomis API.

    \b
    For example, --geography lad --industry section --year 2022 builds
      https://www.nomisweb.co.uk/api/v01/dataset/NM_189_1.data.csv?geography=TYPE424
      &date=2022&industry=150994945...150994965&employment_status=4&measure=1
      &measures=20100&RecordOffset=0&RecordLimit=25000
    and asks for further pages (RecordOffset=25000, 50000…) until it has RECORD_COUNT rows.
    A Nomis account's uid is read from NOMIS_API_KEY and never recorded.
    """

    def action() -> None:
        from clustergeo.fetch.nomis import bres_query, fetch_nomis

        query = bres_query(
            geography=geography,
            industry=industry,
            years=list(years),
            status=status,
            dataset=dataset,
        )
        label = "-".join(years) if years else "latest"
        short = industry if industry in ("section", "division") else "industries"
        output = (
            name or f"bres_{geography if geography.isidentifier() else 'areas'}_{short}_{label}.csv"
        )
        _run_nomis(
            ctx, query, output=output, page_size=page_size, dry_run=dry_run, fetch_nomis=fetch_nomis
        )

    _guarded(ctx, action)


@fetch.command("census")
@click.option("--dataset", required=True, help="The census table's Nomis dataset id (NM_<n>_1).")
@click.option("--geography", required=True, help="As for bres (msoa2011, lad, TYPE<n>...).")
@click.option(
    "--param",
    "params",
    multiple=True,
    help="Another dimension as Nomis names it, key=value (repeat), e.g. c_indgpuk11=0...20.",
)
@click.option(
    "--name",
    callback=_plain_file_name,
    help="Output file name [default: census_<dataset>_<geography>.csv].",
)
@click.option("--page-size", default=25_000, show_default=True, help="Rows per Nomis call.")
@click.option("--dry-run", is_flag=True, help="Print the URLs and stop.")
@click.pass_context
def census(
    ctx: click.Context,
    *,
    dataset: str,
    geography: str,
    params: tuple[str, ...],
    name: str | None,
    page_size: int,
    dry_run: bool,
) -> None:
    r"""A Census 2011 or 2021 workplace table by industry, from the Nomis API.

    \b
    Builds https://www.nomisweb.co.uk/api/v01/dataset/<dataset>.data.csv?geography=…
      &<param>…&measures=20100&RecordOffset=0&RecordLimit=25000
    The result is a Nomis long CSV that clustergeo reads with employment.format: nomis_bres.
    """

    def action() -> None:
        from clustergeo.fetch.http import FetchError
        from clustergeo.fetch.nomis import census_query, fetch_nomis

        extra = []
        for item in params:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise FetchError(f"--param takes key=value (got {item!r}).")
            extra.append((key.strip(), value.strip()))
        query = census_query(dataset=dataset, geography=geography, extra=extra)
        output = (
            name or f"census_{dataset}_{geography if geography.isidentifier() else 'areas'}.csv"
        )
        _run_nomis(
            ctx, query, output=output, page_size=page_size, dry_run=dry_run, fetch_nomis=fetch_nomis
        )

    _guarded(ctx, action)


def _run_nomis(
    ctx: click.Context,
    query: object,
    *,
    output: str,
    page_size: int,
    dry_run: bool,
    fetch_nomis: Callable[..., Path],
) -> None:
    import os

    from clustergeo.fetch.nomis import UID_ENV

    uid = os.environ.get(UID_ENV) or None
    if dry_run:
        click.echo(query.shown_url(offset=0, limit=page_size, uid=uid))  # type: ignore[attr-defined]
        return
    path = fetch_nomis(query, project_dir=_folder(ctx), name=output, page_size=page_size, uid=uid)
    click.echo(str(path))


_SERVICE_HELP = (
    "The ONS feature service, e.g. MSOA_2021_EW_BGC_V2 (portal page → 'View API resources')."
)


@fetch.command("boundaries")
@click.argument("service")
@click.option("--where", default="1=1", show_default=True, help="An SQL filter on the layer.")
@click.option("--order-by", help="A field to order pages by (e.g. FID).")
@click.option(
    "--name", callback=_plain_file_name, help="Output file name [default: <service>.gpkg]."
)
@click.option("--page-size", default=1000, show_default=True, help="Features per call.")
@click.option("--dry-run", is_flag=True, help="Print the first page's URL and stop.")
@click.pass_context
def boundaries(
    ctx: click.Context,
    *,
    service: str,
    where: str,
    order_by: str | None,
    name: str | None,
    page_size: int,
    dry_run: bool,
) -> None:
    r"""Boundaries of a named ONS layer and vintage, as a GeoPackage (EPSG:27700).

    \b
    SERVICE names the product and vintage, e.g. MSOA_2021_EW_BGC_V2. Builds
      https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/<SERVICE>
      /FeatureServer/0/query?where=1=1&outFields=*&returnGeometry=true&resultOffset=0
      &resultRecordCount=1000&outSR=4326&f=geojson
    and pages on while the answer says exceededTransferLimit.
    """

    def action() -> None:
        from clustergeo.fetch.ons import arcgis_query_url, fetch_boundaries

        if dry_run:
            click.echo(
                arcgis_query_url(
                    service,
                    offset=0,
                    count=page_size,
                    geometry=True,
                    where=where,
                    order_by=order_by,
                )
            )
            return
        path = fetch_boundaries(
            service,
            project_dir=_folder(ctx),
            name=name,
            where=where,
            page_size=page_size,
            order_by=order_by,
        )
        click.echo(str(path))

    _guarded(ctx, action)


@fetch.command("lookup")
@click.argument("service")
@click.option("--where", default="1=1", show_default=True, help="An SQL filter on the table.")
@click.option("--order-by", help="A field to order pages by (e.g. ObjectId).")
@click.option(
    "--name", callback=_plain_file_name, help="Output file name [default: <service>.csv]."
)
@click.option("--page-size", default=2000, show_default=True, help="Records per call.")
@click.option("--dry-run", is_flag=True, help="Print the first page's URL and stop.")
@click.pass_context
def lookup(
    ctx: click.Context,
    *,
    service: str,
    where: str,
    order_by: str | None,
    name: str | None,
    page_size: int,
    dry_run: bool,
) -> None:
    r"""An ONS lookup table (LAD → county → combined authority → region), as CSV.

    \b
    SERVICE is the lookup's feature service on the ONS portal (for example a
    "Local Authority District to County" or "… to Combined Authority" lookup). Builds
      https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/<SERVICE>
      /FeatureServer/0/query?where=1=1&outFields=*&returnGeometry=false&resultOffset=0
      &resultRecordCount=2000&f=json
    """

    def action() -> None:
        from clustergeo.fetch.ons import arcgis_query_url, fetch_lookup

        if dry_run:
            click.echo(
                arcgis_query_url(
                    service,
                    offset=0,
                    count=page_size,
                    geometry=False,
                    where=where,
                    order_by=order_by,
                )
            )
            return
        path = fetch_lookup(
            service,
            project_dir=_folder(ctx),
            name=name,
            where=where,
            page_size=page_size,
            order_by=order_by,
        )
        click.echo(str(path))

    _guarded(ctx, action)
