"""`python -m headrace.entrypoint`: run one node of a serialized pipeline IR (a container step)."""

import sys

from headrace.entrypoint.main import main

sys.exit(main())
