"""Download tables from the Nomis API (open, no key), page by page.

A query is ``https://www.nomisweb.co.uk/api/v01/dataset/<id>.data.csv?<dimension>=<codes>&…``.
Nomis returns at most 25,000 rows per call to users without an account, so clustergeo asks
for ``RecordLimit=25000`` rows at ``RecordOffset=0, 25000, 50000…`` until it has
``RECORD_COUNT`` rows (a column of every row of the CSV). With a Nomis account, put its
``uid`` in the ``NOMIS_API_KEY`` environment variable (as nomisr does): it is added to each
call and never written to the provenance record.

Datasets: BRES open access is ``NM_189_1`` (2015 on) and ``NM_172_1`` (2009–2015), with
``employment_status`` 1 (employees) or 4 (employment: employees and working owners),
``measure=1`` (count) and ``measures=20100`` (value). Industries are given by Nomis' own codes:
sections are ``150994945…150994965`` (A…U) and a division ``dd`` is ``146800640 + dd``
(``29`` → ``146800669``); finer levels take the codes Nomis' query builder shows. Census
workplace tables have their own dataset ids (shown in the query builder).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from clustergeo.fetch.http import FetchError, RequestsTransport, Transport, get_with_retries
from clustergeo.fetch.store import DownloadStore, query_digest

__all__ = [
    "GEOGRAPHY_TYPES",
    "NOMIS_API",
    "NOMIS_ROW_LIMIT",
    "UID_ENV",
    "NomisQuery",
    "bres_query",
    "census_query",
    "fetch_nomis",
    "industry_codes",
]

log = logging.getLogger(__name__)

NOMIS_API = "https://www.nomisweb.co.uk/api/v01/dataset"
#: Rows Nomis returns per call to users without an account.
NOMIS_ROW_LIMIT = 25_000
UID_ENV = "NOMIS_API_KEY"

#: Geography names → the Nomis geography selection they stand for. ``TYPE<n>`` selects every
#: area of a Nomis geography type; ITL areas are listed by Nomis id ranges.
GEOGRAPHY_TYPES = {
    "region": "TYPE480",
    "lad": "TYPE424",
    "msoa2011": "TYPE297",
    "lsoa2011": "TYPE298",
    "nuts2_2013": "TYPE450",
    "itl1": "1841299457...1841299467",
    "itl2": "1837105153...1837105192",
    "itl3": "1832910849...1832911016",
}
_SECTIONS = "ABCDEFGHIJKLMNOPQRSTU"
BRES_DATASETS = {"current": "NM_189_1", "2009-2015": "NM_172_1"}
EMPLOYMENT_STATUS = {"employees": "1", "employment": "4"}


def industry_codes(level: str) -> str:
    """Nomis industry codes of every SIC 2007 section or division.

    Parameters
    ----------
    level
        ``"section"`` or ``"division"``; anything else is passed through as Nomis codes.
    """
    if level == "section":
        return "150994945...150994965"
    if level == "division":
        from clustergeo.industries import sic_hierarchy

        return ",".join(str(146800640 + int(d)) for d in sorted(sic_hierarchy().divisions))
    return level


@dataclass(frozen=True)
class NomisQuery:
    """One Nomis dataset query (every page of it).

    Attributes
    ----------
    dataset
        The Nomis dataset id, e.g. ``NM_189_1``.
    parameters
        The query's dimensions in order, e.g. ``(("geography", "TYPE424"), ("date", "2022"))``.
    """

    dataset: str
    parameters: tuple[tuple[str, str], ...] = field(default=())

    def url(self, *, offset: int = 0, limit: int = NOMIS_ROW_LIMIT, uid: str | None = None) -> str:
        """The URL of one page (``uid`` appended when given)."""
        page = [*self.parameters, ("RecordOffset", str(offset)), ("RecordLimit", str(limit))]
        if uid:
            page.append(("uid", uid))
        return f"{NOMIS_API}/{self.dataset}.data.csv?" + urlencode(page, safe=",.:")

    def shown_url(
        self, *, offset: int = 0, limit: int = NOMIS_ROW_LIMIT, uid: str | None = None
    ) -> str:
        """The page URL as recorded and shown: the ``uid`` hidden."""
        return self.url(offset=offset, limit=limit, uid="$NOMIS_API_KEY" if uid else None)


def bres_query(
    *,
    geography: str,
    industry: str = "section",
    years: list[str] | None = None,
    status: str = "employment",
    dataset: str = "NM_189_1",
) -> NomisQuery:
    """A BRES open-access query: employment or employees by area, industry and year.

    Parameters
    ----------
    geography
        A name of :data:`GEOGRAPHY_TYPES` (``lad``, ``msoa2011``, ``itl2``…), a Nomis
        ``TYPE<n>``, or Nomis geography codes.
    industry
        ``section``, ``division`` or Nomis industry codes.
    years
        The years (``["2021", "2022"]``); ``latest`` when empty.
    status
        ``employment`` or ``employees``.
    """
    if status not in EMPLOYMENT_STATUS:
        raise FetchError(f"status must be 'employment' or 'employees' (got {status!r}).")
    return NomisQuery(
        dataset=BRES_DATASETS.get(dataset, dataset),
        parameters=(
            ("geography", GEOGRAPHY_TYPES.get(geography, geography)),
            ("date", ",".join(years) if years else "latest"),
            ("industry", industry_codes(industry)),
            ("employment_status", EMPLOYMENT_STATUS[status]),
            ("measure", "1"),
            ("measures", "20100"),
        ),
    )


def census_query(
    *, dataset: str, geography: str, extra: list[tuple[str, str]] | None = None
) -> NomisQuery:
    """A Nomis census table query (e.g. a workplace population by industry table).

    Parameters
    ----------
    dataset
        The table's Nomis dataset id.
    geography
        As for :func:`bres_query`.
    extra
        Further dimensions as Nomis names them (``("c_indgpuk11", "0...20")``).
    """
    return NomisQuery(
        dataset=dataset,
        parameters=(
            ("geography", GEOGRAPHY_TYPES.get(geography, geography)),
            *(extra or []),
            ("measures", "20100"),
        ),
    )


def _parse_page(body: bytes, shown: str) -> tuple[list[str], list[list[str]], int]:
    """Header, rows and RECORD_COUNT of one Nomis CSV page."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    rows = list(csv.reader(io.StringIO(text)))
    header = [h.strip().upper() for h in rows[0]] if rows else []
    if "OBS_VALUE" not in header or "RECORD_COUNT" not in header:
        first = text.strip().splitlines()[0][:200] if text.strip() else "(an empty answer)"
        raise FetchError(
            f"Nomis answered {shown} with something that is not its data CSV (no OBS_VALUE and "
            f"RECORD_COUNT columns); it began: {first!r}. The dataset or a dimension code is "
            "probably wrong: open the query in Nomis' query builder to check it."
        )
    data = [row for row in rows[1:] if row]
    count_column = header.index("RECORD_COUNT")
    counts = {row[count_column] for row in data if len(row) > count_column}
    total = int(next(iter(counts))) if counts and all(c.isdigit() for c in counts) else 0
    if len(counts) > 1:
        raise FetchError(f"Nomis answered {shown} with rows of different RECORD_COUNT values.")
    return header, data, total


