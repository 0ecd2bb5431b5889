"""`python -m bgprobe.cli`: the same entry point as the `bgprobe` console script."""

from bgprobe.cli.app import main

main()
