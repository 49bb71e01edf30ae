"""The CSV tables a run writes read back to the values it computed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from clustergeo.io import write_csv


def _hot_spot_like() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    p = rng.random(200)
    p[::7] = np.nan
    return pd.DataFrame(
        {
            "area_code": pd.Categorical([f"E0200{i:04d}" for i in range(200)]),
            "label": ["A Agriculture, forestry and fishing", 'The "quoted" one'] * 100,
            "value": np.r_[0.0, -0.0, 1e-05, 1e16, np.inf, 1 / 3, rng.normal(size=194)],
            "p": p,
            "count": np.arange(200, dtype=np.int64),
            "colocated": np.arange(200) % 3 == 0,
        }
    )


def test_every_value_reads_back_exactly(tmp_path: Path) -> None:
    frame = _hot_spot_like()
    back = pd.read_csv(write_csv(frame, tmp_path / "t.csv"))
    assert list(back.columns) == list(frame.columns)
    for column in ("value", "p"):
        # Shortest round-trip digits: the same doubles, NaN as an empty field.
        np.testing.assert_array_equal(back[column].to_numpy(), frame[column].to_numpy())
    assert back["area_code"].tolist() == frame["area_code"].astype(str).tolist()
    # Delimiters and quotes inside text are quoted and escaped.
    assert back["label"].tolist() == frame["label"].tolist()
    assert back["count"].tolist() == frame["count"].tolist()
    assert back["colocated"].tolist() == frame["colocated"].tolist()


def test_a_column_arrow_cannot_type_is_written_by_pandas(tmp_path: Path) -> None:
    frame = pd.DataFrame({"mixed": [1, "two", 3.5], "nested": [[1], [2, 3], []]})
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8").splitlines() == [
        "mixed,nested",
        "1,[1]",
        'two,"[2, 3]"',
        "3.5,[]",
    ]
    assert not [p for p in tmp_path.iterdir() if p.name != "t.csv"]  # no temporary left


def test_duplicate_column_names_are_written_as_they_are(tmp_path: Path) -> None:
    frame = pd.DataFrame([[1.5, 2.5]], columns=["x", "x"])
    path = write_csv(frame, tmp_path / "t.csv")
    assert path.read_text(encoding="utf-8").splitlines() == ["x,x", "1.5,2.5"]


def test_a_single_column_keeps_its_missing_values(tmp_path: Path) -> None:
    # Arrow would write the missing value as a blank line, which readers skip.
    frame = pd.DataFrame({"p": [1.5, np.nan, 0.25]})
    back = pd.read_csv(write_csv(frame, tmp_path / "t.csv"))
    np.testing.assert_array_equal(back["p"].to_numpy(), frame["p"].to_numpy())


def test_dates_durations_and_two_header_rows_are_written_as_pandas_writes_them(
    tmp_path: Path,
) -> None:
    frame = pd.DataFrame(
        {
            "year": [2020, 2021],
            "day": pd.to_datetime(["2020-01-01", "2021-06-30"]),
            "at": pd.to_datetime(["2020-01-01 12:00", "2021-06-30 00:30"]).tz_localize("UTC"),
            "took": pd.to_timedelta([1, 2], unit="D"),
            "period": pd.period_range("2020", periods=2, freq="Y"),
        }
    )
    lines = write_csv(frame, tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "year,day,at,took,period",
        "2020,2020-01-01,2020-01-01 12:00:00+00:00,1 days,2020",
        "2021,2021-06-30,2021-06-30 00:30:00+00:00,2 days,2021",
    ]
    wide = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")]))
    lines = write_csv(wide, tmp_path / "w.csv").read_text(encoding="utf-8").splitlines()
    assert lines == ["a,a", "x,y", "1,2"]
