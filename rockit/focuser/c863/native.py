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
* Reports end in CR LF ETX (13, 10, 3) [18, 22], e.g. TP -> "P:+0000005555" [39]; VE's
  may span two lines [42]. A number sent has at most 9 digits [18].
* Set commands have no reply at all: a refusal only shows as an error number in the TS status
  report, which command() reads after every command. Where in the report depends on its
  layout, which differs between the manual and the hardware: native_status.py decodes it.

What the native set cannot say, GCS can: there is no identification beyond the VE text, no
travel range, no "referenced" flag and no error register of GCS codes. controller/native_axis.py decides
what that means for the daemon; this module only moves bytes and parses reports.

Failures are those of errors.py; a non-zero error number becomes a ControllerError carrying
its meaning (controller_error), so the daemon handles both command sets alike.
"""
import re
import threading
import time

from .errors import ControllerError, GarbledReply
from .native_status import NativeStatus, error_text
from .serialline import SerialLine

SELECT = b'\x01'
CR = b'\r'
REPORT_END = b'\r\n\x03'
# VE's report may span lines: the manual prints it on two [42]; a few more are accepted.
VERSION_LINES = 4

# Single-character commands [21]: ' TP, % TS, \ moving, ! AB; + TE, ( TF, # / & ) I/O.
TELL_POSITION = "'"
TELL_STATUS = '%'
TELL_MOVING = '\\'
ABORT = '!'
SINGLE_CHARACTER_COMMANDS = frozenset("'%\\!+(#/&)")

# MA accepts -1,073,741,824 < n < 1,073,741,823 [30], but an argument has at most 9 digits
# [18]: so positions sent stay within +-999,999,999.
MAX_DIGITS = 9
MIN_POSITION = -999999999
MAX_POSITION = 999999999

# Motion commands, after which the next byte waits (NativePort's motion_pause): EPICS motorPI
# found that "C-862 drops transmitted characters on move command" and waits 17 ms.
MOTION_COMMANDS = ('MA', 'MR', 'GH', 'FE')

_COUNTS = re.compile(r'([A-Z]):([+-]?[0-9]{1,10})\Z')
_BOARD = re.compile(r'B:([0-9A-Fa-f]{1,4})\Z')
_MODEL = re.compile(r'\b(C-[0-9]{3}(?:\.[0-9]+)?)\b')
_VERSION = re.compile(r'\bVer\.?\s*([0-9][0-9.]*[0-9])')
_LONG_NUMBER = re.compile(f'[0-9]{{{MAX_DIGITS + 1},}}')


def controller_error(status, command):
    """The ControllerError for a non-zero error number in a TS report, after a command or a
    poll, with its meaning in the report's layout. The native set has no number for a stop or a
    servo fault: those it never reports here."""
    return ControllerError(status.error, error_text(status.error, status.layout), command)


# PI's GCS code for "servo switched off automatically" (PI_MOTION_ERROR), under which a motor
# that switched itself off is shown: the native set reports it only as the motor-off bit.
MOTOR_SWITCHED_OFF = -1024


def motor_switched_off(command):
    """The ControllerError for a motor the controller switched off by itself (a following
    error: the position can no longer be trusted)."""
    return ControllerError(MOTOR_SWITCHED_OFF, 'PI_MOTION_ERROR: position error too large, servo switched off '
                           'automatically', command, servo_fault=True)


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
    if _LONG_NUMBER.search(line):
        raise ValueError(f'invalid command {line!r}: a number has at most {MAX_DIGITS} digits (MS176E p. 18)')
    return line


def _starts_motion(line):
    """True if a command of the line starts a motion (MOTION_COMMANDS)."""
    return any(part.strip().upper().startswith(MOTION_COMMANDS) for part in line.split(','))


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

    Pacing: after a line that starts a motion, the next byte waits motion_pause seconds, as
    EPICS found the C-862 drops characters sent at once (doc/mercury-native.md section 1). A
    stop is never held back: it goes out at once and, inside that pause, once more after it.
    """

    def __init__(self, url, baudrate=9600, timeout=5.0, board=0, motion_pause=0.0):
        """Opens the port (see SerialLine) for board 0-15; select() must come first."""
        self.board = board
        self._select_code = SELECT + _board_character(board)
        self._exchange_lock = threading.Lock()
        self._motion_pause = motion_pause
        self._quiet_until = 0.0  # monotonic time before which the controller may drop bytes
        super().__init__(url, baudrate, timeout)

    # ---- exchanges ------------------------------------------------------------------------

    def _read_report(self, command, request, lines=1):
        """The text of one report: bytes up to CR LF ETX, without them. An echo of the request
        (a controller in echo mode) is skipped; a report of several lines (VE) is joined with
        spaces when `lines` allows it."""
        received = bytearray()
        while True:
            searched = max(0, len(received) - len(REPORT_END) + 1)
            received += self._read_chunk(command, received)
            end = received.find(REPORT_END, searched)
            if end != -1:
                break
        if end + len(REPORT_END) != len(received):
            raise GarbledReply(command, bytes(received), 'more bytes after the end of the report')
        text = _without_echo(received[:end], request).decode('latin-1')
        parts = text.split('\r\n')
        if len(parts) > lines or any(c in part for part in parts for c in '\r\n\x03'):
            raise GarbledReply(command, bytes(received), 'a line end inside a report')
        return ' '.join(part.strip() for part in parts) if len(parts) > 1 else text

    def _write_paced(self, request):
        """Writes a request once the pause after a motion command is over (exchange lock held)."""
        wait = self._quiet_until - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._discard_stale_input()
        self._write(request)

    def _exchange(self, command, request, lines=1):
        """Sends a request and returns its report (caller holds the exchange lock)."""
        self._write_paced(request)
        return self._read_report(command, request, lines)

    def _send_line(self, line):
        """Sends a line command and starts the pause if it starts a motion (exchange lock held).
        The pause counts from when the line's last byte has left the wire, not from the write,
        which returns as soon as the bytes are queued."""
        request = _check_line(line).encode('ascii') + CR
        self._write_paced(request)
        if self._motion_pause and _starts_motion(line):
            self._quiet_until = time.monotonic() + len(request) * self.byte_time + self._motion_pause

    # ---- low level --------------------------------------------------------------------------

    def select(self):
        """Sends the address selection code: this board answers from now on, others are deaf."""
        with self._exchange_lock:
            self._write_paced(self._select_code)

    def send(self, line):
        """Sends a line (one command or several separated by commas) without checking it."""
        with self._exchange_lock:
            self._send_line(line)

    def command(self, line):
        """Sends a line, then reads TS: ControllerError if it shows an error number."""
        with self._exchange_lock:
            self._send_line(line)
            status = NativeStatus.parse(self._exchange('TS', TELL_STATUS.encode('ascii')))
        if status.error:
            raise controller_error(status, line)
        return status

    def query(self, line, lines=1):
        """Sends a report command such as 'TT' and returns its report text."""
        request = _check_line(line).encode('ascii') + CR
        with self._exchange_lock:
            return self._exchange(line, request, lines)

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
        request = character.encode('ascii')
        self._write(request)
        wait = self._quiet_until - time.monotonic()
        if wait > 0:  # it may have been dropped: once more when the controller listens again
            time.sleep(wait)
            self._write(request)

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
        """% (TS): the status report, decoded by its length (native_status.py)."""
        return NativeStatus.parse(self.query_character(TELL_STATUS))

    def velocity(self):
        """TY: the programmed velocity, counts per second."""
        return _parse_counts('TY', self.query('TY'), 'Y')

    def acceleration(self):
        """TL: the programmed acceleration, counts per second squared."""
        return _parse_counts('TL', self.query('TL'), 'L')

    def report_value(self, command, letter):
        """A number report such as GP -> 'G:+0000000350' -> 350 (reading back a setting)."""
        return _parse_counts(command, self.query(command), letter)

    def version(self):
        """VE: the copyright and firmware text, on one line or two as the manual prints it
        [42]: '(c)2007 Physik Instrumente(PI) Karlsruhe, C-863, Ver. 1.09, 2007-08-28'."""
        return self.query('VE', lines=VERSION_LINES).strip()

    def board_number(self):
        """TB: the board number of the selected controller (a check that selection worked)."""
        text = self.query('TB')
        match = _BOARD.match(text)
        if not match:
            raise GarbledReply('TB', text, 'expected a report such as "B:0"')
        return int(match.group(1), 16)

    @staticmethod
    def model_and_firmware(version):
        """('C-863', '1.09') from a VE text; (None, ...) if it names no PI model."""
        model = _MODEL.search(version)
        firmware = _VERSION.search(version)
        return model.group(1) if model else None, firmware.group(1) if firmware else 'unknown'

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


def _without_echo(received, request):
    """A report without the echo of its request in front (echo mode: the request's bytes, a
    line's CR perhaps followed by LF (?)), so a controller left in echo mode still reads right.
    No report begins with a request's own characters, so nothing real is taken for an echo."""
    command = request.rstrip(CR)
    echoes = (command + b'\r\n', command + CR) if request.endswith(CR) else (request,)
    for echo in echoes:
        if received.startswith(echo):
            return received[len(echo):]
    return received
