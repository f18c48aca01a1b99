# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Native Mercury commands that move the carriage: motion, find-edge, stops.

Page numbers in brackets refer to PI's manual MS176E, summed up in doc/mercury-native.md.
"""
from .native_syntax import CommandError, character, command, required, to_counts, to_mm, within

# MA accepts -1,073,741,824 < n < 1,073,741,823 [30].
MIN_POSITION, MAX_POSITION = -1073741823, 1073741822


class NativeMotionCommands:
    """Part of NativeInterpreter (native.py): orders the axis in counts; tracks an edge search."""

    # --- motion ----------------------------------------------------------------------------------

    def _motor_on_required(self):
        if not self.axis.servo:
            raise CommandError('refused', 'motor is off')

    def _move_to(self, counts, t):
        self._motor_on_required()
        self._edge_search = None
        self._head_for(t, to_mm(within(counts, MIN_POSITION, MAX_POSITION)))
        self._deafened_by_motion(t)

    def _deafened_by_motion(self, t):
        """MA, MR, GH and FE started a motion: bytes arriving for drop_after_motion are lost."""
        self._deaf_until = t + self.drop_after_motion

    def _head_for(self, t, target):
        """A move, its direction noted for the six-byte status (a find-edge search notes its
        own)."""
        self._note_direction(t, target)
        self.axis.move_to(t, target)

    def _note_direction(self, t, target):
        """A move to where the carriage already is keeps the previous direction (?)."""
        position = self.axis.position(t)
        if target != position:
            self.positive_direction = target > position

    @command('MA')
    def _ma(self, argument, t):
        self._move_to(required(argument), t)

    @command('MR')
    def _mr(self, argument, t):
        self._move_to(to_counts(self.axis.target(t)) + required(argument), t)

    @command('GH')
    def _gh(self, argument, t):
        self._move_to(0, t)

    @command('MN')
    def _mn(self, argument, t):
        """Servo on, holding where the carriage is (a no-op when it is already on); a following
        error is forgotten."""
        self.axis.set_servo(t, True)
        self.position_error = False

    @command('MF')
    def _mf(self, argument, t):
        self.axis.set_servo(t, False)
        self._edge_search = None

    @command('DH')
    def _dh(self, argument, t):
        position = within(argument or 0, MIN_POSITION, MAX_POSITION)
        if self.axis.moving(t):
            self.axis.stop(t)
        self.axis.set_position(t, to_mm(position))
        self._edge_search = self._resume_target = None

    @command('FE')
    def _fe(self, argument, t):
        mode = within(argument or 0, 0, 3)
        self._motor_on_required()
        _, signal_high, _ = self.axis.switch_levels(t)
        toward_switch = {0: not signal_high, 1: signal_high, 2: True, 3: False}[mode]
        self._edge_search = f'FE{mode}'
        if toward_switch:
            self._find_edge(t)
        else:
            self._run_into_a_limit(t, positive=(mode == 0) or (mode == 3 and signal_high))
        self._deafened_by_motion(t)

    def _find_edge(self, t):
        """The carriage goes to the reference switch and stops at its edge; the count goes on.
        The direction noted is the switch's from where the search starts (?)."""
        offset = self.axis.position(t) - self.axis.physical_position(t)
        switch = self.axis.stage.reference_switch + offset
        self._note_direction(t, switch)
        self.axis.start_reference(t, 'FRF', switch)

    def _run_into_a_limit(self, t, positive):
        """A search heading away from the switch never sees the signal change: the carriage
        runs until a limit switch stops it."""
        stage = self.axis.stage
        offset = self.axis.position(t) - self.axis.physical_position(t)
        beyond = stage.positive_limit + 1.0 if positive else stage.negative_limit - 1.0
        self._head_for(t, beyond + offset)

    def _referencing(self, t):
        """'Reference drive active': an edge search is under way and the carriage still moves."""
        if self._edge_search is not None and not self.axis.moving(t):
            self._edge_search = None
        return self._edge_search is not None

    # --- stops -------------------------------------------------------------------------------

    @command('AB')
    def _ab(self, argument, t):
        self._abort(t, 'AB')

    @character('!')
    def _abort_character(self, t):
        self._abort(t, '!')

    def _abort(self, t, name):
        self._record(t, 'stop', name)
        self.axis.stop(t)
        self._edge_search = self._resume_target = None

    @command('ST')
    def _st(self, argument, t):
        """Smooth stop back to where ST arrived; the previous target waits for the next command."""
        self._record(t, 'stop', 'ST')
        previous = to_counts(self.axis.target(t))
        captured = self.axis.position(t)
        self._head_for(t, captured)
        self._edge_search = None
        if previous != to_counts(captured):
            self._resume_target = previous

    def _restart_after_smooth_stop(self, t):
        """ST kept the previous target: any command but DH or AB heads for it again [35]."""
        target, self._resume_target = self._resume_target, None
        if self.axis.servo:
            self._head_for(t, to_mm(target))
