# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What both controllers share: the bookkeeping between polls, stops from another thread,
and the time a move takes."""
import math
import threading

from ..errors import LinkLost


class PolledAxis:
    """What both controllers keep between polls, and the rules they share for it.

    The target is the last one commanded, or where the axis comes to rest after a stop, a
    reference run or a reconnect. A stop may come from another thread at any moment, so each
    is counted: a move that a stop overtook does not claim its target.

    The stop bookkeeping (_stops_sent, _target_unknown, _last) is shared by the poll thread
    and a stopping thread and changes only under _bookkeeping. Invariant: a poll that a stop
    overlapped (the count changed while it read) neither becomes the base of the next poll
    nor settles the target, so the poll after a stop always reads the axis afresh.
    """

    def __init__(self, url):
        self._url = url
        self._port = None
        self._last = None
        self._target = None          # last commanded target, in steps
        self._target_unknown = True  # after a stop, reference run or reconnect: where it rests
        self._stops_sent = 0
        self._bookkeeping = threading.Lock()

    def close(self):
        if self._port is not None:
            self._port.close()
            self._port = None

    def _await_rest(self):
        """After a command whose end is not a known position (a stop, a reference run): the next
        poll reads everything, and where the axis comes to rest becomes the target."""
        with self._bookkeeping:
            self._target_unknown = True
            self._last = None

    def _keep(self, snapshot, stops):
        """Returns the poll's snapshot, kept as the next poll's base unless a stop was sent
        since the poll began (stops is the count then)."""
        with self._bookkeeping:
            if self._stops_sent == stops:
                self._last = snapshot
        return snapshot

    def _forget_target(self):
        """After a reconnect nothing is known until the first poll."""
        self._last, self._target, self._target_unknown = None, None, True

    @staticmethod
    def _position_wanted(fresh, track_position, busy, changed, at_rest):
        """Read the position while moving and whenever the status changed, unless track_position
        is False: near the predicted end of a move the daemon wants the end noticed, not the last
        few counts, so then only the status is read until the axis is at rest on target."""
        return fresh or (track_position and (busy or changed)) or (changed and at_rest)

    def _current_target(self, position, at_rest, read_target, stops):
        """The target for a poll that began at stop count `stops` (read_target() asks the
        controller when nothing else says)."""
        with self._bookkeeping:
            if self._target_unknown and at_rest and self._stops_sent == stops:
                # After a stop, a reference run or a reconnect the axis is where it stopped: that
                # is the target from now on (the controller's own may hold a fraction of a count).
                self._target, self._target_unknown = position, False
            target = self._target
        if target is None:
            target = read_target()
            with self._bookkeeping:
                self._target = target if self._target is None else self._target
        return target

    def _move(self, steps, start):
        """Starts a move with start() and takes steps as the target, unless a stop sent
        meanwhile (from another thread) leaves the axis wherever it comes to rest."""
        stops = self._stops_sent
        start()
        with self._bookkeeping:
            self._target, self._target_unknown = steps, self._stops_sent != stops
            self._last = None

    def _stop(self, send_stop):
        """Counts the stop, sends it with send_stop(port) from the calling thread, and leaves the
        target to the next poll that sees the axis at rest."""
        port = self._port
        if port is None:
            raise LinkLost(self._url, 'closed')
        with self._bookkeeping:
            self._stops_sent += 1
        self._await_rest()
        send_stop(port)


def trapezoid_time(distance, velocity, acceleration, deceleration):
    """Seconds to travel distance from rest to rest: accelerate, cruise, decelerate (or a
    triangle for short moves). 0 when anything is unknown or zero."""
    v, a, d = velocity, acceleration, deceleration
    if not distance or not (v and a and d):
        return 0.0
    ramps = v * v / (2 * a) + v * v / (2 * d)
    if distance >= ramps:
        return distance / v + v / (2 * a) + v / (2 * d)
    peak = math.sqrt(2 * distance * a * d / (a + d))
    return peak / a + peak / d
