# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Native Mercury commands that set values and report them: settings and the T* reports.

Set commands never reply; reports are strings that native.py ends in CR LF ETX. Page numbers
in brackets refer to PI's manual MS176E, summed up in doc/mercury-native.md.

The status report (TS, %) comes in two layouts. 'three' is MS176E's table [40]: status bits,
switch lines, error number. 'six' is what drivers proven on C-862/C-863 units read (EPICS
motorPI's drvPIC862, labtools' pi/conf.py), which the manual's example "S:04 02 00 03 02 00"
fits: an LM629 motion controller's status byte, the firmware's internal flags, motor loop
flags, signal line status, signal line levels, error number (SIX_BYTE_BITS).
"""
from .native_syntax import also_character, character, command, report, required, to_counts, within

# Bit numbers of the flags in the status bytes, byte by byte.
THREE_BYTE_BITS = (            # MS176E [40]; byte 3 is the error number
    {'ready': 0, 'on_target': 1, 'reference_drive': 2, 'motor_off': 5, 'brake': 6},
    {'negative_limit': 0, 'reference_signal': 1, 'positive_limit': 2},
)
# drvPIC862 and labtools; byte 6 is the error number. Never set here, so left out: byte 1's
# command error (b1), index pulse (b3), position limit (b4) and breakpoint (b6), byte 2's macro
# running (b4), byte 3's move error (b3).
SIX_BYTE_BITS = (
    {'busy': 0, 'trajectory_complete': 2, 'position_error': 5, 'motor_off': 7},   # LM629 status
    {'echo': 0, 'waiting': 1, 'command_error': 2, 'addressed': 7},               # internal flags
    {'positive_direction': 2, 'position_error_excess': 6},                        # motor loop
    {'limits_on': 0, 'limits_active_high': 1, 'find_edge': 2, 'brake': 3},        # signal status
    {'reference_level': 1, 'positive_level': 2, 'negative_level': 3},             # signal lines
)
FIRMWARE = '1.09'
VERSION_LINES = ('(c)2007 Physik Instrumente(PI)', 'Karlsruhe, {model}, Ver. {firmware}, 2007-08-28')
GAIN_LIMIT = 32767              # DP, DI, DD, SM take 0 < n < 32,767 [24, 34]


class NativeRegisterCommands:
    """Part of NativeInterpreter (native.py): its velocity, acceleration, brake, servo settings
    and error number, and the reports of them and of the axis."""

    # --- settings ----------------------------------------------------------------------------

    @command('SV')
    def _sv(self, argument, t):
        self.velocity = within(required(argument), 1, 999999999)
        self._configure_axis(t)

    @command('SA')
    def _sa(self, argument, t):
        self.acceleration = within(required(argument), 1, 999999999)
        self._configure_axis(t)

    @command('BN')
    def _bn(self, argument, t):
        self.brake = True

    @command('BF')
    def _bf(self, argument, t):
        self.brake = False

    @command('EN')
    def _en(self, argument, t):
        """Echo on (?): from the next byte of a line on, every one goes back as it arrives."""
        self.echo = True

    @command('EF')
    def _ef(self, argument, t):
        """Echo off (labtools sends it first)."""
        self.echo = False

    @command('LN')
    def _ln(self, argument, t):
        """Limit switches on (LF: off). Only the six-byte status shows either: the hardware
        interlock stops the simulated carriage at its switches anyway."""
        self.limits_enabled = True

    @command('LF')
    def _lf(self, argument, t):
        self.limits_enabled = False

    @command('LH')
    def _lh(self, argument, t):
        """Limit switches active high: the six-byte status reads a hit switch's line as 1."""
        self.limits_active_high = True

    @command('LL')
    def _ll(self, argument, t):
        """Limit switches active low: a hit switch's line reads 0, a free one 1."""
        self.limits_active_high = False

    # --- reports -------------------------------------------------------------------------------

    @also_character("'")
    @command('TP')
    def _tp(self, argument, t):
        return report('P', to_counts(self.axis.position(t)))

    @command('TT')
    def _tt(self, argument, t):
        return report('T', to_counts(self.axis.target(t)))

    @also_character('+')
    @command('TE')
    def _te(self, argument, t):
        return report('E', to_counts(self.axis.target(t)) - to_counts(self.axis.position(t)))

    @also_character('(')
    @command('TF')
    def _tf(self, argument, t):
        """The simulated carriage follows its trajectory exactly: no following error."""
        return report('F', 0)

    @command('TY')
    def _ty(self, argument, t):
        return report('Y', self.velocity)

    @command('TL')
    def _tl(self, argument, t):
        return report('L', self.acceleration)

    @command('GP')
    def _gp(self, argument, t):
        return report('G', self.settings.get('DP', 0))

    @command('TB')
    def _tb(self, argument, t):
        return f'B:{self.board}'

    @command('VE')
    def _ve(self, argument, t):
        """Two lines as the manual prints them [42] (CR LF between them (?)), or one."""
        separator = '\r\n' if self.version_lines == 2 else ' '
        return separator.join(VERSION_LINES).format(model=self.model, firmware=FIRMWARE)

    @also_character('%')
    @command('TS')
    def _ts(self, argument, t):
        return self.status_report(t)

    def status_report(self, t):
        """TS: 'S:' and the bytes of our layout in hex; the error number goes with the first
        report that shows it (?)."""
        code, self.error = self.error, 0
        layout = self._six_bytes if self.status_layout == 'six' else self._three_bytes
        return 'S:' + ' '.join(f'{value:02X}' for value in layout(t, code))

    def _three_bytes(self, t, code):
        """MS176E [40]. The switch lines read 1 when hit, whatever LH/LL say (?)."""
        axis = self.axis
        negative, reference, positive = axis.switch_levels(t)
        return _packed(THREE_BYTE_BITS, code,
                       {'ready': self._wait is None, 'on_target': axis.on_target(t),
                        'reference_drive': self._referencing(t), 'motor_off': not axis.servo,
                        'brake': self.brake},
                       {'negative_limit': negative, 'reference_signal': reference,
                        'positive_limit': positive})

    def _six_bytes(self, t, code):
        """As drvPIC862 and labtools read them. An axis that moves (a find-edge search too) is
        busy, one at rest has completed its trajectory. The limit lines are levels: 1 when hit
        with the switches active high (LH), 0 when hit with them active low (LL); the reference
        line is the signal itself, whatever LH/LL say (?)."""
        axis = self.axis
        busy = axis.moving(t)
        negative, reference, positive = axis.switch_levels(t)
        high = self.limits_active_high
        return _packed(SIX_BYTE_BITS, code,
                       {'busy': busy, 'trajectory_complete': not busy,
                        'position_error': self.position_error, 'motor_off': not axis.servo},
                       {'echo': self.echo, 'waiting': self._wait is not None,
                        'command_error': code != 0, 'addressed': self.selected},
                       {'positive_direction': self.positive_direction,
                        'position_error_excess': self.position_error},
                       {'limits_on': self.limits_enabled, 'limits_active_high': high,
                        'find_edge': self._referencing(t), 'brake': self.brake},
                       {'reference_level': reference, 'positive_level': positive == high,
                        'negative_level': negative == high})

    @character('\\')
    def _moving_character(self, t):
        return '1' if self.axis.moving(t) else '0'


def _packed(layout, code, *flags):
    """The status bytes: each byte's flags (name -> true or false) at their bits in layout, then
    the error number."""
    return tuple(sum(1 << bits[name] for name, on in byte.items() if on)
                 for bits, byte in zip(layout, flags)) + (code,)


def _setting(name):
    """DP, DI, DD, DL, SM: servo gains and limits, kept for GP; the simulated servo follows its
    trajectory perfectly whatever they are. Without an argument they are 0 (the manual's macro
    example sends a bare DI [49])."""
    def keep(self, argument, t):
        self.settings[name] = within(argument or 0, 0, GAIN_LIMIT)
    return keep


for _name in ('DP', 'DI', 'DD', 'DL', 'SM'):
    command(_name)(_setting(_name))
