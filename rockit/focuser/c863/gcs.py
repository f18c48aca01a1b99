# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""PI's GCS 2.0 command set spoken to one C-863 Mercury over a pyserial port.

With serialline.py (the port itself, shared with the native command set) this is the only
module that sees GCS bytes. It knows the framing rules (LF-terminated
requests, single-byte commands, replies whose continuation lines end in 'SP LF', the optional
daisy-chain address), reads the controller's error register after every command, and turns
reply text into Python values. It knows nothing about steps, config files or the daemon.

Failures are those of errors.py. A non-zero ERR? becomes a ControllerError that says what the
code means for the daemon (controller_error): 10 confirms a stop if this port sent one since the
last ERR? (StopLedger), +-1024 is a servo fault.

Reading follows the rules of PI's own library and the EPICS driver (doc/gcs-c863.md
section 1.3): a reply is complete at the first LF whose preceding byte is not a space, a
leading NUL is ignored, and the timeout counts seconds of *silence*, so a long reply at
9600 baud is never cut short while its bytes keep arriving.
"""
import math
import re
import threading
from collections import namedtuple
from decimal import Decimal

from .constants import REFERENCE_MODES
from .errors import GarbledReply, NoReply
from .gcs_errors import StopLedger, controller_error
from .serialline import SerialLine

STOP_ALL_BYTE = 0x18  # '#24'

_STATUS_BYTE = 0x04   # '#4'

# An axis name as GCS 2.0 allows it; anything else could smuggle a second command onto the line.
_AXIS = re.compile(r'[A-Za-z0-9_]{1,16}\Z')
_INTEGER = re.compile(r'[+-]?[0-9]+\Z')
_FLOAT = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\Z')
_STATUS_HEX = re.compile(r'0[xX][0-9A-Fa-f]+\Z')



def format_float(value):
    """The text sent to the controller for a number.

    repr() gives the shortest decimal that reads back as exactly the same double, and
    Decimal's 'f' format writes it out without an exponent (1e-05 -> 0.00001,
    1e+16 -> 10000000000000000). So nothing is rounded away (unlike '%.6f' for small
    steps or '.12g' for large positions) and the controller never has to parse 'e'.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f'expected a number, got {value!r}')
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f'cannot send {value!r} to the controller: not a finite number')
    return format(Decimal(repr(number)), 'f')


# (field, bit) of the #4 status register, C-863.12 layout (MS249E p.126). The switch bits
# are raw line levels: whether 1 means "on the switch" depends on the stage's polarity.
_STATUS_BITS = (
    ('on_target', 15),
    ('referencing', 14),
    ('moving', 13),
    ('servo', 12),
    ('error', 8),
    ('negative_limit', 0),
    ('reference_switch', 1),
    ('positive_limit', 2),
)


class StatusRegister(namedtuple('StatusRegister', ('raw',) + tuple(name for name, _ in _STATUS_BITS))):
    """The decoded reply to #4: one poll tells whether the axis moves, homes, has servo."""
    __slots__ = ()

    @classmethod
    def from_raw(cls, raw):
        """Decodes the register value into its named bits."""
        return cls(raw, *(bool((raw >> bit) & 1) for _, bit in _STATUS_BITS))

    @classmethod
    def parse(cls, text, command='#4'):
        """Decodes the reply text, e.g. '0x9005' (hex digits in either case)."""
        if not _STATUS_HEX.match(text):
            raise GarbledReply(command, text, 'expected a status register such as 0x9005')
        return cls.from_raw(int(text, 16))

    @staticmethod
    def mask(field):
        """The register bit of a field, e.g. 0x8000 for 'on_target'."""
        return 1 << dict(_STATUS_BITS)[field]

    @staticmethod
    def bit_names(mask):
        """The named bits set in mask, for a log line: 'bit 15 (on_target)'..."""
        return [f'bit {bit} ({name})' for name, bit in _STATUS_BITS if mask >> bit & 1]


def _check_axis(axis):
    if not isinstance(axis, str) or not _AXIS.match(axis):
        raise ValueError(f'invalid axis identifier {axis!r}')
    return axis


def _check_flag(on):
    if on not in (True, False):
        raise ValueError(f'expected True or False, got {on!r}')
    return '1' if on else '0'


