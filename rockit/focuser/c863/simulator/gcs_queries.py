# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""GCS commands that tell about the controller: identity, capabilities, error and status.

Section numbers (§) refer to doc/gcs-c863.md.
"""
from .gcs_syntax import (AXIS, BYTE_COMMANDS, LINE_COMMANDS, axis_and_value, axis_query,
                         command, no_arguments, single_byte)
from .gcs_tables import ERROR_CODES, PARAMETERS, Refused

FIRMWARE = '01.000.000'
IDN_VENDOR = '(c)2015 Physik Instrumente (PI) GmbH & Co. KG'


class GCSQueryCommands:
    """Part of GCSInterpreter (gcs.py): reads its model, parameters, error register and axis."""

    # --- identification and capabilities --------------------------------------------------------

    def _identification(self):
        return f'{IDN_VENDOR}, {self.model}, {self.serial_number}, {FIRMWARE}'

    @command('*IDN?', '*IDN?', 'Get Device Identification')
    def _idn(self, args, t):
        no_arguments(args)
        return [self._identification()]

    @command('CSV?', 'CSV?', 'Get Current Syntax Version')
    def _csv(self, args, t):
        no_arguments(args)
        return ['2.0']

    @command('VER?', 'VER?', 'Get Versions Of Firmware And Drivers')
    def _ver(self, args, t):
        no_arguments(args)
        return [self._identification(),
                f'FW_ARM: V{FIRMWARE}',
                'SIMULATOR: rockit.focuser.c863.simulator']

    @command('HLP?', 'HLP?', 'Get List Of Available Commands')
    def _hlp(self, args, t):
        no_arguments(args)
        entries = [entry for _, entry in sorted(BYTE_COMMANDS.items())]
        entries += list(LINE_COMMANDS.values())
        return (['The following commands are valid:']
                + [f'{entry.syntax} {entry.description}' for entry in entries]
                + ['end of help'])

    @command('HPA?', 'HPA?', 'Get List Of Available Parameters')
    def _hpa(self, args, t):
        no_arguments(args)
        known = [(pid, PARAMETERS[pid]) for pid in self._parameter_ids()]
        lines = [f'0x{pid:X}=\t0\t1\t{parameter.type}\tmotorcontroller\t{parameter.description}'
                 for pid, parameter in known]
        return ['The following parameters are valid:'] + lines + ['end of help']

    @command('SAI?', 'SAI? [ALL]', 'Get List Of Current Axis Identifiers')
    def _sai(self, args, t):
        if [arg.upper() for arg in args] not in ([], ['ALL']):
            raise Refused('syntax')
        return [AXIS]

    _cst = axis_query('CST?', 'Get Assignment Of Stages To Axes',
                      lambda self, t: self.parameters[0x3C])
    _trs = axis_query('TRS?', 'Indicate Reference Switch',
                      lambda self, t: 1 if self.parameters[0x14] else 0)
    _lim = axis_query('LIM?', 'Indicate Limit Switches',
                      lambda self, t: 0 if self.parameters[0x32] else 1)

    # --- error register and status ----------------------------------------------------------------

    @command('ERR?', 'ERR?', 'Get Error Number')
    def _err(self, args, t):
        no_arguments(args)
        code, self.error = self.error, 0
        return [str(code)]

    def status_register(self, t):
        """#4 / SRG?: 0x + four hex digits (§1.5)."""
        axis = self.axis
        axis.advance(t)
        negative, reference, positive = axis.switch_levels(t)
        if self.limit_switches_active_low:
            negative, positive = not negative, not positive
        bits = (self.reports_on_target(t, 'register') << 15 | (axis.referencing is not None) << 14
                | axis.moving(t) << 13 | axis.servo << 12 | self._error_flag() << 8
                | positive << 2 | reference << 1 | negative)
        return f'0x{bits:04X}'

    def _error_flag(self):
        """#4 bit 8: an error is latched (unless stop_error_unflagged hides a 10)."""
        hidden = self.stop_error_unflagged and self.error == ERROR_CODES['stopped']
        return self.error != 0 and not hidden

    @command('SRG?', 'SRG? {<AxisID> <RegisterID>}', 'Query Status Register Value')
    def _srg(self, args, t):
        register = axis_and_value(args)
        if register != '1':
            raise Refused('syntax')
        return [f'{AXIS} 1={self.status_register(t)}']

    @single_byte(0x04, '#4', 'Request Status Register')
    def _status_byte(self, t):
        return self.status_register(t)

    @single_byte(0x05, '#5', 'Request Motion Status')
    def _motion_byte(self, t):
        return f'{int(self.axis.moving(t)):X}'

    @single_byte(0x07, '#7', 'Request Controller Ready Status')
    def _ready_byte(self, t):
        self.axis.advance(t)
        return '\xb0' if self.axis.referencing else '\xb1'

    @single_byte(0x08, '#8', 'Query If Macro Is Running')
    def _macro_byte(self, t):
        return '0'
