# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the setup pages show and do: the live state as JSON, and the controls.

Imaging programs open /setup/v1/focuser/0/setup from their "settings" button. The page (static
HTML, CSS and JS in static/, no external resources) polls state() about once a second. From a
control machine it also offers move-to, offset, stop and home, which call the daemon's methods
under calling_from(the browser's address) like every Alpaca command: the daemon's access check
decides, the page only hides controls that would be refused. A command is taken only from the
page itself (origin.py): the caller's address alone would let any web site open in a control
machine's browser command too.
"""
import json

from ..constants import STEP_LIMIT, CommandStatus
from ..daemon import calling_from, is_step_count
from . import origin
from .protocol import BadRequest


class SetupPage:
    """The setup pages' JSON API on a FocuserDaemon and the Alpaca device's Motions."""

    def __init__(self, config, focuser, device, discovery_port):
        self._config = config
        self._focuser = focuser
        self._device = device
        self._discovery_port = discovery_port
        self._names = origin.machine_names(config.daemon.host, config.http_hosts)

    def refusal(self, host, origin_header, fetch_site):
        """(HTTP status, text) if a command with these headers is not from the page itself, else None."""
        return origin.refusal(host, origin_header, fetch_site, self._names, self._config.alpaca_port)

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
        """Runs {"command": "move"|"offset"|"stop"|"home"|"initialize", "steps": N}; returns
        {"ok", "message"}.

        move goes to N steps (the daemon's own step counts, as `focus set`), offset by N (as
        `focus offset`); both return once the motion has started. stop and initialize return
        when done (initialize never moves the motor, as `focus init`).
        """
        if not isinstance(document, dict):
            raise BadRequest('expected a JSON object such as {"command": "stop"}')
        name, steps = document.get('command'), _steps(document)
        if name in ('move', 'offset'):
            if steps is None:
                raise BadRequest(f'{name} needs steps, such as {{"command": "{name}", "steps": 1000}}')
            code = self._device.motions.start(
                name, lambda: self._focuser.move(steps, name == 'offset'), address)
        elif name == 'home':
            code = self._device.motions.start('home', self._focuser.home, address)
        elif name in ('stop', 'initialize'):
            with calling_from(address):
                code = getattr(self._focuser, name)()
        else:
            raise BadRequest(f'unknown command {name!r}: move, offset, stop, home or initialize')
        ok = code == CommandStatus.Succeeded
        started = ok and name not in ('stop', 'initialize')
        return {'ok': ok, 'message': 'started' if started else CommandStatus.message(code)}


def _steps(document):
    """The command's steps, None if absent. Only a JSON integer is a step count: 1.5, "1000" and
    true are refused rather than rounded or converted, as a page that sends them has a bug."""
    if 'steps' not in document:
        return None
    steps = document['steps']
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise BadRequest(f'steps must be a JSON integer such as 1000, not {json.dumps(steps)[:40]}')
    if not is_step_count(steps):
        raise BadRequest(f'steps must lie within ±{STEP_LIMIT}')
    return steps
