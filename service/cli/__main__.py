"""`python -m service.cli …`: the `grantledger` command."""

import sys

from service.cli.main import main

sys.exit(main())
