"""National employment totals by industry, the reference of national location quotients."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from clustergeo._validate import Problems, format_examples
from clustergeo.io import read_text

__all__ = ["read_national_totals"]

log = logging.getLogger(__name__)


def read_national_totals(path: Path, industries: pd.Index) -> pd.Series:
    """National employment by industry from a CSV ``industry_code, employment``.

    Read like the employment tables (gzip, UTF-8 or Windows-1252). Every industry of the
    data must have a non-negative number; one error lists every problem.
    """
    notes: list[str] = []
    text = read_text(path, notes)
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    table.columns = [str(c).strip() for c in table.columns]
    problems = Problems(path, "National totals file")
    missing_columns = [c for c in ("industry_code", "employment") if c not in table.columns]
    if missing_columns:
        problems.add(
            f"no column {', '.join(missing_columns)}; its columns are "
            f"{', '.join(table.columns)}. Name them industry_code and employment"
        )
        problems.raise_if_any()
    codes = table["industry_code"].str.strip()
    values = pd.to_numeric(table["employment"].str.replace(",", "").str.strip(), errors="coerce")
    bad = values.isna() | np.isinf(values)
    if bad.any():
        shown = [f"{c} ({v!r})" for c, v in zip(codes[bad], table["employment"][bad], strict=True)]
        problems.add(f"employment is not a number for {format_examples(shown)}: give counts")
    if (values < 0).any():
        problems.add(
            f"negative employment for {format_examples(codes[values < 0])}: counts cannot be "
            "negative"
        )
    missing = sorted(set(industries) - set(codes))
    if missing:
        problems.add(
            f"no row for industries {', '.join(missing)}; add them (columns industry_code, "
            "employment)"
        )
    problems.raise_if_any()
    for note in notes:
        log.info("Note: %s", note)
    return pd.Series(values.to_numpy(dtype=float), index=codes.to_numpy())
