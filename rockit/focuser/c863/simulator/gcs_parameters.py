# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""GCS commands that read and change parameters: VEL, ACC, DEC and SPA, with their checks.

A changed parameter reaches the axis at once (its motion settings come from them).
"""
from .gcs_syntax import (AXIS, axis_and_value, axis_and_values, axis_query, command,
                         format_number, format_parameter, parameter_id, parameter_value)
from .gcs_tables import ACCELERATION, DECELERATION, PARAMETERS, VELOCITY, Refused


def dedicated_parameter(mnemonic, pid, quantity):
    """Registers `VEL 1 v` and `VEL?` (and the like): a parameter behind a command of its own,
    checked like SPA checks it. Returns the setter and the query."""
    def set_value(self, args, t):
        self._set_parameter(pid, axis_and_value(args), t)

    setter = command(mnemonic, f'{mnemonic} {{<AxisID> <{quantity}>}}',
                     f'Set Closed-Loop {quantity}')(set_value)
    query = axis_query(f'{mnemonic}?', f'Get Closed-Loop {quantity}',
                       lambda self, t: format_number(self.parameters[pid]))
    return setter, query


class GCSParameterCommands:
    """Part of GCSInterpreter (gcs.py): its parameters in RAM, checked against their rules."""

    def _parameter_ids(self):
        """The IDs this firmware knows, in order: PARAMETERS but its refused_parameters."""
        return sorted(set(PARAMETERS) - set(self.refused_parameters))

    def _parameter(self, text):
        """A parameter ID as sent, refused as unknown if this firmware lacks it."""
        pid = parameter_id(text)
        if pid in self.refused_parameters:
            raise Refused('unknown_parameter')
        return pid

    def _set_parameter(self, pid, text, t):
        value = parameter_value(pid, text)
        self._check_parameter(pid, value)
        self.parameters[pid] = value
        self._configure_axis(t)

    def _check_parameter(self, pid, value):
        """Refuses a value its parameter's rule forbids (VEL above 0xA: error 8, else 17)."""
        rule = PARAMETERS[pid].rule
        p = self.parameters
        if rule == 'velocity' and not 0 < value <= p[0x0A]:
            raise Refused('velocity_limit')
        if ((rule == 'positive' and not value > 0)
                or (rule == 'non_negative' and not value >= 0)
                or (rule == 'flag' and value not in (0, 1))
                or (rule == 'acceleration' and not 0 < value <= p[0x4A])
                or (rule == 'deceleration' and not 0 < value <= p[0x4B])):
            raise Refused('out_of_range')

    _vel, _vel_query = dedicated_parameter('VEL', VELOCITY, 'Velocity')
    _acc, _acc_query = dedicated_parameter('ACC', ACCELERATION, 'Acceleration')
    _dec, _dec_query = dedicated_parameter('DEC', DECELERATION, 'Deceleration')

    @command('SPA', 'SPA {<ItemID> <PamID> <PamValue>}', 'Set Volatile Memory Parameters')
    def _spa(self, args, t):
        pid, value = axis_and_values(args, 2)
        self._set_parameter(self._parameter(pid), value, t)

    @command('SPA?', 'SPA? [{<ItemID> <PamID>}]', 'Get Volatile Memory Parameters')
    def _spa_query(self, args, t):
        """`SPA?` / `SPA? 1`: every parameter; `SPA? 1 <id>`: one, echoing the ID as sent."""
        if len(args) > 2:
            raise Refused('one_element')
        if args and args[0] != AXIS:
            raise Refused('wrong_axis')
        if len(args) == 2:
            requested = [(self._parameter(args[1]), args[1])]
        else:
            requested = [(pid, f'0x{pid:X}') for pid in self._parameter_ids()]
        return [f'{AXIS} {name}={format_parameter(pid, self.parameters[pid])}'
                for pid, name in requested]
