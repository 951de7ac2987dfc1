#!/usr/bin/env python
"""Django's command-line utility for Amargah; the same as ``amargah manage``."""

import sys

from amargah.cli import app

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "manage", *sys.argv[1:]]
    app()
