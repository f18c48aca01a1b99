# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A simulated PI C-863 Mercury on a real serial device, speaking either command set.

    axis.py         the stage and servo: physical position, limit switches, reference runs
    profile.py      its motion maths: trapezoidal profiles as closed-form functions of time
    firmware.py     what both firmwares share: command tables, line buffer, fault injection, state
    gcs.py          the GCS 2.0 firmware (C-863.11/.12): power-on, framing, addresses, dispatch
      gcs_tables.py, gcs_syntax.py       its error codes and parameters; argument parsing
      gcs_queries.py, gcs_motion.py, gcs_parameters.py   its commands, by kind
    native.py       the native Mercury firmware (C-863.10): selection, framing, compound commands
      native_syntax.py                   its command tables, counts and CR LF ETX reports
      native_motion.py, native_registers.py              its commands, by kind
    link.py         the wire: a pseudo-terminal or TCP port, paced at the baud rate
    device.py       Simulator: axis, firmware and link together, fault injection, an event log

Command line: python3 -m rockit.focuser.c863.simulator --help
"""
from .device import Simulator

__all__ = ['Simulator']
