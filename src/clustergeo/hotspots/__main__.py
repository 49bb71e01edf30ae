"""``python -m clustergeo.hotspots``: compile the hot-spot kernels once, or load them."""

import sys

from clustergeo.hotspots.warmup import main

sys.exit(main())
