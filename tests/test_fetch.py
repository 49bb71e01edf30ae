"""Tests for ``clustergeo fetch``: Nomis and ONS downloads replayed through a stub HTTP layer.

No test touches the network. Nomis pages are built from ``fixtures/nomis_bres_api.csv``, a
Nomis API CSV with every column Nomis writes (``RECORD_OFFSET`` and ``RECORD_COUNT`` included),
re-cut into pages as Nomis serves a query of more rows than ``RecordLimit``. ONS answers are
the ArcGIS REST formats: GeoJSON feature collections whose ``properties`` carry
``exceededTransferLimit`` (``f=geojson``), Esri JSON with ``exceededTransferLimit`` at the top
level (``f=json``), and the Esri error object.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from clustergeo.cli import main
from clustergeo.fetch import command as fetch_command
from clustergeo.fetch.http import (
    ConnectionFailedError,
    FetchError,
    HttpResponse,
    OfflineError,
    get_with_retries,
)
from clustergeo.fetch.nomis import bres_query, fetch_nomis, industry_codes
from clustergeo.fetch.ons import fetch_boundaries, fetch_lookup
from clustergeo.ingest.employment import read_employment

FIXTURES = Path(__file__).parent / "fixtures"
BRES_API = FIXTURES / "nomis_bres_api.csv"


class Replay:
    """A transport answering from a function of the URL; records every URL asked for."""

    def __init__(self, answer: Callable[[str], HttpResponse]) -> None:
        self.answer = answer
        self.urls: list[str] = []

    def get(self, url: str, *, timeout: float) -> HttpResponse:
        self.urls.append(url)
        return self.answer(url)


def no_sleep(_seconds: float) -> None:
    """Retries wait for nothing in tests."""


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def nomis_pages(limit: int) -> Callable[[str], HttpResponse]:
    """Serve the 16-row fixture as Nomis does: ``limit`` rows from ``RecordOffset``."""
    rows = list(csv.reader(BRES_API.read_text(encoding="utf-8").splitlines()))
    header, data = rows[0], rows[1:]

    def answer(url: str) -> HttpResponse:
        query = query_of(url)
        offset, count = int(query["RecordOffset"]), int(query["RecordLimit"])
        assert count == limit
        page = data[offset : offset + count]
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        for index, original in enumerate(page):
            row = list(original)
            row[header.index("RECORD_OFFSET")] = str(offset + index)
            row[header.index("RECORD_COUNT")] = str(len(data))
            writer.writerow(row)
        return HttpResponse(200, buffer.getvalue().encode("utf-8"))

    return answer


def fetch(tmp_path: Path, transport: Replay, *, limit: int = 6, name: str = "bres.csv") -> Path:
    query = bres_query(geography="lsoa2011", industry="division", years=["2022"])
    return fetch_nomis(
        query,
        project_dir=tmp_path / "raw" / "demo",
        name=name,
        transport=transport,
        page_size=limit,
        uid="",
        sleep=no_sleep,  # type: ignore[arg-type]
    )


# -- Nomis -----------------------------------------------------------------------------------


def test_bres_query_url_is_the_nomis_form() -> None:
    query = bres_query(geography="lad", industry="section", years=["2021", "2022"])
    url = query.url(offset=25_000, limit=25_000)
    assert url.startswith("https://www.nomisweb.co.uk/api/v01/dataset/NM_189_1.data.csv?")
    assert query_of(url) == {
        "geography": "TYPE424",
        "date": "2021,2022",
        "industry": "150994945...150994965",
        "employment_status": "4",
        "measure": "1",
        "measures": "20100",
        "RecordOffset": "25000",
        "RecordLimit": "25000",
    }


def test_division_codes_follow_nomis_numbering() -> None:
    # The fixture's INDUSTRY column: 146800665 is division 25 and 146800668 is 28.
    codes = industry_codes("division").split(",")
    assert "146800665" in codes
    assert "146800668" in codes
    assert len(codes) == 88


def test_uid_is_sent_but_never_recorded(tmp_path: Path) -> None:
    transport = Replay(nomis_pages(16))
    query = bres_query(geography="lsoa2011", industry="division")
    path = fetch_nomis(
        query, project_dir=tmp_path, name="b.csv", transport=transport, page_size=16, uid="s3cret"
    )
    assert "uid=s3cret" in transport.urls[0]
    provenance = (tmp_path / "provenance.json").read_text(encoding="utf-8")
    assert "s3cret" not in provenance
    assert "uid=%24NOMIS_API_KEY" in provenance or "uid=$NOMIS_API_KEY" in provenance
    assert path.exists()


def test_paging_asks_for_every_page_and_joins_them(tmp_path: Path) -> None:
    transport = Replay(nomis_pages(6))
    path = fetch(tmp_path, transport, limit=6)
    assert [query_of(u)["RecordOffset"] for u in transport.urls] == ["0", "6", "12"]
    fetched = read_employment(path)
    direct = read_employment(BRES_API)
    pd.testing.assert_frame_equal(fetched.data, direct.data)
    provenance = json.loads((path.parent / "provenance.json").read_text(encoding="utf-8"))
    entry = provenance["files"]["bres.csv"]
    assert entry["rows"] == 16
    assert len(entry["urls"]) == 3
    assert entry["source"] == "Nomis API"
    assert not (path.parent / ".partial").exists()


def test_a_finished_download_is_not_fetched_again(tmp_path: Path) -> None:
    fetch(tmp_path, Replay(nomis_pages(6)))

    def offline(url: str) -> HttpResponse:
        raise ConnectionFailedError("no network")

    again = Replay(offline)
    path = fetch(tmp_path, again)
    assert again.urls == []
    assert path.exists()


def test_a_killed_download_resumes_from_its_pages(tmp_path: Path) -> None:
    serve = nomis_pages(6)
    calls = {"n": 0}

    def dies_on_page_three(url: str) -> HttpResponse:
        calls["n"] += 1
        if query_of(url)["RecordOffset"] == "12":
            raise KeyboardInterrupt  # the process is killed while fetching page 3
        return serve(url)

    with pytest.raises(KeyboardInterrupt):
        fetch(tmp_path, Replay(dies_on_page_three))
    project = tmp_path / "raw" / "demo"
    assert not (project / "bres.csv").exists()
    assert len(list((project / ".partial" / "bres.csv").glob("page-*.csv"))) == 2

    resumed = Replay(serve)
    path = fetch(tmp_path, resumed)
    assert [query_of(u)["RecordOffset"] for u in resumed.urls] == ["12"]
    pd.testing.assert_frame_equal(read_employment(path).data, read_employment(BRES_API).data)


@pytest.mark.parametrize(
    "reason",
    [
        "Failed to resolve 'www.nomisweb.co.uk'",
        # As requests words it: the text starts like an HTTP status, and is no answer.
        "HTTPSConnectionPool(host='www.nomisweb.co.uk', port=443): Max retries exceeded "
        "(Caused by NameResolutionError(...))",
    ],
)
def test_an_offline_machine_gets_one_clear_error(tmp_path: Path, reason: str) -> None:
    def offline(url: str) -> HttpResponse:
        raise ConnectionFailedError(reason)

    transport = Replay(offline)
    with pytest.raises(OfflineError, match="seems to be offline") as excinfo:
        fetch(tmp_path, transport)
    assert "www.nomisweb.co.uk" in str(excinfo.value)
    assert len(transport.urls) == 4  # tried, then gave up
    assert not (tmp_path / "raw" / "demo" / "bres.csv").exists()


def test_an_http_error_names_the_status_and_url(tmp_path: Path) -> None:
    def not_found(url: str) -> HttpResponse:
        return HttpResponse(404, b"Cannot find dataset NM_189_1")

    transport = Replay(not_found)
    with pytest.raises(FetchError, match="HTTP 404") as excinfo:
        fetch(tmp_path, transport)
    message = str(excinfo.value)
    assert "NM_189_1.data.csv" in message
    assert "Cannot find dataset" in message
    assert len(transport.urls) == 1  # a 404 is not retried


def test_a_busy_service_is_retried(tmp_path: Path) -> None:
    serve = nomis_pages(16)
    answers = iter([HttpResponse(503, b""), HttpResponse(429, b"")])

    def busy_then_fine(url: str) -> HttpResponse:
        return next(answers, None) or serve(url)

    transport = Replay(busy_then_fine)
    path = fetch(tmp_path, transport, limit=16)
    assert len(transport.urls) == 3
    assert len(read_employment(path).data) == 16


def test_a_malformed_answer_is_refused(tmp_path: Path) -> None:
    def html(url: str) -> HttpResponse:
        return HttpResponse(200, b"<html><body>Sorry, the query is too big</body></html>")

    with pytest.raises(FetchError, match="not its data CSV") as excinfo:
        fetch(tmp_path, Replay(html))
    assert "Sorry, the query is too big" in str(excinfo.value)


def test_a_page_cut_short_is_refused(tmp_path: Path) -> None:
    serve = nomis_pages(6)

    def short(url: str) -> HttpResponse:
        body = serve(url).body
        return HttpResponse(200, b"\r\n".join(body.split(b"\r\n")[:3]) + b"\r\n")

    with pytest.raises(FetchError, match="2 rows where 6 were due"):
        fetch(tmp_path, Replay(short))


def test_get_with_retries_waits_longer_each_time() -> None:
    waits: list[float] = []
    transport = Replay(lambda url: HttpResponse(502, b""))
    with pytest.raises(FetchError, match="kept answering HTTP 502"):
        get_with_retries(transport, "https://x/y", service="Nomis", sleep=waits.append)
    assert waits == [2.0, 4.0, 8.0]


# -- ONS Open Geography Portal ----------------------------------------------------------------


def arcgis_pages(first: str, second: str) -> Callable[[str], HttpResponse]:
    def answer(url: str) -> HttpResponse:
        offset = int(query_of(url)["resultOffset"])
        name = first if offset == 0 else second
        return HttpResponse(200, (FIXTURES / "fetch" / name).read_bytes())

    return answer


def test_boundaries_are_paged_and_written_as_a_geopackage(tmp_path: Path) -> None:
    transport = Replay(arcgis_pages("ons_msoa_page1.geojson", "ons_msoa_page2.geojson"))
    path = fetch_boundaries(
        "MSOA_2021_EW_BGC_V2", project_dir=tmp_path, page_size=2, transport=transport
    )
    first, second = (query_of(u) for u in transport.urls)
    assert (first["resultOffset"], second["resultOffset"]) == ("0", "2")
    assert first["f"] == "geojson"
    assert first["resultRecordCount"] == "2"
    assert transport.urls[0].startswith(
        "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
        "MSOA_2021_EW_BGC_V2/FeatureServer/0/query?"
    )
    frame = gpd.read_file(path, layer="MSOA_2021_EW_BGC_V2")
    assert frame.crs.to_epsg() == 27700
    assert frame["MSOA21CD"].tolist() == ["E02005377", "E02005378", "E02005379"]
    assert path.name == "MSOA_2021_EW_BGC_V2.gpkg"


def test_lookup_is_paged_by_the_top_level_flag(tmp_path: Path) -> None:
    transport = Replay(arcgis_pages("ons_lad_cauth_page1.json", "ons_lad_cauth_page2.json"))
    path = fetch_lookup(
        "LAD23_CAUTH23_EN_LU", project_dir=tmp_path, page_size=2, transport=transport
    )
    assert len(transport.urls) == 2
    assert query_of(transport.urls[0])["returnGeometry"] == "false"
    table = pd.read_csv(path, dtype=str)
    assert table["LAD23CD"].tolist() == ["E08000025", "E08000026", "E08000027"]
    assert set(table["CAUTH23CD"]) == {"E47000007"}


def test_arcgis_error_object_is_a_clear_error(tmp_path: Path) -> None:
    body = (FIXTURES / "fetch" / "arcgis_error.json").read_bytes()
    with pytest.raises(FetchError, match="refused") as excinfo:
        fetch_lookup(
            "NO_SUCH_SERVICE",
            project_dir=tmp_path,
            transport=Replay(lambda u: HttpResponse(200, body)),
        )
    assert "Invalid URL" in str(excinfo.value)
    assert "code 400" in str(excinfo.value)


def test_arcgis_answer_that_is_not_json(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match="not JSON"):
        fetch_boundaries(
            "X", project_dir=tmp_path, transport=Replay(lambda u: HttpResponse(200, b"<html>"))
        )


# -- the command -------------------------------------------------------------------------------


def test_fetch_help_documents_both_sources_and_their_urls() -> None:
    result = CliRunner().invoke(main, ["fetch", "--help"])
    assert result.exit_code == 0, result.output
    assert "Nomis API" in result.output
    assert "https://www.nomisweb.co.uk/api/v01/dataset/" in result.output
    assert "RecordOffset" in result.output
    assert "ONS portal" in result.output
    assert "FeatureServer/0/query" in result.output
    bres_help = CliRunner().invoke(main, ["fetch", "--project", "p", "bres", "--help"])
    assert "NM_189_1.data.csv?geography=TYPE424" in bres_help.output


def test_dry_run_prints_the_url_without_fetching(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "fetch",
            "--project",
            "p",
            "--data-root",
            str(tmp_path),
            "bres",
            "--geography",
            "itl2",
            "--year",
            "2021",
            "--dry-run",
        ],
    )
    assert result.exit_code == 0, result.output
    assert query_of(result.output.strip())["geography"] == "1837105153...1837105192"
    assert not any(tmp_path.iterdir())


def test_the_command_reports_offline_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(self: object, url: str, *, timeout: float) -> HttpResponse:
        raise ConnectionFailedError("Network is unreachable")

    monkeypatch.setattr("clustergeo.fetch.http.RequestsTransport.get", offline)
    monkeypatch.setattr("clustergeo.fetch.http.time.sleep", no_sleep)
    result = CliRunner().invoke(
        main,
        [
            "fetch",
            "--project",
            "p",
            "--data-root",
            str(tmp_path),
            "boundaries",
            "LAD_DEC_2023_UK_BGC",
        ],
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "error: Cannot reach the ONS Open Geography Portal" in result.output


def test_command_module_imports_only_click_and_the_standard_library() -> None:
    source = Path(fetch_command.__file__).read_text(encoding="utf-8")
    top_level = [
        line
        for line in source.splitlines()
        if line.startswith(("import ", "from ")) and not line.startswith("from __future__")
    ]
    allowed = ("click", "logging", "sys", "collections.abc", "pathlib")
    for line in top_level:
        module = line.split()[1]
        assert module.split(".")[0] in {a.split(".")[0] for a in allowed}, line


@pytest.mark.parametrize(
    ("option", "value"),
    [("--project", "../elsewhere"), ("--project", ".hidden"), ("--name", "../../escape.csv")],
)
def test_names_that_would_leave_the_data_folder_are_refused(
    tmp_path: Path, option: str, value: str
) -> None:
    project = value if option == "--project" else "p"
    name = ["--name", value] if option == "--name" else []
    result = CliRunner().invoke(
        main,
        [
            *("fetch", "--project", project, "--data-root", str(tmp_path / "raw")),
            *("boundaries", "LAD_DEC_2023_UK_BGC", *name),
        ],
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert option in result.output
    assert "plain" in result.output
    assert not any(tmp_path.rglob("*.*"))
