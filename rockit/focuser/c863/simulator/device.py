# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Simulator: a whole simulated C-863 (stage, firmware, serial port) with fault injection.

The firmware speaks GCS 2.0 (protocol='gcs', C-863.11/.12) or PI's older native Mercury
commands (protocol='native', C-863.10; see native.py for what differs below: counts instead of
mm, no parameters, deselected at power-on).

Tests and benchmarks run it in their own process, in a background thread, and hand
`sim.device` to the daemon or client under test, which opens it as a real serial device.

The simulated focuser (all values can be changed through SPA like on the real controller):

=====================  =============================================================
units                  mm; 10000 counts per mm (0xE = 10000, 0xF = 1): a count is 0.1 um
travel                 TMN 0 (0x30) .. TMX 25 (0x15); limit switches at both ends
reference switch       mid-travel, reported as 12.5 (0x16) after FRF
carriage at power-on   physical 7.5 mm, reported as 0 (the controller knows nothing yet)
velocity               VEL 1.5 mm/s (0x49), at most 5 mm/s (0xA, raised if VEL needs it)
acceleration           ACC = DEC = 10 mm/s2 (0xB, 0xC), at most 50 (0x4A, 0x4B)
reference runs         coarse at VEL, last 0.5 mm at the reference velocity 0.5 mm/s (0x50)
on target              within 10 counts (0x36) for 0.02 s (0x3F), servo on
power-on               servo off, RON 1, unreferenced, error 0
=====================  =============================================================
"""
import threading
import time
from collections import deque

from .axis import Axis
from .gcs import GCSInterpreter
from .gcs_tables import VELOCITY
from .link import PtyPort, TcpPort, Transport
from .native import NATIVE_OPTIONS, NativeInterpreter

DEFAULT_VELOCITY = 1.5            # mm/s
DEFAULT_REFERENCE_VELOCITY = 0.5  # mm/s
EVENTS_KEPT = 100000              # the event log keeps the most recent ones
PROTOCOLS = ('gcs', 'native')
DEFAULT_MODELS = {'gcs': 'C-863.12', 'native': 'C-863'}


class Simulator:
    """A simulated C-863 on a pseudo-terminal (optionally behind a symlink) or a TCP port.

    Every method is thread-safe and takes effect at once. Times are time.monotonic(), which on
    Linux is comparable across processes. `firmware` is the command interpreter (`gcs` is the
    same object in GCS mode, None in native mode); model defaults to C-863.12 (GCS) or C-863.

    Options of the native firmware only (NativeInterpreter, NATIVE_OPTIONS), refused in GCS
    mode: status_layout ('six', the default, or 'three'), echo (False; True echoes line commands
    from power-on, as after EN), version_lines (2, as the manual prints VE; 1 for one line),
    drop_after_motion (seconds, 0 = off: bytes arriving that soon after MA, MR, GH or FE are
    lost, as EPICS found on C-862 units; each is a 'dropped' event).
    """

    def __init__(self, baud=9600, address=1, link=None, tcp_port=None, velocity=DEFAULT_VELOCITY,
                 reference_velocity=DEFAULT_REFERENCE_VELOCITY, referenced=False,
                 model=None, protocol='gcs', **native):
        if link is not None and tcp_port is not None:
            raise ValueError('a simulator serves either a pty (with an optional link) or TCP')
        if protocol not in PROTOCOLS:
            raise ValueError(f'protocol must be one of {", ".join(PROTOCOLS)}, not {protocol!r}')
        _check_native_options(protocol, native)
        now = time.monotonic()
        self.baud = baud
        self.protocol = protocol
        self._lock = threading.RLock()
        self._events = deque(maxlen=EVENTS_KEPT)
        self.axis = Axis(now=now)
        model = model or DEFAULT_MODELS[protocol]
        if protocol == 'native':
            self.firmware = NativeInterpreter(self.axis, address=address, model=model, record=self._record,
                                              velocity=velocity, reference_velocity=reference_velocity, now=now,
                                              **native)
        else:
            flash = {VELOCITY: float(velocity), 0x50: float(reference_velocity),
                     0x0A: max(5.0, float(velocity))}
            self.firmware = GCSInterpreter(self.axis, address=address, model=model, record=self._record,
                                           flash=flash, now=now)
        if referenced:
            self.firmware.assume_referenced(now)
        port = PtyPort(link) if tcp_port is None else TcpPort(tcp_port)
        self._transport = Transport(port, self.firmware, baud, self._lock)

    # --- life cycle -------------------------------------------------------------------------------

    def start(self):
        """Opens the port and starts serving; returns the device a client should open."""
        self._transport.start()
        return self.device

    @property
    def device(self):
        """The link path when given, else the pty slave path, or socket://127.0.0.1:PORT."""
        return self._transport.port.device

    def close(self):
        """Stops serving, closes the port and removes the link."""
        self._transport.close()

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.close()

    # --- faults -----------------------------------------------------------------------------------

    def unplug(self):
        """The cable is pulled: the client's reads and writes fail, the device (and link) go.
        The controller keeps its state and an axis in motion keeps moving."""
        self._transport.unplug()
        self._record_now('unplug', None)

    def replug(self):
        """A new device appears (a new pty; the link points to it)."""
        self._transport.replug()
        self._record_now('replug', self.device)

    def mute(self, muted=True):
        """Commands are received and executed but never answered."""
        self._transport.muted = muted

    def send_garbage(self, data):
        """Writes raw bytes to the client at once."""
        self._transport.send_garbage(bytes(data))

    def garble_replies(self, enabled=True, how='flip'):
        """Corrupts every reply: 'flip' sets bit 7 of every byte but the final LF; 'truncate'
        drops the final LF, so the client never sees the reply end."""
        if how not in ('flip', 'truncate'):
            raise ValueError(f"garble_replies: how must be 'flip' or 'truncate', not {how!r}")
        self._transport.garble = how if enabled else None

    @property
    def reply_delay(self):
        """Extra controller turnaround before each reply, in seconds ("slow replies")."""
        return self._transport.reply_delay

    @reply_delay.setter
    def reply_delay(self, seconds):
        self._transport.reply_delay = seconds

    def power_cycle(self):
        """Controller back to its power-on state; the carriage stays where it physically is."""
        with self._lock:
            self.firmware.power_cycle(time.monotonic())

    def following_error(self):
        """The servo drops and the carriage stops where it is (GCS: error 1024 latched;
        native: the status bits show it, no error number)."""
        with self._lock:
            self.firmware.following_error(time.monotonic())

    def inject_error(self, code):
        """Latches an error code as if a command had failed."""
        with self._lock:
            self.firmware.inject_error(time.monotonic(), int(code))

    # --- introspection ----------------------------------------------------------------------------

    def state(self):
        """The axis and controller as the firmware sees them now (mm), plus the link."""
        with self._lock:
            state = self.firmware.state(time.monotonic())
        state.update(plugged=self._transport.port.plugged, muted=self._transport.muted,
                     bytes_received=self._transport.bytes_received,
                     bytes_sent=self._transport.bytes_sent)
        return state

    @property
    def events(self):
        """A copy of the event log: (time.monotonic(), name, detail) tuples, oldest first.

        'command' (detail: the line or single byte as received; native: each command of a
        line, and '\x01' plus the board for a selection), 'stop' (HLT, STP or #24; native ST,
        AB or !; at its arrival), 'on_target' (when ONT? turned 1; detail: target), 'reference_done'
        (FRF/FNL/FPL), 'limit_switch', 'following_error', 'error' (injected), 'power_cycle',
        'unplug', 'replug', 'dropped' (native drop_after_motion; detail: the byte as a character).
        """
        with self._lock:
            return list(self._events)

    def wait_for(self, predicate, timeout=10.0):
        """Polls state() until predicate(state) is true and returns that state; raises
        TimeoutError with the last state after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if predicate(state):
                return state
            if time.monotonic() > deadline:
                raise TimeoutError(f'simulator state never matched in {timeout} s: {state}')
            time.sleep(0.005)

    def _record(self, when, name, detail):
        self._events.append((when, name, detail))

    def _record_now(self, name, detail):
        with self._lock:
            self._record(time.monotonic(), name, detail)


def _check_native_options(protocol, native):
    """A native-firmware option given to a GCS simulator is a mistake, not something to ignore."""
    unknown = sorted(set(native) - set(NATIVE_OPTIONS))
    if unknown:
        raise TypeError(f'Simulator got unexpected options: {", ".join(unknown)}')
    if native and protocol != 'native':
        raise ValueError(f'{", ".join(sorted(native))}: options of the native firmware, '
                         "only with protocol='native'")
