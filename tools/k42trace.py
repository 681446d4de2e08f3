#!/usr/bin/env python3
"""Decode k42 trace dumps: text listing, summary, Perfetto JSON, PNG plots.
Same as `python3 -m k42trace` run from tools/. See docs/tracing.md."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from k42trace.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
