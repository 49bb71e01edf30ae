"""London: how its areas are known, and the authority that governs the whole of it.

London's 32 boroughs and the City are governed together by the Greater London Authority
(Greater London Authority Act 1999), the strategic authority that the English Devolution White
Paper (2024) sets beside the mayoral combined authorities. It is not a combined authority in
law, so ONS's combined-authority boundaries (CAUTH) leave it out; without it every finding
spanning boroughs would read as having no authority to lead its support.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["GREATER_LONDON_AUTHORITY", "LONDON_REGION", "in_london"]

#: The ONS code of the London region (E12 regions, as in ONS's and the Census's files).
LONDON_REGION: Final = "E12000007"
#: The Greater London Authority's ONS code (E61, "Greater London Authority") and name.
GREATER_LONDON_AUTHORITY: Final = ("E61000001", "Greater London Authority")


def in_london(areas: pd.DataFrame) -> np.ndarray:
    """Which rows of ``areas`` lie in London: region E12000007, or a region named London.

    ``areas`` carries ``region_code`` or ``region_name`` (either may be absent: then no row
    is in London).
    """
    london = np.zeros(len(areas), dtype=bool)
    if "region_code" in areas:
        london |= (areas["region_code"].astype("string") == LONDON_REGION).fillna(False).to_numpy()
    if "region_name" in areas:
        name = areas["region_name"].astype("string").str.strip().str.casefold()
        london |= (name == "london").fillna(False).to_numpy()
    return london
