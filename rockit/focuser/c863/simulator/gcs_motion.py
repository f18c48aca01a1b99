# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""GCS commands that move the axis: servo, referencing, motion, stops.

Section numbers (§) refer to doc/gcs-c863.md.
"""
from .gcs_syntax import (axis_and_value, axis_query, command, flag, format_number, no_arguments,
                         number, optional_axis, single_byte)
from .gcs_tables import ERROR_CODES, Refused


class GCSMotionCommands:
    """Part of GCSInterpreter (gcs.py): orders the axis after checking every pre-condition."""

    @single_byte(0x18, '#24', 'Stop All Axes')
    def _stop_byte(self, t):
        self._stop(t, '#24')

    # --- servo and referencing --------------------------------------------------------------------

    def _not_referencing(self, t):
        self.axis.advance(t)
        if self.axis.referencing:
            raise Refused('busy')

    @command('SVO', 'SVO {<AxisID> <ServoState>}', 'Set Servo Mode')
    def _svo(self, args, t):
        on = flag(axis_and_value(args))
        self._not_referencing(t)
        self.axis.set_servo(t, on)

    _svo_query = axis_query('SVO?', 'Get Servo Mode', lambda self, t: int(self.axis.servo))

    @command('RON', 'RON {<AxisID> <ReferenceOn>}', 'Set Reference Mode')
    def _ron(self, args, t):
        on = flag(axis_and_value(args))
        self._not_referencing(t)
        self.reference_mode = on

    _ron_query = axis_query('RON?', 'Get Reference Mode', lambda self, t: int(self.reference_mode))

    def _reference(self, kind, args, t):
        optional_axis(args)
        self._not_referencing(t)
        if kind == 'FRF' and not self.parameters[0x14]:
            raise Refused('no_reference_switch')
        if kind != 'FRF' and self.parameters[0x32]:
            raise Refused('no_limit_switch')
        if not self.reference_mode:
            raise Refused('reference_disabled')
        if not self.axis.servo:
            raise Refused('move_refused')
        value = {'FRF': 0x16, 'FNL': 0x30, 'FPL': 0x15}[kind]
        self.axis.start_reference(t, kind, self.parameters[value])

    @command('FRF', 'FRF [{<AxisID>}]', 'Fast Reference Move To Reference Switch')
    def _frf(self, args, t):
        self._reference('FRF', args, t)

    @command('FNL', 'FNL [{<AxisID>}]', 'Fast Reference Move To Negative Limit')
    def _fnl(self, args, t):
        self._reference('FNL', args, t)

    @command('FPL', 'FPL [{<AxisID>}]', 'Fast Reference Move To Positive Limit')
    def _fpl(self, args, t):
        self._reference('FPL', args, t)

    def _referenced(self, t):
        """FRF? answers whether a reference run has ended by now, so the axis catches up first."""
        self.axis.advance(t)
        return int(self.axis.referenced)

    _frf_query = axis_query('FRF?', 'Get Referencing Result', _referenced)

    @command('POS', 'POS {<AxisID> <Position>}', 'Set Real Position (only with RON 0)')
    def _pos(self, args, t):
        value = number(axis_and_value(args))
        if self.reference_mode:
            raise Refused('reference_mode_on')
        if self.axis.moving(t):
            raise Refused('in_motion')
        self.axis.set_position(t, value)

    # --- motion ---------------------------------------------------------------------------------

    def _check_move(self, target, t):
        """Pre-conditions in the firmware's order (§5.11): busy, servo, referenced, range."""
        self._not_referencing(t)
        if not self.axis.servo:
            raise Refused('move_refused')
        if self.reference_mode and not self.axis.referenced:
            raise Refused('move_refused')
        if not self.parameters[0x30] <= target <= self.parameters[0x15]:
            raise Refused('out_of_limits')

    @command('MOV', 'MOV {<AxisID> <Position>}', 'Set Target Position')
    def _mov(self, args, t):
        target = number(axis_and_value(args))
        self._check_move(target, t)
        self.axis.move_to(t, target)

    @command('MVR', 'MVR {<AxisID> <Distance>}', 'Set Target Relative To Current Target')
    def _mvr(self, args, t):
        target = self.axis.target(t) + number(axis_and_value(args))
        self._check_move(target, t)
        self.axis.move_to(t, target)

    _mov_query = axis_query('MOV?', 'Get Target Position',
                            lambda self, t: format_number(self.axis.target(t)))
    _pos_query = axis_query('POS?', 'Get Real Position',
                            lambda self, t: format_number(self._quantized(self.axis.position(t))))
    _ont = axis_query('ONT?', 'Get On Target State', lambda self, t: int(self.reports_on_target(t, 'ONT?')))
    _tmn = axis_query('TMN?', 'Get Minimum Commandable Position',
                      lambda self, t: format_number(self.parameters[0x30]))
    _tmx = axis_query('TMX?', 'Get Maximum Commandable Position',
                      lambda self, t: format_number(self.parameters[0x15]))

    def _stop(self, t, name):
        """HLT, STP and #24 all latch error 10 and leave target = where the axis comes to rest."""
        self._record(t, 'stop', name)
        if name == 'HLT':
            self.axis.halt(t)
        else:
            self.axis.stop(t)
        self.error = ERROR_CODES['stopped']

    @command('HLT', 'HLT [{<AxisID>}]', 'Halt Motion Smoothly')
    def _hlt(self, args, t):
        optional_axis(args)
        self._stop(t, 'HLT')

    @command('STP', 'STP', 'Stop All Axes')
    def _stp(self, args, t):
        no_arguments(args)
        self._stop(t, 'STP')
