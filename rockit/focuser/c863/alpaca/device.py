# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The focuser as Alpaca device focuser/0 (IFocuserV4): each member mapped onto the daemon.

Reads (GET) answer from the daemon's cached report_status(), never the serial line. Commands
(PUT) call the daemon's public methods under calling_from(the client's address), so Pyro and
Alpaca share one lock, one set of limits and one access check (control_machines).

Positions: the daemon counts encoder steps between min_steps and max_steps, which may be
negative (the native W1m range is); Alpaca's are 0..MaxStep. So Position = steps - min_steps,
MaxStep = max_steps - min_steps, and Move(p) goes to min_steps + p, with p clamped to
0..MaxStep first, as ConformU expects of a move beyond either end.

Connected is kept per ClientID: several imaging programs may share the focuser. Connecting
initializes the daemon if nobody has (which never moves the motor); disconnecting forgets only
that client and leaves the serial link open for rockit and the other clients. A client that
connects from outside control_machines may read but every command it sends is refused.
"""
import contextlib
import datetime
import logging
import threading
import time

from ..constants import CommandStatus, FocuserStatus
from ..daemon import calling_from
from .motions import Motions
from .protocol import (ACTION_NOT_IMPLEMENTED, DRIVER_ERROR_BASE, INVALID_OPERATION, INVALID_VALUE,
                       NOT_CONNECTED, NOT_IMPLEMENTED, AlpacaError)

INTERFACE_VERSION = 4
DRIVER_VERSION = '1.0'
SUPPORTED_ACTIONS = ['home']
# GCS positions are in the stage's physical unit, millimetres for PI's linear stages.
MICROMETRES_PER_UNIT = 1000.0

OFFLINE_STATES = (FocuserStatus.Disabled, FocuserStatus.Initializing)
# A connect that finds another client's initialize() running waits for it at most this many
# serial timeouts (an identify, an error query and the geometry, each of which may time out).
INITIALIZE_WAIT_FACTOR = 4
STATUS_CHECK_INTERVAL = 0.02

log = logging.getLogger('c863_focusd.alpaca')

# CommandStatus codes that have an ASCOM meaning; every other is DRIVER_ERROR_BASE + code.
ASCOM_ERRORS = {
    CommandStatus.NotConnected: NOT_CONNECTED,
    CommandStatus.NotHomed: INVALID_OPERATION,
    CommandStatus.Blocked: INVALID_OPERATION,
    CommandStatus.CommunicationError: INVALID_OPERATION,
    CommandStatus.PositionOutsideLimits: INVALID_VALUE,
    CommandStatus.InvalidArgument: INVALID_VALUE,
}
EXPLANATIONS = {
    CommandStatus.InvalidControlIP: 'not a control machine: commands are accepted only from the '
                                    'control_machines of the daemon config',
    CommandStatus.NotHomed: 'focuser is not homed: run the action "home" (or `focus home`)',
    CommandStatus.Blocked: 'another motion is in progress',
}


def error_for(code):
    """The AlpacaError for a daemon command's CommandStatus."""
    number = ASCOM_ERRORS.get(code, DRIVER_ERROR_BASE + code)
    return AlpacaError(number, EXPLANATIONS.get(code, CommandStatus.message(code)))


def check(code):
    if code != CommandStatus.Succeeded:
        raise error_for(code)


