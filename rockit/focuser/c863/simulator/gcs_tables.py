# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The GCS firmware's two tables: the error codes it latches and the parameters it keeps.

Section numbers (§) refer to doc/gcs-c863.md. Where the reference is unsure which code the
firmware raises, ERROR_CODES is the one place that decides.
"""
from collections import namedtuple

# Why a command is refused -> the code latched in the error register. (V) the reference states
# it; (I) inferred from a mature client; (?) a guess to check on the real unit (§3, §5).
ERROR_CODES = {
    'syntax': 1,               # malformed line (I); 24 is the other candidate (?)
    'missing_argument': 1,     # (?) 26 PI_CNTR_MISSING_PARAM is the other candidate
    'bad_number': 1,           # (?) 25 PI_CNTR_INVALID_REAL_NR is the other candidate
    'one_element': 1,          # two axes/parameters on one line, refused by the .12 (V); code (?)
    'unknown_command': 2,      # (V), and a query gets no reply
    'line_too_long': 3,        # (?) 304 is the other candidate
    'move_refused': 5,         # servo off, or unreferenced with RON 1 (V)
    'out_of_limits': 7,        # target outside TMN..TMX (V)
    'velocity_limit': 8,       # VEL above 0xA (I)
    'stopped': 10,             # HLT, STP, #24 (V)
    'wrong_axis': 15,          # (I, Odemis' simulator)
    'out_of_range': 17,        # parameter value out of range (?)
    'no_reference_switch': 31,  # FRF on a stage without one (?)
    'no_limit_switch': 32,     # FNL/FPL on a stage without them (?)
    'reference_disabled': 50,  # FRF/FNL/FPL with RON 0 (I)
    'unknown_parameter': 54,   # (V), and SPA? gets no reply
    'reference_mode_on': 88,   # POS with RON 1 (?)
    'in_motion': 93,           # POS while the axis moves (?)
    'limit_switch': 216,       # ran into a limit switch during a move (?)
    'busy': 1005,              # motion command during a reference run (?)
    'following_error': 1024,   # servo switched off by a following error (V); sign (?)
}


class Refused(Exception):
    """A command that cannot be executed; the error register gets ERROR_CODES[reason]."""

    def __init__(self, reason):
        super().__init__(reason)
        self.code = ERROR_CODES[reason]


Parameter = namedtuple('Parameter', 'type default rule description')

# Power-on ("flash") values of a focuser stage: 25 mm travel, 10000 counts/mm, reference switch
# in mid-travel. rule names the check in _check_parameter (gcs_parameters.py).
PARAMETERS = {
    0x01: Parameter('INT', 90, 'non_negative', 'P term'),
    0x02: Parameter('INT', 60, 'non_negative', 'I term'),
    0x03: Parameter('INT', 300, 'non_negative', 'D term'),
    0x0A: Parameter('FLOAT', 5.0, 'positive', 'Maximum closed-loop velocity (mm/s)'),
    0x0B: Parameter('FLOAT', 10.0, 'acceleration', 'Closed-loop acceleration (mm/s2)'),
    0x0C: Parameter('FLOAT', 10.0, 'deceleration', 'Closed-loop deceleration (mm/s2)'),
    0x0E: Parameter('INT', 10000, 'positive', 'Numerator of the counts-per-physical-unit factor'),
    0x0F: Parameter('INT', 1, 'positive', 'Denominator of the counts-per-physical-unit factor'),
    0x14: Parameter('INT', 1, 'flag', 'Stage has a reference switch'),
    0x15: Parameter('FLOAT', 25.0, 'any', 'Maximum travel in positive direction (mm)'),
    0x16: Parameter('FLOAT', 12.5, 'any', 'Value at reference position (mm)'),
    0x30: Parameter('FLOAT', 0.0, 'any', 'Maximum travel in negative direction (mm)'),
    0x32: Parameter('INT', 0, 'flag', 'Stage has no limit switches'),
    0x36: Parameter('INT', 10, 'non_negative', 'Settle window (counts)'),
    0x3C: Parameter('CHAR', 'SIM-25MM-FOCUS', 'any', 'Stage name'),
    0x3F: Parameter('FLOAT', 0.02, 'non_negative', 'Settle time (s)'),
    0x49: Parameter('FLOAT', 1.5, 'velocity', 'Closed-loop velocity (mm/s)'),
    0x4A: Parameter('FLOAT', 50.0, 'positive', 'Maximum closed-loop acceleration (mm/s2)'),
    0x4B: Parameter('FLOAT', 50.0, 'positive', 'Maximum closed-loop deceleration (mm/s2)'),
    0x50: Parameter('FLOAT', 0.5, 'positive', 'Velocity for reference moves (mm/s)'),
}

# Parameters behind dedicated commands: VEL, ACC, DEC; TMN?, TMX? read 0x30, 0x15.
VELOCITY, ACCELERATION, DECELERATION = 0x49, 0x0B, 0x0C
