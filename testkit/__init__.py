# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the tests (tests/), the benchmarks (bench/run) and the soak (bench/soak) share: one way
to wait on a condition, to claim a daemon address, to launch the real c863_focusd, and to play a
controller on the far end of a pseudo-terminal.

Why a top-level package: tests/ is not importable from bench/ without also importing its
conftest (pytest fixtures), and the product package rockit.focuser.c863 must not carry test
code into the RPM. A folder beside both is importable by each once the checkout's root is on
sys.path (tests/conftest.py and bench/harness.py put it there), and neither setup.py (which
packages rockit.focuser.c863 only) nor the spec (which lists its sources) ever installs it.
Nothing here imports pytest: bench runs without it.
"""
