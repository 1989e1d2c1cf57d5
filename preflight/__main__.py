"""python -m preflight --stack NAME [--json PATH] [--markdown PATH] [--policy-config PATH] [--debug]
python -m preflight plan --usable-tib X --throughput-gbps Y [--region R] [--azs N]

Exit status: 0 without mandatory violations, 1 with, 2 for invalid configuration or a program error.
"""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
