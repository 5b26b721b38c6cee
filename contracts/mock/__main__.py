"""``python -m contracts.mock [--host H] [--port P] [--api-key K] [--job-seconds S] [--profile FILE]
[--fault NAME ...] [--list-faults]``."""

import sys

from contracts.mock.cli import main

sys.exit(main())
