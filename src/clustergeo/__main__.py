"""Allow ``python -m clustergeo``."""

from clustergeo.cli import main

main()
