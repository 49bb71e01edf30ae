"""Stage 5, governance: overlay clusters and anchor sites on every authority tier."""

from clustergeo.governance.overlay import authority_links, governance_flags
from clustergeo.governance.sites import AnchorSite, read_sites, site_footprints
from clustergeo.governance.summaries import authority_summaries

__all__ = [
    "AnchorSite",
    "authority_links",
    "authority_summaries",
    "governance_flags",
    "read_sites",
    "site_footprints",
]