def _check_parameter_id(pid):
    if isinstance(pid, bool) or not isinstance(pid, int) or pid < 0:
        raise ValueError(f'invalid parameter id {pid!r}')
    return f'0x{pid:X}'


def _check_text(text, what):
    """A command or argument must not carry its own line ends or control bytes."""
    if not isinstance(text, str) or not text or any(ord(c) < 0x20 or ord(c) > 0x7E for c in text):
        raise ValueError(f'invalid {what} {text!r}: must be non-empty printable ASCII')
    return text


def _find_reply_end(buffer, start):
    """Index just past the LF that completes a reply, or None if it is not complete yet.

    A reply ends at the first LF not preceded by a space; 'SP LF' continues it.
    Searching from `start` keeps long multi-line replies linear.
    """
    index = buffer.find(b'\n', start)
    while index != -1:
        if index == 0 or buffer[index - 1] != 0x20:
            return index + 1
        index = buffer.find(b'\n', index + 1)
    return None


def _parse(command, text, pattern, convert, expected):
    """Converts reply text with a strict pattern, naming the command when it is garbage."""
    if not pattern.match(text):
        raise GarbledReply(command, text, f'expected {expected}')
    return convert(text)


def _parse_bool(command, text):
    value = _parse(command, text, _INTEGER, int, '0 or 1')
    if value not in (0, 1):
        raise GarbledReply(command, text, 'expected 0 or 1')
    return value == 1


def _parse_float(command, text):
    """A finite number: '1e999' matches the pattern but reads as inf, which no count fits."""
    value = _parse(command, text, _FLOAT, float, 'a number')
    if not math.isfinite(value):
        raise GarbledReply(command, text, 'expected a finite number')
    return value


