# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""rockit.focuser.c863: daemon and client for a PI C-863 Mercury focuser.

Telescope software imports Config, CommandStatus and FocuserStatus from here.
Config is loaded on first use, so that scripts which only need the codes do not pay
for the JSON schema validator at start-up.
"""
from .constants import CommandStatus, FocuserStatus

__all__ = ['CommandStatus', 'Config', 'FocuserStatus']


def __getattr__(name):
    if name == 'Config':
        from .config import Config
        return Config
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
