"""`python -m tracker.cli`: the same entry point as the `tracker` script."""

from tracker.cli.main import main

main()
