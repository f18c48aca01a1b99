# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The focuser axis as the daemon sees it: integer steps, limits, home, move, stop, poll.

interface.py says what the daemon may ask (the Controller protocol, ControllerInfo, Snapshot);
one implementation per command set, chosen by the config key "protocol":

  GCSController     C-863 with GCS 2.0 firmware (.11, .12) (gcs_axis.py)
  NativeController  C-863.10, PI's native Mercury commands (native_axis.py)
"""
from .gcs_axis import GCSController
from .interface import Controller, ControllerInfo, Snapshot
from .native_axis import NativeController

__all__ = ['Controller', 'ControllerInfo', 'GCSController', 'NativeController', 'Snapshot', 'make_controller']


def make_controller(config) -> Controller:
    """The controller the config's "protocol" asks for, not yet connected."""
    if config.protocol == 'native':
        return NativeController(config.serial_port, config.serial_baud, config.serial_timeout,
                                config.controller_address, config.reference_mode, config.reference_position,
                                tuning=config.servo_tuning, settle_window=config.settle_window,
                                motion_pause=config.motion_pause)
    return GCSController(config.serial_port, config.serial_baud, config.serial_timeout,
                         config.controller_address, config.reference_mode)
