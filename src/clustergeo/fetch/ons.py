"""Download boundaries and lookups from the ONS Open Geography Portal (ArcGIS REST services).

Each ONS product is a feature service, queried at
``https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/<service>/FeatureServer/0/query``
with ``where=1=1&outFields=*``. A service returns at most its ``maxRecordCount`` features per
call (often 1,000 or 2,000), so clustergeo pages with ``resultOffset`` and
``resultRecordCount`` for as long as the answer says ``exceededTransferLimit: true``.
Boundaries are asked for as GeoJSON (``f=geojson``, longitude/latitude) and written as a
GeoPackage in British National Grid; lookups (tables without geometry, ``returnGeometry=false``,
``f=json``) are written as CSV.

The service name carries the product and its vintage: ``MSOA_2021_EW_BGC_V2`` (MSOAs,
December 2021, generalised to 20 m), ``LAD_DEC_2023_UK_BGC`` (districts, December 2023). Find
a name on the portal's page for the dataset ("I want to use this" → "View API resources").
"""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from clustergeo.fetch.http import FetchError, RequestsTransport, Transport, get_with_retries
from clustergeo.fetch.store import DownloadStore, query_digest

__all__ = [
    "ONS_ARCGIS",
    "arcgis_query_url",
    "fetch_boundaries",
    "fetch_lookup",
]

log = logging.getLogger(__name__)

ONS_ARCGIS = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
SERVICE = "the ONS Open Geography Portal"


def arcgis_query_url(
    service: str,
    *,
    offset: int,
    count: int,
    geometry: bool,
    where: str = "1=1",
    layer: int = 0,
    order_by: str | None = None,
    root: str = ONS_ARCGIS,
) -> str:
    """The URL of one page of an ArcGIS feature service query."""
    parameters = [
        ("where", where),
        ("outFields", "*"),
        ("returnGeometry", "true" if geometry else "false"),
        ("resultOffset", str(offset)),
        ("resultRecordCount", str(count)),
    ]
    if order_by:
        parameters.append(("orderByFields", order_by))
    parameters += [("outSR", "4326")] if geometry else []
    parameters.append(("f", "geojson" if geometry else "json"))
    return f"{root}/{service}/FeatureServer/{layer}/query?" + urlencode(parameters, safe="=*,")


def _parse(body: bytes, url: str) -> tuple[list[dict[str, Any]], bool]:
    """Features and the exceededTransferLimit flag of one ArcGIS answer."""
    try:
        answer = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FetchError(
            f"{SERVICE} answered {url} with something that is not JSON "
            f"({body[:120].decode('utf-8', errors='replace')!r}); check the service name."
        ) from None
    if not isinstance(answer, dict):
        raise FetchError(f"{SERVICE} answered {url} with JSON that is not a feature set.")
    if "error" in answer:
        error = answer["error"] if isinstance(answer["error"], dict) else {}
        details = "; ".join(str(d) for d in error.get("details", []) if d)
        raise FetchError(
            f"{SERVICE} refused {url}: {error.get('message', 'error')}"
            f" (code {error.get('code', '?')}{'; ' + details if details else ''}). Check the "
            "service name and layer."
        )
    features = answer.get("features")
    if not isinstance(features, list):
        raise FetchError(
            f"{SERVICE} answered {url} without a 'features' list: not a feature query result."
        )
    # GeoJSON answers carry the flag in "properties"; Esri JSON answers at the top level.
    properties = answer.get("properties")
    flag_in_properties = isinstance(properties, dict) and properties.get("exceededTransferLimit")
    more = bool(answer.get("exceededTransferLimit") or flag_in_properties)
    return features, more


