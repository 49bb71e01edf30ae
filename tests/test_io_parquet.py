"""Parquet tables: what a run writes reads back exactly, dictionary-encoded where it pays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from clustergeo.io import write_parquet


def _hot_spot_like() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    p_sim = rng.integers(1, 101, 5_000) / 100
    p_sim[::11] = np.nan
    return pd.DataFrame(
        {
            "area_code": pd.Categorical([f"E0100{i % 500:04d}" for i in range(5_000)]),
            "label": ["Manufacturing", "Logistics"] * 2_500,
            "gi_star_z": rng.normal(size=5_000),
            "gi_star_p_sim": p_sim,
            "count": np.arange(5_000, dtype=np.int64) % 7,
        }
    )


def _dictionary_encoded(path: Path) -> dict[str, bool]:
    metadata = pq.ParquetFile(path).metadata
    return {
        metadata.schema.column(i).name: any(
            "DICTIONARY" in encoding for encoding in metadata.row_group(0).column(i).encodings
        )
        for i in range(metadata.num_columns)
    }


def test_floats_not_named_are_written_without_a_dictionary(tmp_path: Path) -> None:
    frame = _hot_spot_like()
    path = write_parquet(frame, tmp_path / "t.parquet", dictionary_floats=["gi_star_p_sim"])
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    assert _dictionary_encoded(path) == {
        "area_code": True,
        "label": True,
        "gi_star_z": False,
        "gi_star_p_sim": True,
        "count": True,
    }


def test_by_default_every_column_may_take_a_dictionary(tmp_path: Path) -> None:
    frame = _hot_spot_like()
    path = write_parquet(frame, tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    assert all(_dictionary_encoded(path).values())
