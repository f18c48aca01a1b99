"""A simulated PI C-863 Mercury on a real serial device, speaking either command set.

    axis.py    the stage and servo: physical position, trapezoidal motion, reference runs
    gcs.py     the GCS 2.0 firmware (C-863.11/.12): framing, commands, error register, parameters
    native.py  the native Mercury firmware (C-863.10): two-letter commands, CR LF ETX reports
    link.py    the wire: a pseudo-terminal or TCP port, paced at the baud rate
    device.py  Simulator: axis, firmware and link together, with fault injection and an event log

Command line: python3 -m rockit.focuser.c863.simulator --help
"""
from .device import Simulator

__all__ = ['Simulator']
