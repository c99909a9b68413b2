"""`python -m daemon.cli`: the `tapeop` command (installed service units run it this way)."""

import sys

from daemon.cli import main

sys.exit(main())
