# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""PI's native Mercury command set, as a C-863 with native firmware (1.06 and later) speaks it,
interpreted on top of the simulated axis.

The interpreter takes the bytes that arrive on the wire, one at a time with their arrival time,
and returns the report bytes (or None), like gcs.py beside it. Facts come from PI's manual
MS176E release 1.0.1 (pages in brackets), summed up in doc/mercury-native.md with the same page
numbers. Where the manual is silent, the choice made here is marked (?), to check on a unit.

* Deaf after power-up and RT until its address selection code arrives: ctrl-A and the board
  number 0-F (device number minus one); another board's code deselects it. A deselected
  controller ignores everything else, and a compound command it is running keeps going but
  reports nothing [7, 8, 13].
* A line is one command (two letters and an optional integer) or several separated by commas,
  executed in order when the CR arrives; case does not matter and spaces are allowed [14, 17].
  A CR alone executes the previous line again [14]. LF is ignored (?).
* Single-character commands act at once, even inside a line being received or while a compound
  command waits, without disturbing either: ' TP, % TS, \\ moving, ! AB, + TE, ( TF [15, 21].
  Any other character interrupts a compound command that is waiting (WS, WA) [17, 46].
* Echo (EF off, as labtools sends at start; EN on (?); the echo option sets it at power-on):
  with echo on, every byte of a line command goes back as it arrives, and its CR as CR LF (?),
  before the line's reports. Single-character commands, selection codes and the LF that is
  ignored are not echoed (?).
