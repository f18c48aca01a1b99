# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""PI's native Mercury command set (C-863.10 firmware) spoken to one controller over a pyserial port.

Facts from PI's manual MS176E (Native Commands for Mercury Class Controllers, release 1.0.1),
page numbers in brackets; doc/mercury-native.md sums them up with the same page numbers:

* A controller is deaf after power-up or reset until the host sends its address selection
  code: ctrl-A (0x01) and the board number 0-F (device number minus one), no terminator.
  It then answers until another board is selected [7, 8, 13].
* Commands are two letters and an optional integer, terminated by CR; several may go on one
  line separated by commas, executed in order [14, 17]. A CR alone re-executes the previous
  line [14], so this module never sends one.
* Single-character commands (' % \\ ! + ( and a few more) are executed at once, even in the
  middle of a line or of a running compound command, and need no terminator [15, 21].
  Because they act wherever they appear, they are refused inside line commands here.
* Reports end in CR LF ETX (13, 10, 3) [18, 22], e.g. TP -> "P:+0000005555" [39].
  Set commands have no reply at all: a refusal only shows as an error number in the third
  byte of the TS status report [40], which command() reads after every command.

What the native set cannot say, GCS can: there is no identification beyond the VE text, no
travel range, no "referenced" flag and no error register of GCS codes. controller/native_axis.py decides
what that means for the daemon; this module only moves bytes and parses reports.

Failures are those of errors.py; a non-zero error number becomes a ControllerError carrying
its meaning here (controller_error), so the daemon handles both command sets alike.
"""
import re
import threading
from collections import namedtuple

from .errors import ControllerError, GarbledReply
from .serialline import SerialLine

SELECT = b'\x01'
CR = b'\r'
REPORT_END = b'\r\n\x03'

# Single-character commands [21]: ' TP, % TS, \ moving, ! AB; + TE, ( TF, # / & ) I/O.
TELL_POSITION = "'"
TELL_STATUS = '%'
TELL_MOVING = '\\'
ABORT = '!'
SINGLE_CHARACTER_COMMANDS = frozenset("'%\\!+(#/&)")

# MA accepts -1,073,741,824 < n < 1,073,741,823 [30]; MR targets must stay within +-1,073,741,823 [31].
MIN_POSITION = -1073741823
MAX_POSITION = 1073741822

# The third byte of the TS report [40].
ERRORS = {
    0: 'no error',
    1: 'RS-232 timeout',
    2: 'RS-232 overflow',
    3: 'macro storage full',
    4: 'macro out of range',
    5: 'wrong macro command',
    6: 'command error',
}

_COUNTS = re.compile(r'([A-Z]):([+-]?[0-9]{1,10})\Z')
_STATUS = re.compile(r'S:([0-9A-Fa-f]{2})((?: [0-9A-Fa-f]{2}){2,})\Z')
_BOARD = re.compile(r'B:([0-9A-Fa-f]{1,4})\Z')
_MODEL = re.compile(r'\b(C-[0-9]{3}(?:\.[0-9]+)?)\b')
_VERSION = re.compile(r'\bVer\.?\s*([0-9][0-9.]*[0-9])')


def error_text(code):
    """The manual's meaning of a native error number [40], for logs and status displays."""
    return ERRORS.get(code, f'unknown native error {code}')


def controller_error(code, command):
    """The ControllerError for a non-zero error number in TS byte 3 after a command or a poll.
    The native set has no number for a stop or a servo fault: those it never reports here."""
    return ControllerError(code, error_text(code), command)


# PI's GCS code for "servo switched off automatically" (PI_MOTION_ERROR), under which a motor
# that switched itself off is shown: the native set reports it only as the motor-off bit.
MOTOR_SWITCHED_OFF = -1024


def motor_switched_off(command):
    """The ControllerError for a motor the controller switched off by itself (a following
    error: the position can no longer be trusted)."""
    return ControllerError(MOTOR_SWITCHED_OFF, 'PI_MOTION_ERROR: position error too large, servo switched off '
                           'automatically', command, servo_fault=True)


# (field, byte, bit) of the TS report [40]. The first two bytes are bit fields; the third is
# the error number. Firmware may send more bytes (the manual's own example shows six); only
# these three are described, so only these are read.
_STATUS_BITS = (
    ('ready', 0, 0),
    ('on_target', 0, 1),
    ('referencing', 0, 2),
    ('joystick', 0, 3),
    ('macro_running', 0, 4),
    ('motor_off', 0, 5),
    ('brake_on', 0, 6),
    ('drive_current', 0, 7),
    ('negative_limit', 1, 0),
    ('reference_signal', 1, 1),
    ('positive_limit', 1, 2),
)


class NativeStatus(namedtuple('NativeStatus', ('raw', 'error') + tuple(name for name, _, _ in _STATUS_BITS))):
    """The decoded TS report: one exchange says whether the motor is on, on target, referencing,
    on a limit switch, and the last error number. raw is the report's bytes as a tuple."""
    __slots__ = ()

    @classmethod
    def from_bytes(cls, raw):
        raw = tuple(raw)
        return cls(raw, raw[2], *(bool((raw[byte] >> bit) & 1) for _, byte, bit in _STATUS_BITS))

    @classmethod
    def parse(cls, text):
        """Decodes 'S:04 02 00 03 02 00' (at least three two-digit hex bytes)."""
        match = _STATUS.match(text)
        if not match:
            raise GarbledReply('TS', text, 'expected a status report such as "S:04 02 00 03 02 00"')
        return cls.from_bytes(int(field, 16) for field in (match.group(1),) + tuple(match.group(2).split()))

    @property
    def servo(self):
        """The servo loop holds the axis (the motor is not OFF)."""
        return not self.motor_off


def _board_character(board):
    if isinstance(board, bool) or not isinstance(board, int) or not 0 <= board <= 15:
        raise ValueError(f'invalid board number {board!r}: must be 0-15 (device number minus one)')
    return f'{board:X}'.encode('ascii')


def _check_line(line):
    """A line command must be printable ASCII without characters the controller would take as
    single-character commands (they would act at once instead of being part of the line)."""
    if not isinstance(line, str) or not line or any(ord(c) < 0x20 or ord(c) > 0x7E for c in line):
        raise ValueError(f'invalid command {line!r}: must be non-empty printable ASCII')
    acting = sorted(set(line) & SINGLE_CHARACTER_COMMANDS)
    if acting:
        raise ValueError(f'invalid command {line!r}: {" ".join(acting)} would act as single-character commands')
    return line


def _check_position(value, what='position'):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f'expected an integer {what}, got {value!r}')
    if not MIN_POSITION <= value <= MAX_POSITION:
        raise ValueError(f'{what} {value} is outside the controller range {MIN_POSITION}..{MAX_POSITION}')
    return value