def fetch_nomis(
    query: NomisQuery,
    *,
    project_dir: Path,
    name: str,
    transport: Transport | None = None,
    page_size: int = NOMIS_ROW_LIMIT,
    uid: str | None = None,
    **retry: float,
) -> Path:
    """Download every page of a Nomis query into ``project_dir/name`` (CSV).

    Parameters
    ----------
    query
        The query.
    project_dir
        ``data/raw/<project>``.
    name
        The output file name, e.g. ``bres_lad_sections_2022.csv``.
    transport
        How to GET (the network by default).
    page_size
        Rows per call (25,000 without a Nomis account).
    uid
        A Nomis account's uid; default: the ``NOMIS_API_KEY`` environment variable.

    Returns
    -------
    Path
        The CSV: one header and every page's rows, as one Nomis download would hold them.

    Raises
    ------
    FetchError
        For an HTTP error, an answer that is not Nomis' CSV, or pages whose row counts do not
        add up; :class:`~clustergeo.fetch.http.OfflineError` when Nomis cannot be reached.
    """
    transport = transport or RequestsTransport()
    uid = uid if uid is not None else os.environ.get(UID_ENV) or None
    store = DownloadStore(Path(project_dir))
    digest = query_digest([query.dataset, *query.parameters, page_size])
    cached = store.cached(name, digest)
    if cached is not None:
        log.info("%s is already downloaded (provenance matches); not fetched again", cached)
        return cached
    folder = store.pages_dir(name, digest)
    header: list[str] | None = None
    rows: list[list[str]] = []
    urls: list[str] = []
    total = None
    index = 0
    while total is None or index * page_size < total:
        offset = index * page_size
        shown = query.shown_url(offset=offset, limit=page_size, uid=uid)
        urls.append(shown)
        page = store.page_path(folder, index, ".csv")
        if page.exists():
            body = page.read_bytes()
            log.info("Nomis page %d: kept from an earlier run", index + 1)
        else:
            body = get_with_retries(
                transport,
                query.url(offset=offset, limit=page_size, uid=uid),
                service="Nomis",
                shown_url=shown,
                **retry,  # type: ignore[arg-type]
            )
        page_header, page_rows, page_total = _parse_page(body, shown)
        expected = min(page_size, page_total - offset) if page_total else 0
        if page_total and len(page_rows) != expected:
            raise FetchError(
                f"Nomis answered {shown} with {len(page_rows)} rows where {expected} were due "
                f"(RECORD_COUNT {page_total:,}): the answer was cut short. Run the command "
                "again; finished pages are kept."
            )
        if header is not None and page_header != header:
            raise FetchError(f"Nomis answered {shown} with other columns than the first page.")
        if not page.exists():
            store.save_page(page, body)
        header, total = page_header, page_total
        rows.extend(page_rows)
        log.info(
            "Nomis page %d of %d: %d rows",
            index + 1,
            max(math.ceil(total / page_size), 1),
            len(page_rows),
        )
        index += 1
        if total == 0:
            break
    target = store.root / name
    from clustergeo.io import atomic_path

    with atomic_path(target) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header or [])
        writer.writerows(rows)
    return store.finish(name, digest=digest, source="Nomis API", urls=urls, rows=len(rows))
