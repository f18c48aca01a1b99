"""A simulated PI C-863 Mercury (.11/.12 firmware, GCS 2.0) on a real serial device.

    axis.py    the stage and servo: physical position, trapezoidal motion, reference runs
    gcs.py     the GCS 2.0 firmware: framing, commands, error register, parameters
    link.py    the wire: a pseudo-terminal or TCP port, paced at the baud rate
    device.py  Simulator: all three together, with fault injection and an event log

A second command set (PI's older "native" Mercury commands) would sit beside gcs.py and reuse
axis.py and link.py. Command line: python3 -m rockit.focuser.c863.simulator --help
"""
from .device import Simulator

__all__ = ['Simulator']