* drop_after_motion (s, 0 = off) models what EPICS's C-862 driver records: "C-862 drops
  transmitted characters on move command" (they wait 17 ms). Every byte that arrives within
  that time after MA, MR, GH or FE started a motion (at the CR of its line, or when a compound
  command's wait ends (?)) is ignored, and recorded as a 'dropped' event.
* Reports end in CR LF ETX; numbers are a letter, a colon, a sign and ten digits: TP
  "P:+0000005555" [18, 39]. TS is "S:" and hex bytes. The manual's table describes three
  (status bits, switch lines, error number [40]) but its example shows six, and drivers proven
  on C-862/C-863 units read six with another map (an LM629's status, internal flags, motor loop
  flags, signal line status and levels, error number): status_layout 'six' (the default) sends
  those, 'three' the manual's table (native_registers.py).
* Set commands never reply. A command that cannot be executed sets an error number and ends
  the line (?). In the six-byte layout (labtools' table): 1 for an unknown command, 2 when it
  does not begin with a letter, 3 for an argument that is not a number or is missing (?), 4 or 5
  for one too large or too small (more than 9 digits: too large, too small with a minus sign
  (?)), 7 for a line longer than MAX_LINE. In the three-byte layout: 6 (command error), and 2
  (overflow) for a long line (?). The number stays in the report until a TS reports it (?).
* MA, MR, GH and FE need the motor on (MN); with it off they are command errors (?): 6 in the
  three-byte layout, 1 in the six-byte one, whose table has no number for it (?).
* VE reports two lines, "(c)2007 Physik Instrumente(PI)" and "Karlsruhe, C-863, Ver. 1.09,
  2007-08-28", as the manual prints it [42] (the break being CR LF (?)); version_lines=1 puts
  them on one line.
* ST [35]: decelerate and come back to the position captured when ST arrived; the previous
  target is kept, and the next line command (anything but DH or AB) first restarts the motor
  towards it. AB and ! stop dead, target = position [22]. DH n: the position becomes n (0 if
  omitted), the target too; if the axis was moving it stops there (?) [24].
* FE0/FE1 search in the positive/negative direction for a change of the reference signal;
  FE2 picks the direction from the signal (standard PI stages); FE3 the opposite (stages with an
  inverted signal) [26]. A search that heads away from the switch runs into a limit switch and
  stops there, which a client must recognise as a failed search. FE does not change the
  position count: DH afterwards does [49].
* The simulated stage reads 10000 counts per mm (COUNTS_PER_MM), like the GCS mode's default,
  so Simulator.state() (in mm) means the same in both modes. The limit switches always stop the
  carriage (the C-863's hardware interlock); LN/LF (switches on/off) and LH/LL (active high/low)
  change only what the six-byte status report shows.

Not modelled: macros (MD, EM, RM, TM, TZ, RZ, RP, SC), joystick (JN, JF, JT, SI, SJ), digital and
analog I/O (CN, CF, CP, TC, TA, WN, WF, XN, XF, YN, YF and the # / & ) characters), TV, TD, CS,
stepper-only commands. Reports of commands that run after a wait (e.g. TP in "MR500,WS0,TP") are
returned by advance(); the transport sends only replies to received bytes (see link.py).

This file is the firmware's frame: power-on state, selection, framing, compound commands and
their waits, RT. The commands live beside it: native_motion.py (motion, find-edge, stops),
native_registers.py (settings and reports); native_syntax.py holds the command tables and the
count and report formats.
"""
from collections import deque

from .firmware import Firmware, LineBuffer
from .native_motion import NativeMotionCommands
from .native_registers import NativeRegisterCommands
from .native_syntax import (CHARACTER_COMMANDS, COUNTS_PER_MM, ERROR_NUMBERS, LINE_COMMANDS,
                            STATUS_LAYOUTS, CommandError, argument_value, command, required,
                            to_counts, to_mm, within)

SELECT, LF, CR = 0x01, 0x0A, 0x0D
REPORT_END = '\r\n\x03'
MAX_LINE = 256        # characters; a longer line is dropped with an overflow error (?)

# What a Simulator passes on to NativeInterpreter when protocol='native' (device.py).
NATIVE_OPTIONS = ('status_layout', 'echo', 'version_lines', 'drop_after_motion')

# The carriage at the reference switch reads 12.5 mm (as in GCS mode, where 0x16 says so) when
# the simulator starts "referenced": as if FE2 and DH125000 had been done before.
ASSUMED_REFERENCE_COUNTS = 125000

DEFAULT_ACCELERATION = 400000   # counts/s2, the C-863 default [33]
SETTLE_WINDOW = 10              # counts, for the on-target bit (?)
SETTLE_TIME = 0.02              # s
DEFAULT_WAIT_STOP = 1000        # ms, WS without an argument [43]


class NativeInterpreter(NativeMotionCommands, NativeRegisterCommands, Firmware):
    """A C-863 speaking native Mercury commands: selection, line and single-character
    framing, compound commands with waits, reports, motion, find-edge, stops, faults.

    receive(byte, t) is fed every byte at its arrival time t and returns report bytes or None.
    advance(t) runs what is due (the rest of a compound command after a wait) and returns the
    reports that produced. record(t, name, detail) is told about commands, stops and axis events.
    address is the device number 1-16 (the board number plus one), as in GCS mode.
    status_layout is how TS reports: 'six' bytes (default) or MS176E's 'three' (STATUS_LAYOUTS).
    echo: whether line commands are echoed after power-on and RT (EN/EF change it meanwhile).
    version_lines: VE's report on 2 lines as the manual prints it [42], or on 1.
    drop_after_motion: seconds after a motion command during which arriving bytes are lost.
    """

    counts_per_unit = COUNTS_PER_MM

    def __init__(self, axis, address=1, model='C-863', record=None, velocity=1.5,
                 reference_velocity=0.5, now=0.0, status_layout='six', echo=False,
                 version_lines=2, drop_after_motion=0.0):
        if isinstance(address, bool) or not isinstance(address, int) or not 1 <= address <= 16:
            raise ValueError(f'invalid address {address!r}: a native controller is device 1-16 (board 0-F)')
        if status_layout not in STATUS_LAYOUTS:
            raise ValueError(f'status_layout must be one of {", ".join(STATUS_LAYOUTS)}, not {status_layout!r}')
        if version_lines not in (1, 2):
            raise ValueError(f'version_lines must be 1 or 2, not {version_lines!r}')
        if isinstance(drop_after_motion, bool) or not drop_after_motion >= 0:
            raise ValueError(f'drop_after_motion must be 0 or more seconds, not {drop_after_motion!r}')
        self.board = f'{address - 1:X}'
        self.status_layout = status_layout
        self.power_on_echo = bool(echo)
        self.version_lines = version_lines
        self.drop_after_motion = drop_after_motion
        self.power_on_velocity = to_counts(velocity)
        self.reference_velocity = reference_velocity
        super().__init__(axis, address, model, record, now)

    def _power_on(self, t):
        """After power-up or RT: deselected, motor off, brake on, count 0, defaults [7, 22, 33]."""
        self.selected = False
        self.error = 0
        self.echo = self.power_on_echo
        self.brake = True
        self.velocity = self.power_on_velocity
        self.acceleration = DEFAULT_ACCELERATION
        self.settings = {}            # gains, integration and following-error limits
        self.limits_enabled = True    # LN / LF (?)
        self.limits_active_high = True  # LH / LL (?)
        self.positive_direction = False  # the last move went the positive way (?)
        self.position_error = False   # a following error switched the motor off; MN clears it
        self._line = LineBuffer(MAX_LINE)
        self._last_line = None        # what a CR alone executes again
        self._selecting = False       # ctrl-A received, board character next
        self._pending = deque()       # the rest of a compound command that waits
        self._wait = None             # ('until', time) or ('stop', milliseconds)
        self._resume_target = None    # counts: where ST left the previous target
        self._edge_search = None      # 'FE0'..'FE3' while one runs
        self._deaf_until = t          # bytes arriving before this are dropped (drop_after_motion)
        self._configure_axis(t)

    def _configure_axis(self, t):
        self.axis.configure(t, velocity=to_mm(self.velocity), acceleration=to_mm(self.acceleration),
                            deceleration=to_mm(self.acceleration),
                            reference_velocity=self.reference_velocity,
                            settle_window=to_mm(SETTLE_WINDOW), settle_time=SETTLE_TIME)

    # --- events from outside (fault injection, the simulator's timers) -------------------------

    def advance(self, t):
        """Applies axis events and resumes a waiting compound command; returns its reports."""
        super().advance(t)
        resume_at = self._resume_time(self._latest)
        if resume_at is None:
            return None
        self._wait = None
        return self._reply(self._run(self._pending, resume_at))

    def next_due(self):
        times = [time for time in (self.axis.next_due(), self._wait_due()) if time is not None]
        return min(times) if times else None

    def _wait_due(self):
        if self._wait is None:
            return None
        kind, value = self._wait
        if kind == 'until':
            return value
        return self.axis.next_due() or self._latest  # WS: look again when the axis settles

    def _resume_time(self, t):
        """When a waiting compound command may go on, if it may by t; else None."""
        if self._wait is None:
            return None
        kind, value = self._wait
        if kind == 'until':
            return value if value <= t else None
        if self.axis.moving(t):
            return None
        self._wait = ('until', t + value / 1000)
        return self._resume_time(t)

    # --- what Firmware asks of a command set ----------------------------------------------------

    def _servo_dropped(self):
        """The servo gave up (the position error passed the SM limit): motor off, the carriage
        stopped. No error number says so: the three-byte status shows only 'motor OFF' (?), the
        six-byte one also 'position error exceeded' until MN."""
        self._edge_search = self._resume_target = None
        self.position_error = True

    def assume_referenced(self, t):
        """Start-up as if a previous session had selected the board, switched the motor on,
        found the reference edge and defined it as ASSUMED_REFERENCE_COUNTS."""
        super().assume_referenced(t)
        self.selected = True

    def _assumed_reference(self):
        return to_mm(ASSUMED_REFERENCE_COUNTS)

    def _registers(self, t):
        """In mm like GCS mode, and the native registers."""
        return {
            'referencing': self._referencing(t),
            'selected': self.selected,
            'error': self.error,
            'counts_per_unit': COUNTS_PER_MM,
            'velocity': to_mm(self.velocity),
        }

    # --- framing -------------------------------------------------------------------------------

    def receive(self, byte, t):
        """One byte arrived at time t; returns the report bytes, if any."""
        t = self._now(t)
        if t < self._deaf_until:
            self._record(t, 'dropped', chr(byte))
            return None
        if self._selecting:
            self._selecting = False
            return self._select(chr(byte), t)
        if byte == SELECT:
            self._selecting = True
            return None
        if not self.selected:
            return None
        if byte in CHARACTER_COMMANDS:
            self._record(t, 'command', chr(byte))
            return self._reply([CHARACTER_COMMANDS[byte].function(self, t)])
        if byte == CR:
            return _joined(self._echoed(b'\r\n'), self._end_of_line(t))
        if byte == LF:
            return None
        self._interrupt()
        if not self._line.add(byte):
            self._fail('overflow')
        return self._echoed(bytes([byte]))

    def _echoed(self, data):
        """What goes back of a line command's byte as it arrives: itself with echo on (a CR as
        CR LF), else nothing."""
        return data if self.echo else None

    def _select(self, code, t):
        """The second character of an address selection code: ours selects, any other deselects."""
        self._record(t, 'command', '\x01' + code)
        self.selected = code == self.board
        self._line.clear()

    def _interrupt(self):
        """A new line begins: a compound command still waiting is abandoned [17]."""
        if self._pending:
            self._pending.clear()
            self._wait = None

    def _end_of_line(self, t):
        line = self._line.take()
        if line is None:
            return None
        if line.strip():
            self._last_line = line
        elif self._last_line is not None:
            line = self._last_line
        else:
            return None
        self._interrupt()
        self._pending.extend(part for part in line.split(',') if part.strip())
        return self._reply(self._run(self._pending, t))

    def _reply(self, reports):
        """Report strings -> bytes, each ending in CR LF ETX; a deselected board stays silent."""
        reports = [report for report in reports if report is not None]
        if not reports or not self.selected:
            return None
        return ''.join(report + REPORT_END for report in reports).encode('latin-1')

    # --- execution -----------------------------------------------------------------------------

    def _run(self, pending, t):
        """Executes base commands in order until one waits or fails; returns their reports."""
        reports = []
        while pending and self._wait is None:
            text = pending.popleft()
            self._record(t, 'command', text)
            try:
                reports.append(self._execute(text, t))
            except CommandError as error:
                self._fail(error.kind)
                pending.clear()
        return reports

    def _fail(self, kind):
        """Sets the error number of a failure (a key of ERROR_NUMBERS' tables) in our layout."""
        self.error = ERROR_NUMBERS[self.status_layout][kind]

    def _execute(self, text, t):
        command_text = ''.join(text.split()).upper()
        mnemonic, argument = command_text[:2], command_text[2:]
        if not 'A' <= command_text[:1] <= 'Z':
            raise CommandError('not_a_letter', f'not a command: {text!r}')
        if command_text == 'RMALL' or mnemonic not in LINE_COMMANDS:
            raise CommandError('unknown', f'unknown command {text!r}')
        value = argument_value(argument)
        if self._resume_target is not None and mnemonic not in ('DH', 'AB', 'ST'):
            self._restart_after_smooth_stop(t)
        return LINE_COMMANDS[mnemonic].function(self, value, t)

    # --- waits and reset -----------------------------------------------------------------------

    @command('WS')
    def _ws(self, argument, t):
        self._wait = ('stop', within(DEFAULT_WAIT_STOP if argument is None else argument, 0, 65535))

    @command('WA')
    def _wa(self, argument, t):
        self._wait = ('until', t + within(required(argument), 0, 65535) / 1000)

    @command('RT')
    def _rt(self, argument, t):
        """Reset: power-on state, deselected, the carriage stops where it is [33]."""
        self._record(t, 'power_cycle', 'RT')
        self.axis.power_cycle(t)
        self._power_on(t)


def _joined(*replies):
    """Several replies to one byte (its echo, the reports of its line) as one, or None."""
    return b''.join(reply for reply in replies if reply) or None
