# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The motion maths of the simulated axis: a motion as a closed-form function of time.

A Profile is made of pieces of constant acceleration, so the axis (axis.py) can be asked where
the carriage is at any time without a physics thread; plan() and braking() build the profiles a
servo with trapezoidal motion follows.
"""
import math

# Positions closer than this (mm) are the same place; it absorbs floating-point round-off.
EPSILON = 1e-9


def _sign(value):
    return (value > 0) - (value < 0)


class Profile:
    """A motion made of pieces of constant acceleration, as a function of time.

    The carriage starts at (start, position, velocity), follows pieces of (duration,
    acceleration), and rests at end_position from `end` on. end_position is the planned goal
    rather than the integrated sum, so that round-off never leaves the axis a nanometre short.
    """

    def __init__(self, start, position, velocity, pieces, goal=None):
        self.start = start
        self.start_position = position
        self.start_velocity = velocity
        self._knots = []  # (time, position, velocity, acceleration, duration) at each piece start
        t, x, v = start, position, velocity
        for duration, acceleration in pieces:
            if duration <= 0:
                continue
            self._knots.append((t, x, v, acceleration, duration))
            t += duration
            x += v * duration + acceleration * duration * duration / 2
            v += acceleration * duration
        self.end = t
        self.end_position = x if goal is None else goal

    @classmethod
    def rest(cls, time, position):
        """The carriage standing still at position from time on."""
        return cls(time, position, 0.0, ())

    def state(self, t):
        """(position, velocity) at time t."""
        for start, x, v, a, duration in self._knots:
            if t < start + duration:
                tau = max(t - start, 0.0)
                return x + v * tau + a * tau * tau / 2, v + a * tau
        return self.end_position, 0.0

    def extremes(self):
        """The lowest and highest positions the carriage passes through.

        Velocity only changes sign at a piece boundary (a braking piece ends at rest), so the
        extremes are among the piece boundaries.
        """
        positions = [knot[1] for knot in self._knots] + [self.end_position]
        return min(positions), max(positions)

    def first_time_at(self, position):
        """The first time the carriage is at position, or None if it never gets there."""
        for start, x, v, a, duration in self._knots:
            tau = _first_root(a / 2, v, x - position, duration)
            if tau is not None:
                return start + tau
        if abs(self.end_position - position) <= EPSILON:
            return self.end
        return None

    def cut_at(self, t):
        """This motion until t, then a dead stop where the carriage is at t."""
        pieces = []
        for start, _, _, a, duration in self._knots:
            if start < t:
                pieces.append((min(duration, t - start), a))
        return Profile(self.start, self.start_position, self.start_velocity, pieces,
                       goal=self.state(t)[0])


def _first_root(a, b, c, limit):
    """The smallest tau in [0, limit] with a*tau**2 + b*tau + c = 0, or None."""
    if abs(a) < 1e-15:
        if b == 0:
            return 0.0 if abs(c) <= EPSILON else None
        roots = [-c / b]
    else:
        discriminant = b * b - 4 * a * c
        if discriminant < 0:
            return None
        root = math.sqrt(discriminant)
        roots = [(-b - root) / (2 * a), (-b + root) / (2 * a)]
    inside = [tau for tau in roots if -1e-12 <= tau <= limit + 1e-12]
    return max(0.0, min(inside)) if inside else None


def plan(start, position, velocity, goal, speed, acceleration, deceleration):
    """The quickest motion from (position, velocity) to rest at goal.

    A trapezoid (accelerate, cruise at speed, decelerate) or, for short moves, a triangle. If the
    carriage is moving away from the goal or too fast to stop before it (a new target given
    during a move), it first brakes to rest and then comes back.
    """
    pieces = []
    x, v = position, velocity
    if v and (_sign(v) != _sign(goal - x) or v * v / (2 * deceleration) > abs(goal - x)):
        braking_time = abs(v) / deceleration
        pieces.append((braking_time, -_sign(v) * deceleration))
        x += v * braking_time / 2
        v = 0.0
    direction = _sign(goal - x)
    distance = abs(goal - x)
    u = abs(v)
    if direction:
        if u > speed:  # slower speed asked during a move: slow down to it first
            pieces.append(((u - speed) / deceleration, -direction * deceleration))
            distance -= (u * u - speed * speed) / (2 * deceleration)
            u = speed
        peak = math.sqrt((distance + u * u / (2 * acceleration))
                         / (1 / (2 * acceleration) + 1 / (2 * deceleration)))
        if peak > speed:
            cruise = (distance - (speed * speed - u * u) / (2 * acceleration)
                      - speed * speed / (2 * deceleration))
            pieces += [((speed - u) / acceleration, direction * acceleration),
                       (cruise / speed, 0.0),
                       (speed / deceleration, -direction * deceleration)]
        else:
            pieces += [((peak - u) / acceleration, direction * acceleration),
                       (peak / deceleration, -direction * deceleration)]
    return Profile(start, position, velocity, pieces, goal)


def braking(start, position, velocity, deceleration):
    """Decelerating to rest from (position, velocity): what a halt does."""
    duration = abs(velocity) / deceleration
    return Profile(start, position, velocity, [(duration, -_sign(velocity) * deceleration)],
                   goal=position + velocity * duration / 2)
