"""``python -m tokenledger.cli``: the same as the ``tokenledger`` command."""

import sys

from tokenledger.cli.main import main

sys.exit(main())
