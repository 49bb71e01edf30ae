"""Turn the text of count and value cells into numbers, in UK or European notation.

UK exports write ``1,250.5`` (comma for thousands, point for decimals); Excel in most of
Europe writes ``1.250,5`` and separates fields with ``;``. Read with the wrong convention,
``5.400`` (five thousand four hundred) becomes 5.4 and ``100,5`` becomes 1005: silent wrong
numbers. So the convention is decided once per column, from the values themselves:

* a comma-separated file is in UK notation (a European file cannot use the comma for both),
  unless its only points are each followed by exactly three digits (``1.487`` among whole
  numbers): a thousands point typed into a UK file reads as a decimal, so that stops too;
* in a ``;``, tab or ``|`` separated file, a value that only one convention can read decides:
  ``100,5`` or ``1.234.567`` (European), ``1,234.5`` or ``5.25`` (UK). Values that both read,
  differently (``5.400``, ``1,250``), with no deciding value, stop the run: the user says which
  with ``employment.number_format``. Values both conventions read alike (``1250``) need nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from clustergeo._validate import format_examples

__all__ = ["NumberFormat", "ParsedNumbers", "decide_number_format", "parse_numbers"]

NumberFormat = Literal["auto", "uk", "european"]

# Only European notation reads these: a decimal comma not followed by exactly three digits, or
# two or more thousands points.
_EUROPEAN_ONLY = re.compile(
    r"^[-+]?\d+,(\d{1,2}|\d{4,})$|^[-+]?\d{1,3}(\.\d{3}){2,}(,\d+)?$|^[-+]?\d{1,3}(\.\d{3})+,\d+$"
)
# Only UK notation reads these: a decimal point not followed by exactly three digits, or
# thousands commas with a decimal point.
_UK_ONLY = re.compile(
    r"^[-+]?\d*\.(\d{1,2}|\d{4,})$|^[-+]?\d{1,3}(,\d{3}){2,}(\.\d+)?$|^[-+]?\d{1,3}(,\d{3})+\.\d+$"
)
# Both read these, differently: one separator followed by exactly three digits.
_AMBIGUOUS = re.compile(r"^[-+]?\d{1,3}[.,]\d{3}$")
# In a comma-separated file: a point that could be a thousands point (no leading zero group).
_THOUSANDS_POINT = re.compile(r"^[-+]?[1-9]\d{0,2}\.\d{3}$")


@dataclass(frozen=True)
class ParsedNumbers:
    """Numbers parsed from text cells.

    ``values`` is NaN where the text is empty or not a number (the caller decides which of
    those are suppressions and which are errors); ``convention`` is the notation used.
    """

    values: pd.Series
    convention: Literal["uk", "european"]


def decide_number_format(
    cells: pd.Series, *, delimiter: str | None, configured: NumberFormat
) -> tuple[Literal["uk", "european"], str | None]:
    """Decide the notation of a column of number cells.

    Parameters
    ----------
    cells
        The cells as text.
    delimiter
        The file's field separator (None for Parquet and workbooks, whose numbers are typed).
    configured
        ``employment.number_format``.

    Returns
    -------
    convention, problem
        The notation, and a message when the column cannot be read with certainty (then the
        caller stops with it).
    """
    if configured != "auto":
        return configured, None
    if delimiter is None:
        return "uk", None
    text = pd.Series(cells.unique()).astype(str).str.strip()
    if delimiter == ",":
        return "uk", _thousands_points_problem(text)
    return _notation_of(text)


def _notation_of(text: pd.Series) -> tuple[Literal["uk", "european"], str | None]:
    """The notation the values of a ``;``, tab or ``|`` separated column decide, if any."""
    european = text[text.str.match(_EUROPEAN_ONLY)]
    uk = text[text.str.match(_UK_ONLY)]
    ambiguous = text[text.str.match(_AMBIGUOUS)]
    if len(european) and len(uk):
        return "uk", (
            f"numbers in two notations: {format_examples(european, 3)} read only as European "
            f"(1.250,5) and {format_examples(uk, 3)} only as UK (1,250.5); fix the export, or "
            "set employment.number_format to 'uk' or 'european'"
        )
    if len(european):
        return "european", None
    if len(uk) or not len(ambiguous):
        return "uk", None
    return "uk", (
        f"numbers such as {format_examples(ambiguous, 3)} read differently in UK notation "
        "(5.400 = 5.4) and European notation (5.400 = 5400) and nothing in the file says "
        "which it uses; set employment.number_format to 'uk' or 'european'"
    )


def _thousands_points_problem(text: pd.Series) -> str | None:
    """A message when a comma-separated column's only points may be thousands points.

    ``1.487`` among whole numbers is 1.487 to a UK reader and 1,487 to one who typed a
    European thousands point. A point that only a decimal point explains (``0.5``, ``12.25``,
    ``1487.5``) or a thousands comma (``1,234``) says the column is in UK notation; without a
    whole number beside them, three decimals throughout are taken as decimals too.
    """
    dotted = text[text.str.contains(".", regex=False)]
    suspect = dotted[dotted.str.match(_THOUSANDS_POINT)]
    whole = text[text.str.fullmatch(r"[-+]?\d+")]
    uk_grouped = text.str.match(_UK_GROUPED) & text.str.contains(",", regex=False)
    if suspect.empty or len(suspect) < len(dotted) or whole.empty or uk_grouped.any():
        return None
    return (
        f"numbers such as {format_examples(suspect, 3)} among whole numbers such as "
        f"{', '.join(whole.iloc[:2])} could be decimals ({suspect.iloc[0]}) or thousands "
        f"written with a point ({suspect.iloc[0].replace('.', '')}), and nothing in the file "
        "says which; write them without the point, or set employment.number_format to 'uk' "
        "(decimals) or 'european' (thousands)"
    )


# A number with thousands separators in each notation: groups of exactly three digits.
_UK_GROUPED = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d*)?$")
_EUROPEAN_GROUPED = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d*)?$")


def parse_numbers(cells: pd.Series, convention: Literal["uk", "european"]) -> pd.Series:
    """Parse text cells in a notation; empty or non-numeric text and infinities become NaN.

    Thousands separators are allowed between groups of three digits only: in UK notation
    ``1487,5`` is not a number (a decimal comma, which removing the comma would read as
    14,875), nor is ``1.487,5,0``. Infinity is not a count, so it is treated as text.
    """
    text = cells.astype(str).str.strip()
    european = convention == "european"
    separator, grouped = (".", _EUROPEAN_GROUPED) if european else (",", _UK_GROUPED)
    misplaced = text.str.contains(separator, regex=False) & ~text.str.match(grouped)
    text = text.str.replace(separator, "", regex=False)
    if european:
        text = text.str.replace(",", ".", regex=False)
    text = text.where(~misplaced, "not a number")
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce").astype("float64")
    return numbers.where(~np.isinf(numbers))