class Clients:
    """Which ClientIDs are connected, and which are connecting (Connect() runs in the background)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._connected = set()
        self._connecting = set()

    def connected(self, client):
        with self._lock:
            return client in self._connected

    def connecting(self, client):
        with self._lock:
            return client in self._connecting

    def count(self):
        with self._lock:
            return len(self._connected)

    def set(self, client, connected):
        with self._lock:
            (self._connected.add if connected else self._connected.discard)(client)

    def set_connecting(self, client, connecting):
        with self._lock:
            (self._connecting.add if connecting else self._connecting.discard)(client)


class FocuserDevice:
    """IFocuserV4 on a FocuserDaemon. Every member takes the AlpacaRequest; GET members
    return the Value, PUT members return None (no Value) or the Value."""

    def __init__(self, config, focuser, motions=None):
        self._config = config
        self._focuser = focuser
        self.motions = motions or Motions(focuser)
        self.clients = Clients()
        self._connect_lock = threading.Lock()
        self.get_members = {
            'connected': self.get_connected, 'connecting': self.get_connecting,
            'description': self.get_description, 'driverinfo': self.get_driver_info,
            'driverversion': lambda _request: DRIVER_VERSION,
            'interfaceversion': lambda _request: INTERFACE_VERSION,
            'name': self.get_name, 'supportedactions': lambda _request: list(SUPPORTED_ACTIONS),
            'devicestate': self.get_device_state,
            'absolute': self.get_absolute, 'ismoving': self.get_is_moving,
            'maxincrement': self.get_max_step, 'maxstep': self.get_max_step,
            'position': self.get_position, 'stepsize': self.get_step_size,
            'tempcomp': self.get_temp_comp, 'tempcompavailable': self.get_temp_comp,
            'temperature': self.get_temperature,
        }
        self.put_members = {
            'connected': self.put_connected, 'connect': self.put_connect, 'disconnect': self.put_disconnect,
            'action': self.put_action, 'commandblind': self.put_command,
            'commandbool': self.put_command, 'commandstring': self.put_command,
            'halt': self.put_halt, 'move': self.put_move, 'tempcomp': self.put_temp_comp,
        }

    # ---- common members -----------------------------------------------------------------------

    def get_connected(self, request):
        return self.clients.connected(request.client_id) and \
            self._focuser.report_status()['status'] not in OFFLINE_STATES

    def get_connecting(self, request):
        return self.clients.connecting(request.client_id)

    def put_connected(self, request):
        if request.boolean('Connected'):
            self._connect(request.client_id, request.address)
        else:
            self._disconnect(request)

    def put_connect(self, request):
        """Connect(): as Connected=true, in the background; Connecting is true meanwhile."""
        client = request.client_id
        if self.get_connected(request) or self.clients.connecting(client):
            return
        self.clients.set_connecting(client, True)

        def connect():
            try:
                self._connect(client, request.address)
            except AlpacaError:
                pass  # the client sees Connecting end with Connected still false
            finally:
                self.clients.set_connecting(client, False)
        threading.Thread(target=connect, name='alpaca-connect', daemon=True).start()

    def put_disconnect(self, request):
        self._disconnect(request)

    def _disconnect(self, request):
        if self.clients.connected(request.client_id):
            log.info('Alpaca client %d at %s disconnected', request.client_id, request.address)
        self.clients.set(request.client_id, False)

    def _connect(self, client, address):
        """Initializes the daemon if it is offline (never moves the motor), then remembers the client.

        Alpaca clients connect one at a time, so that several connecting at once to an offline
        daemon initialize it once; one that finds an initialize() by Pyro running waits for it.
        """
        with self._connect_lock:
            if self._focuser.report_status()['status'] in OFFLINE_STATES:
                with calling_from(address):
                    code = self._focuser.initialize()
                report = self._wait_while_initializing()
                if report['status'] in OFFLINE_STATES:
                    raise self._connect_failure(code, report)
            self.clients.set(client, True)
        log.info('Alpaca client %d at %s connected', client, address)

    @staticmethod
    def _connect_failure(code, report):
        """Why connecting failed, with the daemon's message on what to do. A refusal to a machine
        outside control_machines says only that: the message's advice (`focus init`) is a
        command that machine may not run either."""
        error = error_for(code)
        if code == CommandStatus.InvalidControlIP:
            return error
        return AlpacaError(error.number, f'{error.message}: {report["message"]}')

    def _wait_while_initializing(self):
        deadline = time.monotonic() + INITIALIZE_WAIT_FACTOR * self._config.serial_timeout
        report = self._focuser.report_status()
        while report['status'] == FocuserStatus.Initializing and time.monotonic() < deadline:
            time.sleep(STATUS_CHECK_INTERVAL)
            report = self._focuser.report_status()
        return report

    def get_description(self, _request):
        return f'PI C-863 Mercury focuser served by c863_focusd ({self._config.daemon_name})'

    def get_driver_info(self, _request):
        # No comma: alpyca splits DriverInfo at commas.
        return ('c863_focusd (rockit-focuser-c863): the focuser daemon of a PI C-863 Mercury servo '
                'controller and its ASCOM Alpaca server')

    def get_name(self, _request):
        return f'C-863 focuser {self._config.daemon_name}'

    def get_device_state(self, request):
        """IsMoving, Position (when known) and TimeStamp; a member that cannot be read is left out."""
        self._report(request)
        state = []
        for name, member in (('IsMoving', self.get_is_moving), ('Position', self.get_position)):
            with contextlib.suppress(AlpacaError):
                state.append({'Name': name, 'Value': member(request)})
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        state.append({'Name': 'TimeStamp', 'Value': now.isoformat(timespec='milliseconds') + 'Z'})
        return state

    def put_action(self, request):
        """Runs the one action, home. Parameters is left unread: home takes none, and alpyca's
        one-argument Action('home') leaves it out although the API requires it."""
        action = request.text('Action')
        if action.strip().lower() not in SUPPORTED_ACTIONS:
            raise AlpacaError(ACTION_NOT_IMPLEMENTED,
                              f'action {action!r} is not implemented; SupportedActions: {SUPPORTED_ACTIONS}')
        self._report(request)
        check(self.motions.start('home', self._focuser.home, request.address))
        return ''

    def put_command(self, request):
        raise AlpacaError(NOT_IMPLEMENTED, 'raw controller commands are not offered: the daemon owns the serial line')

    # ---- focuser members ------------------------------------------------------------------------

    def get_absolute(self, request):
        self._report(request)
        return True

    def get_is_moving(self, request):
        self._report(request)
        return self.motions.busy()

    def get_max_step(self, request):
        low, high = self._limits(self._report(request))
        return high - low

    def get_position(self, request):
        report = self._report(request)
        low, _high = self._limits(report)
        if 'current_steps' not in report:
            raise AlpacaError(INVALID_OPERATION, f'position unknown: {report["message"] or report["status_label"]}')
        return report['current_steps'] - low

    def get_step_size(self, request):
        counts_per_unit = self._report(request).get('counts_per_unit')
        if not counts_per_unit:
            raise AlpacaError(NOT_IMPLEMENTED, 'step size unknown: the native command set counts encoder '
                                               'steps without a physical unit')
        return MICROMETRES_PER_UNIT / counts_per_unit

    def get_temp_comp(self, request):
        """TempComp and TempCompAvailable: the C-863 has no temperature sensor."""
        self._report(request)
        return False

    def get_temperature(self, request):
        self._report(request)
        raise AlpacaError(NOT_IMPLEMENTED, 'the C-863 has no temperature sensor')

    def put_temp_comp(self, request):
        wanted = request.boolean('TempComp')
        self._report(request)
        if wanted:
            raise AlpacaError(NOT_IMPLEMENTED, 'temperature compensation is not available (TempCompAvailable is false)')

    def put_halt(self, request):
        self._report(request)
        with calling_from(request.address):
            check(self._focuser.stop())

    def put_move(self, request):
        """Starts a move to Position (clamped to 0..MaxStep) and returns once it has started."""
        position = request.int32('Position')
        low, high = self._limits(self._report(request))
        target = low + min(max(position, 0), high - low)
        check(self.motions.start('move', lambda: self._focuser.move(target, False), request.address))

    # ---- helpers ------------------------------------------------------------------------------

    def _report(self, request):
        """The daemon's report, for a member that needs the device: refused (NotConnected) to a
        client that has not connected, and while the daemon is offline."""
        if not self.clients.connected(request.client_id):
            raise AlpacaError(NOT_CONNECTED, 'not connected: set Connected to true (or call Connect) first')
        report = self._focuser.report_status()
        if report['status'] in OFFLINE_STATES:
            raise AlpacaError(NOT_CONNECTED, f'the focuser daemon is offline: {report["message"]}')
        return report

    @staticmethod
    def _limits(report):
        if 'min_steps' not in report:
            raise AlpacaError(INVALID_OPERATION, f'no controller: {report["message"]}')
        return report['min_steps'], report['max_steps']
