# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Only for pip older than 21.3 (Rocky Linux 9 ships 21.2), which needs a setup.py to make an
editable install (`pip install -e .`). Everything is declared in setup.cfg; nothing runs this
script directly."""
from setuptools import setup

setup()
