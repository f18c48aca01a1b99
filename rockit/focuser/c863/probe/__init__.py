# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""c863_focusd --probe: first contact with a real controller (doc/probe.md).

The daemon rests on statements about the C-863 that no one here has seen a unit confirm
(doc/mercury-native.md, doc/gcs-c863.md). The probe asks the controller, with the daemon's own
port classes, recording every byte: guesses.py lists the statements, native*.py and gcs*.py
ask, report.py says for each whether the controller confirmed it, contradicted it, or was not
asked, with the raw bytes as evidence.
"""
from .main import run_probe

__all__ = ['run_probe']
