# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The verdict on each guess (guesses.py) and its evidence, as the probe reaches them.

Every guess starts as not tested, with the reason it would stay so (it needs --motion, or the
probe ended before it); a probe step replaces that with what it saw. So the report always
names every guess, and a guess the probe could not reach says why.
"""
from collections import namedtuple

from .guesses import GUESSES

CONFIRMED = 'confirmed'
CONTRADICTED = 'contradicted'
NOT_TESTED = 'not tested'

Finding = namedtuple('Finding', 'guess verdict evidence')

NEEDS_MOTION = 'needs --motion'
NOT_REACHED = 'the probe did not get this far'


class Findings:
    """The findings for one command set's guesses, in the table's order."""

    def __init__(self, protocol, motion):
        self._findings = {}
        for guess in GUESSES[protocol]:
            reason = NEEDS_MOTION if guess.motion and not motion else NOT_REACHED
            self._findings[guess.id] = Finding(guess, NOT_TESTED, reason)

    def judge(self, guess_id, holds, evidence):
        """holds: True (confirmed), False (contradicted) or None (could not be told)."""
        verdict = NOT_TESTED if holds is None else CONFIRMED if holds else CONTRADICTED
        self._findings[guess_id] = self._findings[guess_id]._replace(verdict=verdict, evidence=evidence)

    def untested(self, guess_id, evidence):
        self.judge(guess_id, None, evidence)

    def unreached(self, reason):
        """Says why the guesses the probe never reached stay untested (its motion was abandoned)."""
        for guess_id, finding in self._findings.items():
            if finding.evidence == NOT_REACHED:
                self.untested(guess_id, reason)

    def __iter__(self):
        return iter(self._findings.values())