def _fetch_pages(
    service: str,
    *,
    store: DownloadStore,
    name: str,
    geometry: bool,
    page_size: int,
    where: str,
    order_by: str | None,
    transport: Transport,
    retry: dict[str, float],
) -> tuple[list[dict[str, Any]], list[str], str]:
    digest = query_digest([service, geometry, page_size, where, order_by])
    folder = store.pages_dir(name, digest)
    features: list[dict[str, Any]] = []
    urls: list[str] = []
    index, more = 0, True
    while more:
        url = arcgis_query_url(
            service,
            offset=index * page_size,
            count=page_size,
            geometry=geometry,
            where=where,
            order_by=order_by,
        )
        urls.append(url)
        page = store.page_path(folder, index, ".json")
        body = (
            page.read_bytes()
            if page.exists()
            else get_with_retries(transport, url, service=SERVICE, **retry)  # type: ignore[arg-type]
        )
        page_features, more = _parse(body, url)
        if not page.exists():
            store.save_page(page, body)
        features.extend(page_features)
        log.info("%s page %d: %d features", service, index + 1, len(page_features))
        more = more and bool(page_features)
        index += 1
    if not features:
        raise FetchError(f"{SERVICE} returned no features for {urls[0]}: check 'where'.")
    return features, urls, digest


def fetch_boundaries(
    service: str,
    *,
    project_dir: Path,
    name: str | None = None,
    where: str = "1=1",
    page_size: int = 1000,
    order_by: str | None = None,
    transport: Transport | None = None,
    **retry: float,
) -> Path:
    """Download a boundary layer as a GeoPackage (British National Grid, layer = service).

    Parameters
    ----------
    service
        The feature service, e.g. ``MSOA_2021_EW_BGC_V2``.
    project_dir
        ``data/raw/<project>``.
    name
        The output file name (default ``<service>.gpkg``).
    where
        An SQL filter, e.g. ``LAD23CD LIKE 'E07%'``.
    page_size
        Features per call (at most the service's ``maxRecordCount``).
    order_by
        A field to order by, so pages never overlap (e.g. ``FID``).

    Returns
    -------
    Path
        The GeoPackage.
    """
    import geopandas as gpd

    from clustergeo.io import write_geopackage_layers

    store = DownloadStore(Path(project_dir))
    name = name or f"{service}.gpkg"
    digest = query_digest([service, True, page_size, where, order_by])
    cached = store.cached(name, digest)
    if cached is not None:
        log.info("%s is already downloaded (provenance matches); not fetched again", cached)
        return cached
    features, urls, digest = _fetch_pages(
        service,
        store=store,
        name=name,
        geometry=True,
        page_size=page_size,
        where=where,
        order_by=order_by,
        transport=transport or RequestsTransport(),
        retry=dict(retry),
    )
    try:
        frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326").to_crs("EPSG:27700")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise FetchError(
            f"{SERVICE} answered {urls[0]} with features that are not GeoJSON ({exc})."
        ) from None
    write_geopackage_layers({service: frame}, store.root / name)
    return store.finish(
        name, digest=digest, source=SERVICE, urls=urls, rows=len(frame), extra={"layer": service}
    )


def fetch_lookup(
    service: str,
    *,
    project_dir: Path,
    name: str | None = None,
    where: str = "1=1",
    page_size: int = 2000,
    order_by: str | None = None,
    transport: Transport | None = None,
    **retry: float,
) -> Path:
    """Download a lookup table (e.g. districts to counties, combined authorities, regions) as CSV.

    Parameters
    ----------
    service
        The table's feature service.
    project_dir, name, where, page_size, order_by
        As for :func:`fetch_boundaries` (default name ``<service>.csv``).

    Returns
    -------
    Path
        The CSV, one row per record, the service's fields as columns.
    """
    from clustergeo.io import atomic_path

    store = DownloadStore(Path(project_dir))
    name = name or f"{service}.csv"
    digest = query_digest([service, False, page_size, where, order_by])
    cached = store.cached(name, digest)
    if cached is not None:
        log.info("%s is already downloaded (provenance matches); not fetched again", cached)
        return cached
    features, urls, digest = _fetch_pages(
        service,
        store=store,
        name=name,
        geometry=False,
        page_size=page_size,
        where=where,
        order_by=order_by,
        transport=transport or RequestsTransport(),
        retry=dict(retry),
    )
    records = [f.get("attributes") for f in features]
    if not all(isinstance(r, dict) for r in records):
        raise FetchError(f"{SERVICE} answered {urls[0]} with records without 'attributes'.")
    columns = list(dict.fromkeys(key for record in records for key in record))  # type: ignore[union-attr]
    with (
        atomic_path(store.root / name) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)  # type: ignore[arg-type]
    return store.finish(name, digest=digest, source=SERVICE, urls=urls, rows=len(records))
