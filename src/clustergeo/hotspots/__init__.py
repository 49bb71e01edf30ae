"""Stage 3, hotspots: spatial weights, Getis-Ord Gi*/Gi and Local Moran's I with inference."""

from clustergeo.hotspots.engine import HotspotResult, classify_gi_star, local_hotspots
from clustergeo.hotspots.multiple_testing import adjust_p_values
from clustergeo.hotspots.weights import SpatialWeights, build_weights

__all__ = [
    "HotspotResult",
    "SpatialWeights",
    "adjust_p_values",
    "build_weights",
    "classify_gi_star",
    "local_hotspots",
]
