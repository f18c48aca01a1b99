# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Native Mercury commands that set values and report them: settings and the T* reports.

Set commands never reply; reports are strings that native.py ends in CR LF ETX. Page numbers
in brackets refer to PI's manual MS176E, summed up in doc/mercury-native.md.
"""
from .native_syntax import also_character, character, command, report, required, to_counts, within

STATUS_PADDING = ' 00 00 00'  # TS bytes 4-6, which the manual shows but does not describe (?)
FIRMWARE = '1.09'
VERSION_LINE = '(c)2007 Physik Instrumente(PI) Karlsruhe, {model}, Ver. {firmware}, 2007-08-28'
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

    @command('LN', 'LF', 'LH', 'LL')
    def _limit_switch_setting(self, argument, t):
        """Accepted; the hardware interlock stops the simulated carriage at its switches anyway."""

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
        return VERSION_LINE.format(model=self.model, firmware=FIRMWARE)

    @also_character('%')
    @command('TS')
    def _ts(self, argument, t):
        return self.status_report(t)

    def status_report(self, t):
        """TS [40]: status bits, switch lines, error number (reading it clears it (?))."""
        axis = self.axis
        negative, reference, positive = axis.switch_levels(t)
        ready = self._wait is None
        first = (ready | axis.on_target(t) << 1 | self._referencing(t) << 2
                 | (not axis.servo) << 5 | self.brake << 6)
        second = negative | reference << 1 | positive << 2
        code, self.error = self.error, 0
        return f'S:{first:02X} {second:02X} {code:02X}{STATUS_PADDING}'

    @character('\\')
    def _moving_character(self, t):
        return '1' if self.axis.moving(t) else '0'


def _setting(name):
    """DP, DI, DD, DL, SM: servo gains and limits, kept for GP; the simulated servo follows its
    trajectory perfectly whatever they are. Without an argument they are 0 (the manual's macro
    example sends a bare DI [49])."""
    def keep(self, argument, t):
        self.settings[name] = within(argument or 0, 0, GAIN_LIMIT)
    return keep


for _name in ('DP', 'DI', 'DD', 'DL', 'SM'):
    command(_name)(_setting(_name))
