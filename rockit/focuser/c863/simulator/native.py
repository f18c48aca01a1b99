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
* Reports end in CR LF ETX; numbers are a letter, a colon, a sign and ten digits: TP
  "P:+0000005555" [18, 39]. TS is "S:" and hex bytes; the manual describes three (status bits,
  switch lines, error number [40]) but its example shows six, so six are sent, the last three
  zero (?).
* Set commands never reply. A command that cannot be executed sets error number 6 (command
  error) and ends the line (?); a line longer than MAX_LINE sets 2 (overflow) (?). The error
  number stays in TS byte 3 until a TS reports it (?).
* MA, MR, GH and FE need the motor on (MN); with it off they are command errors (?).
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
  carriage (the C-863's hardware interlock); LN/LF/LH/LL are accepted and change nothing here.

Not modelled: macros (MD, EM, RM, TM, TZ, RZ, RP, SC), joystick (JN, JF, JT, SI, SJ), digital and
analog I/O (CN, CF, CP, TC, TA, WN, WF, XN, XF, YN, YF and the # / & ) characters), TV, TD, CS,
stepper-only commands. Reports of commands that run after a wait (e.g. TP in "MR500,WS0,TP") are
returned by advance(); the transport sends only replies to received bytes (see link.py).
"""
import re
from collections import deque

COUNTS_PER_MM = 10000
SELECT, LF, CR = 0x01, 0x0A, 0x0D
REPORT_END = '\r\n\x03'
MAX_LINE = 256        # characters; the rest of a longer line is dropped with error 2 (?)
STATUS_PADDING = ' 00 00 00'  # TS bytes 4-6, which the manual shows but does not describe (?)
FIRMWARE = '1.09'
VERSION_LINE = '(c)2007 Physik Instrumente(PI) Karlsruhe, {model}, Ver. {firmware}, 2007-08-28'

# The carriage at the reference switch reads 12.5 mm (as in GCS mode, where 0x16 says so) when
# the simulator starts "referenced": as if FE2 and DH125000 had been done before.
ASSUMED_REFERENCE_COUNTS = 125000

# MA accepts -1,073,741,824 < n < 1,073,741,823 [30].
MIN_POSITION, MAX_POSITION = -1073741823, 1073741822
DEFAULT_ACCELERATION = 400000   # counts/s2, the C-863 default [33]
SETTLE_WINDOW = 10              # counts, for the on-target bit (?)
SETTLE_TIME = 0.02              # s
DEFAULT_WAIT_STOP = 1000        # ms, WS without an argument [43]
GAIN_LIMIT = 32767              # DP, DI, DD, SM take 0 < n < 32,767 [24, 34]

ERRORS = {'overflow': 2, 'command': 6}

_ARGUMENT = re.compile(r'-?[0-9]{1,10}\Z')


class CommandError(Exception):
    """A base command that cannot be executed: error number 6, the rest of its line dropped."""


def _counts(mm):
    return int(round(mm * COUNTS_PER_MM))


def _mm(counts):
    return counts / COUNTS_PER_MM


def _report(letter, value):
    """'P:+0000005555': letter, colon, sign, ten digits."""
    return f'{letter}:{value:+011d}'


def _required(argument):
    if argument is None:
        raise CommandError('missing argument')
    return argument


def _within(value, low, high):
    if not low <= value <= high:
        raise CommandError(f'{value} outside {low}..{high}')
    return value


# --- the command table ------------------------------------------------------------------------

_LINE_COMMANDS = {}       # mnemonic -> function(self, argument or None, t) -> report or None
_CHARACTER_COMMANDS = {}  # character -> function(self, t) -> report or None


def command(*mnemonics):
    def register(function):
        for mnemonic in mnemonics:
            _LINE_COMMANDS[mnemonic] = function
        return function
    return register


def character(char):
    def register(function):
        _CHARACTER_COMMANDS[ord(char)] = function
        return function
    return register


class NativeInterpreter:
    """A C-863 speaking native Mercury commands: selection, line and single-character
    framing, compound commands with waits, reports, motion, find-edge, stops, faults.

    receive(byte, t) is fed every byte at its arrival time t and returns report bytes or None.
    advance(t) runs what is due (the rest of a compound command after a wait) and returns the
    reports that produced. record(t, name, detail) is told about commands, stops and axis events.
    address is the device number 1-16 (the board number plus one), as in GCS mode.
    """

    def __init__(self, axis, address=1, model='C-863', record=None, velocity=1.5,
                 reference_velocity=0.5, now=0.0):
        if isinstance(address, bool) or not isinstance(address, int) or not 1 <= address <= 16:
            raise ValueError(f'invalid address {address!r}: a native controller is device 1-16 (board 0-F)')
        self.axis = axis
        self.address = address
        self.board = f'{address - 1:X}'
        self.model = model
        self.power_on_velocity = _counts(velocity)
        self.reference_velocity = reference_velocity
        self._record = record or (lambda t, name, detail: None)
        self._latest = now
        axis.notify = self._axis_event
        self._power_on(now)

    def _power_on(self, t):
        """After power-up or RT: deselected, motor off, brake on, count 0, defaults [7, 22, 33]."""
        self.selected = False
        self.error = 0
        self.brake = True
        self.velocity = self.power_on_velocity
        self.acceleration = DEFAULT_ACCELERATION
        self.settings = {}            # gains, integration and following-error limits
        self._line = bytearray()
        self._overflow = False
        self._last_line = None        # what a CR alone executes again
        self._selecting = False       # ctrl-A received, board character next
        self._pending = deque()       # the rest of a compound command that waits
        self._wait = None             # ('until', time) or ('stop', milliseconds)
        self._resume_target = None    # counts: where ST left the previous target
        self._edge_search = None      # 'FE0'..'FE3' while one runs
        self._configure_axis(t)

    def _configure_axis(self, t):
        self.axis.configure(t, velocity=_mm(self.velocity), acceleration=_mm(self.acceleration),
                            deceleration=_mm(self.acceleration),
                            reference_velocity=self.reference_velocity,
                            settle_window=_mm(SETTLE_WINDOW), settle_time=SETTLE_TIME)

    def _now(self, t):
        self._latest = max(self._latest, t)
        return self._latest

    # --- events from outside (fault injection, the simulator's timers) -------------------------

    def advance(self, t):
        """Applies axis events and resumes a waiting compound command; returns its reports."""
        t = self._now(t)
        self.axis.advance(t)
        resume_at = self._resume_time(t)
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

    def power_cycle(self, t):
        t = self._now(t)
        self.axis.power_cycle(t)
        self._power_on(t)
        self._record(t, 'power_cycle', None)

    def following_error(self, t):
        """The servo gives up (the position error passed the SM limit): motor off, the carriage
        stops. The native status has no error number for it; only 'motor OFF' shows it (?)."""
        t = self._now(t)
        self.axis.servo_fault(t)
        self._edge_search = self._resume_target = None
        self._record(t, 'following_error', self.axis.position(t))

    def inject_error(self, t, code):
        self.error = code
        self._record(self._now(t), 'error', code)

    def assume_referenced(self, t):
        """Start-up as if a previous session had selected the board, switched the motor on,
        found the reference edge and defined it as ASSUMED_REFERENCE_COUNTS."""
        t = self._now(t)
        self.axis.assume_referenced(t, _mm(ASSUMED_REFERENCE_COUNTS))
        self.axis.set_servo(t, True)
        self.selected = True

    def _axis_event(self, t, name, detail):
        self._record(t, name, detail)

    def state(self, t):
        """The controller's view for tests, in mm like GCS mode, and its native registers."""
        t = self._now(t)
        axis = self.axis
        return {
            'position': _mm(_counts(axis.position(t))),
            'target': axis.target(t),
            'moving': axis.moving(t),
            'on_target': axis.on_target(t),
            'servo': axis.servo,
            'referencing': self._referencing(t),
            'selected': self.selected,
            'error': self.error,
            'counts_per_unit': COUNTS_PER_MM,
            'velocity': _mm(self.velocity),
            'physical_position': axis.physical_position(t),
        }

    # --- framing -------------------------------------------------------------------------------

    def receive(self, byte, t):
        """One byte arrived at time t; returns the report bytes, if any."""
        t = self._now(t)
        if self._selecting:
            self._selecting = False
            return self._select(chr(byte), t)
        if byte == SELECT:
            self._selecting = True
            return None
        if not self.selected:
            return None
        if byte in _CHARACTER_COMMANDS:
            self._record(t, 'command', chr(byte))
            return self._reply([_CHARACTER_COMMANDS[byte](self, t)])
        if byte == CR:
            return self._end_of_line(t)
        if byte == LF:
            return None
        self._interrupt()
        if len(self._line) >= MAX_LINE:
            self._overflow = True
            self.error = ERRORS['overflow']
        else:
            self._line.append(byte)
        return None

    def _select(self, code, t):
        """The second character of an address selection code: ours selects, any other deselects."""
        self._record(t, 'command', '\x01' + code)
        self.selected = code == self.board
        self._line.clear()
        return None

    def _interrupt(self):
        """A new line begins: a compound command still waiting is abandoned [17]."""
        if self._pending:
            self._pending.clear()
            self._wait = None

    def _end_of_line(self, t):
        line, self._line = self._line.decode('latin-1'), bytearray()
        if self._overflow:
            self._overflow = False
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
            except CommandError:
                self.error = ERRORS['command']
                pending.clear()
        return reports

    def _execute(self, text, t):
        command_text = ''.join(text.split()).upper()
        mnemonic, argument = command_text[:2], command_text[2:]
        if command_text == 'RMALL' or mnemonic not in _LINE_COMMANDS:
            raise CommandError(f'unknown command {text!r}')
        if argument and not _ARGUMENT.match(argument):
            raise CommandError(f'bad argument {text!r}')
        if self._resume_target is not None and mnemonic not in ('DH', 'AB', 'ST'):
            self._restart_after_smooth_stop(t)
        return _LINE_COMMANDS[mnemonic](self, int(argument) if argument else None, t)

    def _restart_after_smooth_stop(self, t):
        """ST kept the previous target: any command but DH or AB heads for it again [35]."""
        target, self._resume_target = self._resume_target, None
        if self.axis.servo:
            self.axis.move_to(t, _mm(target))

    # --- motion ----------------------------------------------------------------------------------

    def _motor_on_required(self):
        if not self.axis.servo:
            raise CommandError('motor is off')

    def _move_to(self, counts, t):
        self._motor_on_required()
        self._edge_search = None
        self.axis.move_to(t, _mm(_within(counts, MIN_POSITION, MAX_POSITION)))

    @command('MA')
    def _ma(self, argument, t):
        self._move_to(_required(argument), t)

    @command('MR')
    def _mr(self, argument, t):
        self._move_to(_counts(self.axis.target(t)) + _required(argument), t)

    @command('GH')
    def _gh(self, argument, t):
        self._move_to(0, t)

    @command('MN')
    def _mn(self, argument, t):
        """Servo on, holding where the carriage is (a no-op when it is already on)."""
        self.axis.set_servo(t, True)

    @command('MF')
    def _mf(self, argument, t):
        self.axis.set_servo(t, False)
        self._edge_search = None

    @command('DH')
    def _dh(self, argument, t):
        position = _within(argument or 0, MIN_POSITION, MAX_POSITION)
        if self.axis.moving(t):
            self.axis.stop(t)
        self.axis.set_position(t, _mm(position))
        self._edge_search = self._resume_target = None

    @command('FE')
    def _fe(self, argument, t):
        mode = _within(argument or 0, 0, 3)
        self._motor_on_required()
        _, signal_high, _ = self.axis.switch_levels(t)
        toward_switch = {0: not signal_high, 1: signal_high, 2: True, 3: False}[mode]
        self._edge_search = f'FE{mode}'
        if toward_switch:
            self._find_edge(t)
        else:
            self._run_into_a_limit(t, positive=(mode == 0) or (mode == 3 and signal_high))

    def _find_edge(self, t):
        """The carriage goes to the reference switch and stops at its edge; the count goes on."""
        offset = self.axis.position(t) - self.axis.physical_position(t)
        self.axis.start_reference(t, 'FRF', self.axis.stage.reference_switch + offset)

    def _run_into_a_limit(self, t, positive):
        """A search heading away from the switch never sees the signal change: the carriage
        runs until a limit switch stops it."""
        stage = self.axis.stage
        offset = self.axis.position(t) - self.axis.physical_position(t)
        beyond = stage.positive_limit + 1.0 if positive else stage.negative_limit - 1.0
        self.axis.move_to(t, beyond + offset)

    def _referencing(self, t):
        """'Reference drive active': an edge search is under way and the carriage still moves."""
        if self._edge_search is not None and not self.axis.moving(t):
            self._edge_search = None
        return self._edge_search is not None

    # --- stops -------------------------------------------------------------------------------

    @command('AB')
    def _ab(self, argument, t):
        self._abort(t, 'AB')

    @character('!')
    def _abort_character(self, t):
        self._abort(t, '!')

    def _abort(self, t, name):
        self._record(t, 'stop', name)
        self.axis.stop(t)
        self._edge_search = self._resume_target = None

    @command('ST')
    def _st(self, argument, t):
        """Smooth stop back to where ST arrived; the previous target waits for the next command."""
        self._record(t, 'stop', 'ST')
        previous = _counts(self.axis.target(t))
        captured = self.axis.position(t)
        self.axis.move_to(t, captured)
        self._edge_search = None
        if previous != _counts(captured):
            self._resume_target = previous

    # --- settings ----------------------------------------------------------------------------

    @command('SV')
    def _sv(self, argument, t):
        self.velocity = _within(_required(argument), 1, 999999999)
        self._configure_axis(t)

    @command('SA')
    def _sa(self, argument, t):
        self.acceleration = _within(_required(argument), 1, 999999999)
        self._configure_axis(t)

    @command('BN')
    def _bn(self, argument, t):
        self.brake = True

    @command('BF')
    def _bf(self, argument, t):
        self.brake = False

    @command('LN', 'LF', 'LH', 'LL')
    def _limit_switch_setting(self, argument, t):
        """Accepted; the hardware interlock stops the simulated carriage at its switches anyway."""

    @command('RT')
    def _rt(self, argument, t):
        """Reset: power-on state, deselected, the carriage stops where it is [33]."""
        self._record(t, 'power_cycle', 'RT')
        self.axis.power_cycle(t)
        self._power_on(t)

    # --- waits -------------------------------------------------------------------------------

    @command('WS')
    def _ws(self, argument, t):
        self._wait = ('stop', _within(DEFAULT_WAIT_STOP if argument is None else argument, 0, 65535))

    @command('WA')
    def _wa(self, argument, t):
        self._wait = ('until', t + _within(_required(argument), 0, 65535) / 1000)

    # --- reports -------------------------------------------------------------------------------

    @command('TP')
    def _tp(self, argument, t):
        return _report('P', _counts(self.axis.position(t)))

    @character("'")
    def _tp_character(self, t):
        return self._tp(None, t)

    @command('TT')
    def _tt(self, argument, t):
        return _report('T', _counts(self.axis.target(t)))

    @command('TE')
    def _te(self, argument, t):
        return _report('E', _counts(self.axis.target(t)) - _counts(self.axis.position(t)))

    @character('+')
    def _te_character(self, t):
        return self._te(None, t)

    @command('TF')
    def _tf(self, argument, t):
        """The simulated carriage follows its trajectory exactly: no following error."""
        return _report('F', 0)

    @character('(')
    def _tf_character(self, t):
        return self._tf(None, t)

    @command('TY')
    def _ty(self, argument, t):
        return _report('Y', self.velocity)

    @command('TL')
    def _tl(self, argument, t):
        return _report('L', self.acceleration)

    @command('GP')
    def _gp(self, argument, t):
        return _report('G', self.settings.get('DP', 0))

    @command('TB')
    def _tb(self, argument, t):
        return f'B:{self.board}'

    @command('VE')
    def _ve(self, argument, t):
        return VERSION_LINE.format(model=self.model, firmware=FIRMWARE)

    @command('TS')
    def _ts(self, argument, t):
        return self.status_report(t)

    @character('%')
    def _ts_character(self, t):
        return self.status_report(t)

    def status_report(self, t):
        """TS [40]: status bits, switch lines, error number (reading it clears it (?))."""
        axis = self.axis
        negative, reference, positive = axis.switch_levels(t)
        ready = self._wait is None
        first = (ready | axis.on_target(t) << 1 | self._referencing(t) << 2
                 | (not axis.servo) << 5 | self.brake << 6)
        second = negative | reference << 1 | positive << 2
        code, self.error = self.error, 0
        return f'S:{first:02X} {second:02X} {code:02X}{STATUS_PADDING}'

    @character('\\')
    def _moving_character(self, t):
        return '1' if self.axis.moving(t) else '0'


def _setting(name):
    """DP, DI, DD, DL, SM: servo gains and limits, kept for GP; the simulated servo follows its
    trajectory perfectly whatever they are. Without an argument they are 0 (the manual's macro
    example sends a bare DI [49])."""
    def keep(self, argument, t):
        self.settings[name] = _within(argument or 0, 0, GAIN_LIMIT)
    return keep


for _name in ('DP', 'DI', 'DD', 'DL', 'SM'):
    _LINE_COMMANDS[_name] = _setting(_name)
