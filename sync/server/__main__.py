"""``python -m sync.server``: the kiosk-server command without the console script."""

import sys

from sync.server.cli import main

sys.exit(main())
