# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The approach plan: the legs of a move, so that every move ends travelling the same way.

A focuser's gearhead, lead screw and drawtube have backlash: one step count reached from below
and from above gives two focus positions. With `approach_steps` set, a move whose last leg would
travel against the sign of approach_steps first goes past the target, to
target - approach_steps (the overshoot point), and then back to the target, so that the last
leg always travels in the direction of that sign and takes up the backlash the same way. A move
that already travels that way needs one leg.

This is a pure function of numbers, so it is tested without a daemon; the daemon runs the legs.
"""
from dataclasses import dataclass

# The names report_status() gives the legs of a two-leg move, in order.
LEG_NAMES = ('overshoot', 'final')


@dataclass(frozen=True)
class ApproachPlan:
    """targets: the legs' targets, the move's own target last (one or two of them).
    shortened: the overshoot point was pulled in to the limit (to nothing if targets has one)."""
    targets: tuple[int, ...]
    shortened: bool = False


def _sign(value):
    return (value > 0) - (value < 0)


def plan_approach(target, current, approach_steps, limits):
    """The legs of a move from current to target (steps) within limits (low, high).

    approach_steps 0 turns the approach off; a move to where the axis already is has no
    direction and stays one leg. The overshoot point is kept inside the limits: clamped to the
    limit it would cross, and when the target lies on that limit, nothing is left of it.
    """
    direction = _sign(target - current)
    if approach_steps == 0 or direction in (0, _sign(approach_steps)):
        return ApproachPlan((target,))
    low, high = limits
    overshoot = target - approach_steps
    clamped = min(max(overshoot, low), high)
    if clamped == target:
        return ApproachPlan((target,), shortened=True)
    return ApproachPlan((clamped, target), shortened=clamped != overshoot)
