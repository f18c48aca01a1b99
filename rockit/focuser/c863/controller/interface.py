# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the daemon may ask of a controller, whichever command set it speaks.

The daemon drives the axis in integer steps (encoder counts) through this interface only;
everything about a command set (mnemonics, units, error numbers, how "referenced" is known)
stays behind it, in one implementation per command set (gcs_axis.py, native_axis.py).
Failures are those of errors.py.
"""
from dataclasses import dataclass
from typing import Optional, Protocol

from ..errors import ControllerError


class Controller(Protocol):
    """One axis on one controller, opened by connect() and driven from the daemon's poll
    thread, except stop(), which may come from any thread at any moment.

    Capabilities, which differ between command sets and which the daemon and its users may
    need to know (class attributes):
      command_set         'gcs' or 'native'
      reports_referenced  the controller itself says whether the axis is referenced (else the
                          controller judges it from its own reference runs)
      has_travel_range    the controller reports a travel range (else the limits are only the
                          configured ones)
      stop_command        what stop() sends, for the log
    """
    command_set: str
    reports_referenced: bool
    has_travel_range: bool
    stop_command: str

    def connect(self) -> 'ControllerInfo':
        """Opens the port and identifies the controller; never starts a motion."""

    def poll(self, track_position: bool = True) -> 'Snapshot':
        """Reads the axis state; track_position=False may skip the position while it moves."""

    def move_to(self, steps: int) -> None:
        """Starts an absolute move; ControllerError if the controller refuses it."""

    def home(self) -> None:
        """Starts the configured reference run; polls show its progress and end."""

    def stop(self) -> None:
        """Stops any motion at once, from any thread; the target becomes where it rests."""

    def expected_motion_time(self, from_steps: int, to_steps: int) -> float:
        """Seconds a move between the two positions needs (0 if unknown)."""

    def close(self) -> None:
        """Releases the port; safe to call twice."""


@dataclass(frozen=True)
class ControllerInfo:
    """What connect() learns once: who the controller is and the axis geometry in steps.
    A native controller has no serial number (None)."""
    model: str
    serial_number: Optional[str]
    firmware: str
    min_steps: int
    max_steps: int
    # Who it is, in one line for the status and the log, as the command set can tell it.
    description: str
    # Encoder counts per physical unit (GCS 0xE/0xF); None where the command set has no units.
    counts_per_unit: Optional[float] = None


@dataclass(frozen=True)
class Snapshot:
    """One poll's view of the axis. position/target are None until read after a change.

    on_target: at rest on the commanded target, as the controller judges it (GCS: the #4
    on-target bit; native: at rest and within a settling window of the target).
    halted: the axis is at rest, off its target, and will not get there (a limit switch, a
    settling window it never enters): why, in one line for the status and the log; else None.
    """
    position: Optional[int]
    target: Optional[int]
    moving: bool
    on_target: bool
    referencing: bool
    referenced: bool
    servo: bool
    error: Optional[ControllerError]
    status_register: int
    halted: Optional[str] = None
