# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca Management API v1: which API versions, what server, which devices.

The UniqueID must stay the same across restarts, so that imaging programs keep recognising the
focuser they were set up with: it is a name-based UUID of the daemon's name and serial port,
which together name one focuser at an observatory.
"""
import uuid

from .device import DRIVER_VERSION

# The namespace of this project's UUIDs (itself a name-based UUID, so it is reproducible).
UNIQUE_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, 'rockit-focuser-c863.alpaca')
SUPPORTED_API_VERSIONS = [1]


def unique_id(config):
    return str(uuid.uuid5(UNIQUE_ID_NAMESPACE, f'{config.daemon_name}\n{config.serial_port}'))


class Management:
    """The three management members, as functions of the request returning the Value."""

    def __init__(self, config, device_name):
        self._config = config
        self._device_name = device_name
        self._unique_id = unique_id(config)
        self.members = {
            'apiversions': lambda _request: list(SUPPORTED_API_VERSIONS),
            'v1/description': self.description,
            'v1/configureddevices': self.configured_devices,
        }

    def description(self, _request):
        return {
            'ServerName': 'c863_focusd',
            'Manufacturer': 'rockit-focuser-c863',
            'ManufacturerVersion': DRIVER_VERSION,
            'Location': self._config.daemon_name,
        }

    def configured_devices(self, _request):
        return [{
            'DeviceName': self._device_name,
            'DeviceType': 'Focuser',
            'DeviceNumber': 0,
            'UniqueID': self._unique_id,
        }]
