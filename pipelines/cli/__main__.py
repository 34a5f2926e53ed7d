"""`python -m pipelines.cli`: the `aiwf` command."""

import sys

from pipelines.cli import main

sys.exit(main())