class GCSPort(SerialLine):
    """One C-863 on a serial line (device path or pyserial URL), spoken to in GCS 2.0.

    Thread safety: each request and its reply (and the ERR? that checks it) form one
    exchange under a lock, so two threads never interleave or steal each other's error
    code. Writes take a second, short lock of their own, which lets send_byte() put a
    stop byte on the line while another thread is still waiting for a reply.
    """

    def __init__(self, url, baudrate=9600, timeout=5.0, address=None):
        """Opens a device path or pyserial URL (socket://host:port, rfc2217://...).

        The port is locked exclusively where the transport supports it, so no other
        program can interleave bytes; 8N1, no flow control; stale input is discarded.
        timeout: seconds of silence allowed while waiting for a reply (restarts whenever
        bytes arrive). address: daisy-chain address 1-255 (None: unaddressed).
        """
        if address is not None and (isinstance(address, bool) or not isinstance(address, int)
                                    or not 1 <= address <= 255):
            raise ValueError(f'invalid controller address {address!r}: must be 1-255 or None')
        self.address = address
        self._request_prefix = b'' if address is None else f'{address} '.encode('ascii')
        self._reply_prefix = '' if address is None else f'0 {address} '
        self._exchange_lock = threading.Lock()
        self._stops = StopLedger()
        super().__init__(url, baudrate, timeout)

    # ---- bytes on the line -------------------------------------------------------------

    def _read_reply(self, command):
        """The raw bytes of one complete reply (see _find_reply_end)."""
        received = bytearray()
        while True:
            searched = len(received)
            received += self._read_chunk(command, received)
            end = _find_reply_end(received, searched)
            if end is not None:
                break
        if end != len(received):
            raise GarbledReply(command, bytes(received), 'more bytes after the end of the reply')
        return bytes(received)

    def _split_reply(self, command, received):
        """Reply bytes -> lines, without NUL, address prefix, trailing spaces or LFs."""
        text = received.decode('latin-1')
        if '\r' in text:
            raise GarbledReply(command, received, 'carriage return inside a GCS reply')
        lines = [line.rstrip(' ') for line in text[:-1].split('\n')]
        first = lines[0].lstrip('\x00')
        if self._reply_prefix:
            if not first.startswith(self._reply_prefix):
                raise GarbledReply(command, received,
                                    f'reply does not start with the address prefix {self._reply_prefix!r}')
            first = first[len(self._reply_prefix):].lstrip('\x00')
        lines[0] = first
        return lines

    # ---- exchanges (caller holds the exchange lock) -------------------------------------

    def _frame(self, command):
        return self._request_prefix + _check_text(command, 'command').encode('ascii') + b'\n'

    def _frame_byte(self, byte):
        if isinstance(byte, bool) or not isinstance(byte, int) or not 0 <= byte < 0x20 \
                or byte in (0x0A, 0x0D):
            raise ValueError(f'invalid single-byte command {byte!r}: must be a control byte other than LF/CR')
        return self._request_prefix + bytes([byte])

    def _ask(self, command, request):
        """Sends a request and returns its reply lines. On silence, reads ERR? to tell a
        refused query (unknown command, unknown parameter...) from a mute controller."""
        self._tell(request)
        try:
            return self._split_reply(command, self._read_reply(command))
        except NoReply as timeout:
            if timeout.received or command == 'ERR?':
                raise
            try:
                error = self._error_for(command)
            except NoReply:
                raise timeout from None
            if error:
                raise error from None
            raise

    def _ask_error(self):
        """ERR?: (code, whether a stop of ours can explain a 10), see StopLedger."""
        done_before = self._stops.before_reading()
        lines = self._ask('ERR?', self._frame('ERR?'))
        text = self._single_line('ERR?', lines)
        code = _parse('ERR?', text, _INTEGER, int, 'an integer error code')
        return code, self._stops.after_reading(done_before)

    def _error_for(self, command):
        """ERR? after `command`: the ControllerError it reports, or None."""
        code, our_stop = self._ask_error()
        return controller_error(code, command, our_stop) if code else None

    def _tell(self, request):
        """Starts an exchange: a clean input buffer, then the request."""
        self._discard_stale_input()
        self._write(request)

    @staticmethod
    def _single_line(command, lines):
        if len(lines) != 1:
            raise GarbledReply(command, '\n'.join(lines), f'expected one line, got {len(lines)}')
        return lines[0]

    # ---- low level ---------------------------------------------------------------------

    def send(self, command):
        """Sends a set command without reading a reply or the error register."""
        request = self._frame(command)
        with self._exchange_lock:
            self._tell(request)

    def query(self, command):
        """Sends a query and returns its reply lines (address prefix and trailing spaces
        removed). Raises ControllerError if the controller refused it, NoReply if it
        stayed silent without an error."""
        request = self._frame(command)
        with self._exchange_lock:
            return self._ask(command, request)

    def command(self, command):
        """Sends a set command and checks ERR?: ControllerError if it was refused."""
        request = self._frame(command)
        with self._exchange_lock:
            self._tell(request)
            error = self._error_for(command)
        if error:
            raise error

    def read_error(self):
        """ERR?: the controller's latched error code, which reading also clears."""
        with self._exchange_lock:
            return self._ask_error()[0]

    def error(self):
        """ERR? as the ControllerError it reports (None for 0), read and cleared."""
        with self._exchange_lock:
            return self._error_for('ERR?')

    @property
    def stop_unread(self):
        """A stop went out whose error 10 no ERR? has read yet: the next exchange that can
        should read ERR?, whatever the #4 error flag says (it may not show a 10)."""
        return self._stops.unread

    def send_byte(self, byte):
        """Sends a single-byte command that has no reply (#24 = stop all).

        Deliberately does not wait for an exchange in progress in another thread: a stop
        must reach the controller ahead of the next poll, and a reply-less byte cannot
        confuse the reader waiting for its own reply.
        """
        self._write(self._frame_byte(byte))

    def query_byte(self, byte):
        """Sends a single-byte query (#4, #5, #7) and returns its one-line reply."""
        request = self._frame_byte(byte)
        name = f'#{byte}'
        with self._exchange_lock:
            return self._single_line(name, self._ask(name, request))

    # ---- typed queries ------------------------------------------------------------------

    def _query_value(self, parse, mnemonic, axis, *arguments):
        """Asks '<mnemonic> <axis> [arguments]' and returns parse(command, value), where
        value is the reply after its '<axis>=' or '<axis> <id>=' key."""
        command = ' '.join((mnemonic, _check_axis(axis)) + arguments)
        line = self._single_line(command, self.query(command))
        key, equals, value = line.partition('=')
        if not equals or key.split()[:1] != [axis]:
            raise GarbledReply(command, line, f'expected "{axis}=<value>"')
        return parse(command, value)

    def identify(self):
        """*IDN?: the identification line (vendor, model, serial number, firmware)."""
        return self._single_line('*IDN?', self.query('*IDN?'))

    @staticmethod
    def model(idn):
        """The model named in an *IDN? line, e.g. 'C-863.12' (its second comma field)."""
        fields = idn.split(',')
        if len(fields) < 2 or not fields[1].strip():
            raise GarbledReply('*IDN?', idn, 'no model in the second comma-separated field')
        return fields[1].strip()

    def position(self, axis='1'):
        """POS?: the measured position in physical units."""
        return self._query_value(_parse_float, 'POS?', axis)

    def target(self, axis='1'):
        """MOV?: the commanded target in physical units."""
        return self._query_value(_parse_float, 'MOV?', axis)

    def referenced(self, axis='1'):
        """FRF?: True if the axis position is referenced."""
        return self._query_value(_parse_bool, 'FRF?', axis)

    def servo(self, axis='1'):
        """SVO?: True if the servo loop is closed."""
        return self._query_value(_parse_bool, 'SVO?', axis)

    def status_register(self):
        """#4: the status register, decoded."""
        return StatusRegister.parse(self.query_byte(_STATUS_BYTE))

    def status_query(self, axis='1'):
        """SRG? <axis> 1: the same register as #4, asked for by its GCS query."""
        return self._query_value(lambda command, text: StatusRegister.parse(text, command), 'SRG?', axis, '1')

    def on_target(self, axis='1'):
        """ONT?: True if the axis has settled on its target."""
        return self._query_value(_parse_bool, 'ONT?', axis)

    def parameter_float(self, pid, axis='1'):
        """A numeric parameter (e.g. 0xE/0xF, the counts-per-unit fraction)."""
        return self._query_value(_parse_float, 'SPA?', axis, _check_parameter_id(pid))

    def travel_range(self, axis='1'):
        """(TMN?, TMX?): the lowest and highest position the controller will accept."""
        return self._query_value(_parse_float, 'TMN?', axis), self._query_value(_parse_float, 'TMX?', axis)

    def velocity(self, axis='1'):
        """VEL?: the closed-loop velocity in physical units per second."""
        return self._query_value(_parse_float, 'VEL?', axis)

    def acceleration(self, axis='1'):
        """ACC?: the closed-loop acceleration in physical units per second squared."""
        return self._query_value(_parse_float, 'ACC?', axis)

    def deceleration(self, axis='1'):
        """DEC?: the closed-loop deceleration in physical units per second squared."""
        return self._query_value(_parse_float, 'DEC?', axis)

    # ---- commands (checked with ERR?) ---------------------------------------------------

    def _command_axis(self, mnemonic, axis, *arguments):
        self.command(' '.join((mnemonic, _check_axis(axis)) + arguments))

    def set_servo(self, on, axis='1'):
        """SVO: close (True) or open (False) the servo loop."""
        self._command_axis('SVO', axis, _check_flag(on))

    def set_reference_mode(self, on, axis='1'):
        """RON: whether absolute moves require a reference run."""
        self._command_axis('RON', axis, _check_flag(on))

    def reference(self, mode='FRF', axis='1'):
        """Starts a reference run: FRF (reference switch), FNL or FPL (limit switches).

        Returns once the controller accepted it; poll status_register() for the end.
        """
        if mode not in REFERENCE_MODES['gcs']:
            raise ValueError(f'invalid reference mode {mode!r}: expected one of {", ".join(REFERENCE_MODES["gcs"])}')
        self._command_axis(mode, axis)

    def move(self, position, axis='1'):
        """MOV: start an absolute move to `position` (physical units)."""
        self._command_axis('MOV', axis, format_float(position))

    # ---- stopping (no ERR? read: the controller latches error 10, which callers expect) --

    def stop_all(self):
        """#24: like STP, but one byte that goes out at once even during another exchange.
        Counted, so that the error 10 it latches is known to be ours (StopLedger)."""
        with self._stops.sending():
            self.send_byte(STOP_ALL_BYTE)
