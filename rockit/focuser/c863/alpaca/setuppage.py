# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the setup pages show and do: the live state as JSON, and the controls.

Imaging programs open /setup/v1/focuser/0/setup from their "settings" button. The page (static
HTML, CSS and JS in static/, no external resources) polls state() about once a second. From a
control machine it also offers move-to, offset, stop and home, which call the daemon's methods
under calling_from(the browser's address) like every Alpaca command: the daemon's access check
decides, the page only hides controls that would be refused.
"""
from ..constants import CommandStatus
from ..daemon import calling_from, is_step_count
from .protocol import BadRequest


class SetupPage:
    """The setup pages' JSON API on a FocuserDaemon and the Alpaca device's Motions."""

    def __init__(self, config, focuser, device, discovery_port):
        self._config = config
        self._focuser = focuser
        self._device = device
        self._discovery_port = discovery_port

    def state(self, address):
        """The daemon's report, what Alpaca adds to it, and whether this browser may command."""
        motions = self._device.motions
        return {
            'report': self._focuser.report_status(),
            'is_moving': motions.busy(),
            'last_command': motions.last(),
            'alpaca_clients': self._device.clients.count(),
            'alpaca_port': self._config.alpaca_port,
            'discovery_port': self._discovery_port(),
            'daemon': self._config.daemon_name,
            'control': address in self._config.control_ips,
            'address': address,
        }

    def command(self, address, document):
        """Runs {"command": "move"|"offset"|"stop"|"home", "steps": N}; returns {"ok", "message"}.

        move goes to N steps (the daemon's own step counts, as `focus set`), offset by N (as
        `focus offset`); both return once the motion has started.
        """
        if not isinstance(document, dict):
            raise BadRequest('expected a JSON object such as {"command": "stop"}')
        name = document.get('command')
        if name in ('move', 'offset'):
            steps = document.get('steps')
            if not is_step_count(steps):
                raise BadRequest(f'steps must be a whole number of steps, not {steps!r}')
            code = self._device.motions.start(
                name, lambda: self._focuser.move(steps, name == 'offset'), address)
        elif name == 'home':
            code = self._device.motions.start('home', self._focuser.home, address)
        elif name == 'stop':
            with calling_from(address):
                code = self._focuser.stop()
        else:
            raise BadRequest(f'unknown command {name!r}: move, offset, stop or home')
        ok = code == CommandStatus.Succeeded
        return {'ok': ok, 'message': 'started' if ok and name != 'stop' else CommandStatus.message(code)}
