# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Waiting on a condition with a deadline: the one way the tests and bench synchronise.

A sleep is never a synchronisation; a poll of the very thing the test is about, with a
deadline that fails the test (or the measurement) loudly, is.
"""
import time


class WaitTimeout(AssertionError):
    """The condition did not come true in time (an AssertionError, so pytest shows a failure)."""


def wait_until(predicate, timeout=10.0, message='condition not met', interval=0.01):
    """Polls predicate() until it returns a true value (which is returned); WaitTimeout after
    timeout seconds. predicate is called once more after the deadline, so a slow machine that
    overshoots it still sees the last state."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise WaitTimeout(f'{message} (waited {timeout} s)')
        time.sleep(interval)
