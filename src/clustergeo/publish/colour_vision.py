"""How colours look to readers with colour-vision deficiency, and how far apart two colours are.

Two tools the industry palette (:mod:`clustergeo.publish.palette`) is checked with:

* :func:`simulate` — the colour a reader with protanopia, deuteranopia or tritanopia sees, by the
  physiologically based model of Machado, Oliveira and Fernandes (2009) at severity 1 (complete
  dichromacy), applied in linear sRGB;
* :func:`ciede2000` — the CIEDE2000 colour difference between two colours, in CIELAB under
  D65, the industry's measure of how different two colours look (about 1 is just noticeable
  side by side; categorical colours on a map need several times that).

Both work on sRGB hex strings (``"#332288"``) or arrays of sRGB values in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
from matplotlib.colors import to_rgb

__all__ = [
    "DEFICIENCIES",
    "MACHADO_2009",
    "Vision",
    "ciede2000",
    "hex_to_lab",
    "simulate",
    "srgb_to_lab",
]

Vision = Literal["normal", "protanopia", "deuteranopia", "tritanopia"]

#: The three complete dichromacies a palette is checked under.
DEFICIENCIES: Final[tuple[Vision, ...]] = ("protanopia", "deuteranopia", "tritanopia")

#: Machado et al. (2009), Table 1, severity 1.0: linear-sRGB matrices of each dichromacy.
MACHADO_2009: Final[Mapping[str, tuple[tuple[float, float, float], ...]]] = MappingProxyType(
    {
        "protanopia": (
            (0.152286, 1.052583, -0.204868),
            (0.114503, 0.786281, 0.099216),
            (-0.003882, -0.048116, 1.051998),
        ),
        "deuteranopia": (
            (0.367322, 0.860646, -0.227968),
            (0.280085, 0.672501, 0.047413),
            (-0.011820, 0.042940, 0.968881),
        ),
        "tritanopia": (
            (1.255528, -0.076749, -0.178779),
            (-0.078411, 0.930809, 0.147602),
            (0.004733, 0.691367, 0.303900),
        ),
    }
)

# sRGB (IEC 61966-2-1) to CIE XYZ, D65, and the D65 white point.
_SRGB_TO_XYZ: Final = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65: Final = np.array([0.95047, 1.0, 1.08883])

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _rgb(colour: str | FloatArray) -> FloatArray:
    if isinstance(colour, str):
        return np.asarray(to_rgb(colour), dtype="float64")
    return np.asarray(colour, dtype="float64")


def _to_linear(rgb: FloatArray) -> FloatArray:
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _to_gamma(linear: FloatArray) -> FloatArray:
    linear = np.clip(linear, 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


def simulate(colour: str | FloatArray, vision: Vision) -> FloatArray:
    r"""The sRGB colour (values in [0, 1]) a reader with ``vision`` sees for ``colour``.

    Parameters
    ----------
    colour
        A matplotlib colour (``"#332288"``) or sRGB values in [0, 1].
    vision
        ``normal`` (returned unchanged), ``protanopia``, ``deuteranopia`` or ``tritanopia``.

    Returns
    -------
    numpy.ndarray
        Three sRGB values in [0, 1].

    Notes
    -----
    The colour is linearised (sRGB transfer function), multiplied by the dichromacy's matrix
    :math:`\\Phi` of Machado, Oliveira & Fernandes (2009) at severity 1, clipped to the gamut and
    gamma-encoded again: :math:`c' = \\gamma(\\mathrm{clip}(\\Phi\\,\\gamma^{-1}(c)))`.

    References
    ----------
    G. M. Machado, M. M. Oliveira and L. A. F. Fernandes, "A physiologically-based model for
    simulation of color vision deficiency", IEEE Transactions on Visualization and Computer
    Graphics 15(6), 1291-1298, 2009.
    """
    rgb = _rgb(colour)
    if vision == "normal":
        return rgb
    matrix = np.asarray(MACHADO_2009[vision])
    return _to_gamma(matrix @ _to_linear(rgb))


def srgb_to_lab(rgb: FloatArray) -> FloatArray:
    """CIELAB (L*, a*, b*) of sRGB values in [0, 1], under D65 (CIE 15:2004)."""
    xyz = _SRGB_TO_XYZ @ _to_linear(np.asarray(rgb, dtype="float64")) / _D65
    epsilon, kappa = 216 / 24389, 24389 / 27
    f = np.where(xyz > epsilon, np.cbrt(xyz), (kappa * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def hex_to_lab(colour: str, vision: Vision = "normal") -> FloatArray:
    """CIELAB of ``colour`` as a reader with ``vision`` sees it."""
    return srgb_to_lab(simulate(colour, vision))


def ciede2000(lab1: FloatArray, lab2: FloatArray) -> float:
    r"""The CIEDE2000 colour difference between two CIELAB colours (kL = kC = kH = 1).

    Notes
    -----
    The formula of CIE 142-2001 as written out, with its edge cases (hue of a neutral colour,
    mean hue across 0°), by Sharma, Wu & Dalal (2005); their test pairs are reproduced in the
    tests. With :math:`a' = (1 + G)a`, :math:`G = \\tfrac12(1 - \\sqrt{\\bar C^7 / (\\bar C^7 +
    25^7)})`,

    .. math::
        \\Delta E_{00} = \\sqrt{\\Big(\\frac{\\Delta L'}{S_L}\\Big)^2 +
        \\Big(\\frac{\\Delta C'}{S_C}\\Big)^2 + \\Big(\\frac{\\Delta H'}{S_H}\\Big)^2 +
        R_T \\frac{\\Delta C'}{S_C} \\frac{\\Delta H'}{S_H}}

    References
    ----------
    G. Sharma, W. Wu and E. N. Dalal, "The CIEDE2000 color-difference formula: implementation
    notes, supplementary test data, and mathematical observations", Color Research &
    Application 30(1), 21-30, 2005.
    """
    l1, a1, b1 = (float(v) for v in lab1)
    l2, a2, b2 = (float(v) for v in lab2)
    c_mean = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(c_mean**7 / (c_mean**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p = math.degrees(math.atan2(b1, a1p)) % 360 if c1p else 0.0
    h2p = math.degrees(math.atan2(b2, a2p)) % 360 if c2p else 0.0
    delta_l = l2 - l1
    delta_c = c2p - c1p
    if c1p * c2p == 0:
        delta_h_angle = 0.0
    else:
        delta_h_angle = h2p - h1p
        if delta_h_angle > 180:
            delta_h_angle -= 360
        elif delta_h_angle < -180:
            delta_h_angle += 360
    delta_h = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(delta_h_angle / 2))
    l_mean = (l1 + l2) / 2
    cp_mean = (c1p + c2p) / 2
    if c1p * c2p == 0:
        h_mean = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        h_mean = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        h_mean = (h1p + h2p + 360) / 2
    else:
        h_mean = (h1p + h2p - 360) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(h_mean - 30))
        + 0.24 * math.cos(math.radians(2 * h_mean))
        + 0.32 * math.cos(math.radians(3 * h_mean + 6))
        - 0.20 * math.cos(math.radians(4 * h_mean - 63))
    )
    rotation = 30 * math.exp(-(((h_mean - 275) / 25) ** 2))
    r_c = 2 * math.sqrt(cp_mean**7 / (cp_mean**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c = 1 + 0.045 * cp_mean
    s_h = 1 + 0.015 * cp_mean * t
    r_t = -math.sin(math.radians(2 * rotation)) * r_c
    return math.sqrt(
        (delta_l / s_l) ** 2
        + (delta_c / s_c) ** 2
        + (delta_h / s_h) ** 2
        + r_t * (delta_c / s_c) * (delta_h / s_h)
    )
