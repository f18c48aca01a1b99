# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What a simulated controller was sent, read from its event log (Simulator.events), so that a
test can say "the daemon sent no move" in the controller's own terms, on either command set."""
import re

# Commands that start a motion or change where the axis thinks it is (doc/gcs-c863.md,
# doc/mercury-native.md): switching the servo off counts, as the axis may then drift.
MOTION_COMMANDS = {'gcs': ('MOV', 'MVR', 'FRF', 'FNL', 'FPL', 'POS ', 'SVO 1 0'),
                   'native': ('MA', 'MR', 'GH', 'FE', 'DH', 'MF', 'RT')}
# Commands that stop the axis (the GCS stop byte #24 is recorded as the character 0x18).
STOP_COMMANDS = {'gcs': ('HLT', 'STP', '\x18'), 'native': ('ST', 'AB')}
DAISY_CHAIN_ADDRESS = re.compile(r'^\s*\d+\s+')


def commands(simulator, since=0):
    """Every command the controller received after event index since, as text, in order."""
    return [detail for _, name, detail in simulator.events[since:] if name == 'command' and isinstance(detail, str)]


def motion_commands(simulator, since=0, stops=False):
    """The commands received after event index since that could move the axis (with stops=True
    also those that stop it); queries never count."""
    wanted = MOTION_COMMANDS[simulator.protocol] + (STOP_COMMANDS[simulator.protocol] if stops else ())
    return [command for command in commands(simulator, since)
            if '?' not in command and DAISY_CHAIN_ADDRESS.sub('', command).upper().startswith(wanted)]
