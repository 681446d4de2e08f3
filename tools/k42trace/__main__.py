"""python3 -m k42trace (run from tools/, or with tools/ on PYTHONPATH)."""
import sys

from .cli import main

sys.exit(main())