def _parse_counts(command, text, letter):
    """'P:+0000005555' -> 5555, checking the report's identifier letter."""
    match = _COUNTS.match(text)
    if not match or match.group(1) != letter:
        raise GarbledReply(command, text, f'expected a report such as "{letter}:+0000005555"')
    return int(match.group(2))


class NativePort(SerialLine):
    """One Mercury controller (board 0-15) on a serial line, spoken to in native commands.

    Thread safety: a request and its report form one exchange under a lock. send_character()
    takes only the short write lock, so a stop ('!') goes out at once even while another
    thread waits for a report: '!' has no report of its own to confuse that thread.
    """

    def __init__(self, url, baudrate=9600, timeout=5.0, board=0):
        """Opens the port (see SerialLine) for board 0-15; select() must come first."""
        self.board = board
        self._select_code = SELECT + _board_character(board)
        self._exchange_lock = threading.Lock()
        super().__init__(url, baudrate, timeout)

    # ---- exchanges ------------------------------------------------------------------------

    def _read_report(self, command):
        """The text of one report: bytes up to CR LF ETX, without them."""
        received = bytearray()
        while True:
            searched = max(0, len(received) - len(REPORT_END) + 1)
            received += self._read_chunk(command, received)
            end = received.find(REPORT_END, searched)
            if end != -1:
                break
        if end + len(REPORT_END) != len(received):
            raise GarbledReply(command, bytes(received), 'more bytes after the end of the report')
        text = received[:end].decode('latin-1')
        if any(c in text for c in '\r\n\x03'):
            raise GarbledReply(command, bytes(received), 'a line end inside a report')
        return text

    def _exchange(self, command, request):
        """Sends a request and returns its report (caller holds the exchange lock)."""
        self._discard_stale_input()
        self._write(request)
        return self._read_report(command)

    def _send_under_lock(self, request):
        self._discard_stale_input()
        self._write(request)

    # ---- low level --------------------------------------------------------------------------

    def select(self):
        """Sends the address selection code: this board answers from now on, others are deaf."""
        with self._exchange_lock:
            self._send_under_lock(self._select_code)

    def send(self, line):
        """Sends a line (one command or several separated by commas) without checking it."""
        request = _check_line(line).encode('ascii') + CR
        with self._exchange_lock:
            self._send_under_lock(request)

    def command(self, line):
        """Sends a line, then reads TS: ControllerError if it shows an error number."""
        request = _check_line(line).encode('ascii') + CR
        with self._exchange_lock:
            self._send_under_lock(request)
            status = NativeStatus.parse(self._exchange('TS', TELL_STATUS.encode('ascii')))
        if status.error:
            raise controller_error(status.error, line)
        return status

    def query(self, line):
        """Sends a report command such as 'TT' and returns its report text."""
        request = _check_line(line).encode('ascii') + CR
        with self._exchange_lock:
            return self._exchange(line, request)

    def query_character(self, character):
        """Sends a single-character report command such as "'" and returns its report text."""
        if character not in SINGLE_CHARACTER_COMMANDS or character == ABORT:
            raise ValueError(f'invalid single-character query {character!r}')
        with self._exchange_lock:
            return self._exchange(character, character.encode('ascii'))

    def send_character(self, character):
        """Sends a single-character command that has no report ('!': stop now)."""
        if character != ABORT:
            raise ValueError(f'{character!r} is not a single-character command without a report')
        self._write(character.encode('ascii'))

    # ---- typed queries ------------------------------------------------------------------------

    def position(self):
        """' (TP): the position counter, in encoder counts."""
        return _parse_counts(TELL_POSITION, self.query_character(TELL_POSITION), 'P')

    def target(self):
        """TT: the commanded target position, in counts."""
        return _parse_counts('TT', self.query('TT'), 'T')

    def moving(self):
        """\\: True while the motor is moving (the report is "1" or "0")."""
        text = self.query_character(TELL_MOVING)
        if text not in ('0', '1'):
            raise GarbledReply(TELL_MOVING, text, 'expected "0" or "1"')
        return text == '1'

    def status(self):
        """% (TS): the status report, decoded."""
        return NativeStatus.parse(self.query_character(TELL_STATUS))

    def velocity(self):
        """TY: the programmed velocity, counts per second."""
        return _parse_counts('TY', self.query('TY'), 'Y')

    def acceleration(self):
        """TL: the programmed acceleration, counts per second squared."""
        return _parse_counts('TL', self.query('TL'), 'L')

    def version(self):
        """VE: the copyright and firmware line, e.g. '(c)2007 Physik Instrumente(PI) Karlsruhe,
        C-863, Ver. 1.09, 2007-08-28'."""
        return self.query('VE').strip()

    def board_number(self):
        """TB: the board number of the selected controller (a check that selection worked)."""
        text = self.query('TB')
        match = _BOARD.match(text)
        if not match:
            raise GarbledReply('TB', text, 'expected a report such as "B:0"')
        return int(match.group(1), 16)

    @staticmethod
    def model_and_firmware(version):
        """('C-863', '1.09') from a VE line; GarbledReply if it names no PI model."""
        model = _MODEL.search(version)
        if not model:
            raise GarbledReply('VE', version, 'no PI model (such as C-863) in the version line')
        firmware = _VERSION.search(version)
        return model.group(1), firmware.group(1) if firmware else 'unknown'

    # ---- commands (checked through TS) ---------------------------------------------------------

    def move(self, position):
        """MA: start an absolute move, in counts."""
        self.command(f'MA{_check_position(position)}')

    def define_home(self, position=0):
        """DH: the current position becomes `position` (target too): no motion."""
        self.command(f'DH{_check_position(position)}')

    # ---- stopping ----------------------------------------------------------------------------

    def abort(self):
        """! (AB): stop at once; the target becomes the current position. One byte, sent
        ahead of any exchange in progress."""
        self.send_character(ABORT)
