"""`python -m bot` is `watchbot`."""

import sys

from bot.cli import main

sys.exit(main())
