"""PI's GCS 2.0 command set as a C-863.11/.12 speaks it, interpreted on top of the simulated axis.

The interpreter takes the bytes that arrive on the wire, one at a time with their arrival time,
and returns the reply bytes (or None). Facts and their certainty come from
doc/gcs-c863.md (section numbers below refer to it):

* Lines end in LF; mnemonics are case-insensitive; arguments are separated by spaces. A CR is
  not a separator (strict, like the firmware is assumed to be), so `ERR?\\r` is unknown.
* Single bytes 0x04 (#4), 0x05 (#5), 0x07 (#7), 0x08 (#8), 0x18 (#24) are commands of their
  own, answered at once, even in the middle of a partly received line (§1.5).
* Optional address prefix `N ` or `N 0 ` (also before a single byte: `1 \\x04`). Lines for
  other addresses are ignored; unaddressed lines are for controller 1 only; 255 is broadcast
  (executed, never answered). Replies to addressed requests start with `0 N ` on the first
  line only (§1.6).
* One element (axis or parameter) per line; a line is executed entirely or not at all: every
  check happens before anything changes (§1.2).
* Replies: every line but the last ends in SP LF (§1.3). A refused query gets no reply at all.
* The error register keeps the last error until ERR? reads and clears it (§2.2).
* Where the reference is unsure which code the firmware raises, ERROR_CODES below is the one
  place that decides.

Not modelled: macros, the "incomplete line then silence" timer (307), SEP?/WPA, servo dither,
commands blocked while an error is pending (an Odemis model, not documented for the C-863).
"""
import re
from collections import namedtuple

# Why a command is refused -> the code latched in the error register. (V) the reference states
# it; (I) inferred from a mature client; (?) a guess to check on the real unit (§3, §5).
ERROR_CODES = {
    'syntax': 1,               # malformed line (I); 24 is the other candidate (?)
    'missing_argument': 1,     # (?) 26 PI_CNTR_MISSING_PARAM is the other candidate
    'bad_number': 1,           # (?) 25 PI_CNTR_INVALID_REAL_NR is the other candidate
    'one_element': 1,          # two axes/parameters on one line, refused by the .12 (V); code (?)
    'unknown_command': 2,      # (V), and a query gets no reply
    'line_too_long': 3,        # (?) 304 is the other candidate
    'move_refused': 5,         # servo off, or unreferenced with RON 1 (V)
    'out_of_limits': 7,        # target outside TMN..TMX (V)
    'velocity_limit': 8,       # VEL above 0xA (I)
    'stopped': 10,             # HLT, STP, #24 (V)
    'wrong_axis': 15,          # (I, Odemis' simulator)
    'out_of_range': 17,        # parameter value out of range (?)
    'no_reference_switch': 31,  # FRF on a stage without one (?)
    'no_limit_switch': 32,     # FNL/FPL on a stage without them (?)
    'reference_disabled': 50,  # FRF/FNL/FPL with RON 0 (I)
    'unknown_parameter': 54,   # (V), and SPA? gets no reply
    'reference_mode_on': 88,   # POS with RON 1 (?)
    'in_motion': 93,           # POS while the axis moves (?)
    'limit_switch': 216,       # ran into a limit switch during a move (?)
    'busy': 1005,              # motion command during a reference run (?)
    'following_error': 1024,   # servo switched off by a following error (V); sign (?)
}

LF = 0x0A
AXIS = '1'          # the only axis of a C-863
BROADCAST = 255
MAX_LINE = 256      # bytes; a longer line is discarded with 'line_too_long'
FIRMWARE = '01.000.000'
IDN_VENDOR = '(c)2015 Physik Instrumente (PI) GmbH & Co. KG'

_DIGITS = re.compile(r'[0-9]+')
_NUMBER = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
_INTEGER = re.compile(r'[+-]?[0-9]+|0[xX][0-9a-fA-F]+')
_PARAMETER_ID = re.compile(r'0[xX][0-9a-fA-F]+|[0-9]+')
_ADDRESS_PREFIX = re.compile(rb'([0-9]+) (?:[0-9]+ )?')


class Refused(Exception):
    """A command that cannot be executed; the error register gets ERROR_CODES[reason]."""

    def __init__(self, reason):
        super().__init__(reason)
        self.code = ERROR_CODES[reason]


# --- parameters -------------------------------------------------------------------------------

Parameter = namedtuple('Parameter', 'type default rule description')

# Power-on ("flash") values of a focuser stage: 25 mm travel, 10000 counts/mm, reference switch
# in mid-travel. rule names the check in GCSInterpreter._check_parameter.
PARAMETERS = {
    0x01: Parameter('INT', 90, 'non_negative', 'P term'),
    0x02: Parameter('INT', 60, 'non_negative', 'I term'),
    0x03: Parameter('INT', 300, 'non_negative', 'D term'),
    0x0A: Parameter('FLOAT', 5.0, 'positive', 'Maximum closed-loop velocity (mm/s)'),
    0x0B: Parameter('FLOAT', 10.0, 'acceleration', 'Closed-loop acceleration (mm/s2)'),
    0x0C: Parameter('FLOAT', 10.0, 'deceleration', 'Closed-loop deceleration (mm/s2)'),
    0x0E: Parameter('INT', 10000, 'positive', 'Numerator of the counts-per-physical-unit factor'),
    0x0F: Parameter('INT', 1, 'positive', 'Denominator of the counts-per-physical-unit factor'),
    0x14: Parameter('INT', 1, 'flag', 'Stage has a reference switch'),
    0x15: Parameter('FLOAT', 25.0, 'any', 'Maximum travel in positive direction (mm)'),
    0x16: Parameter('FLOAT', 12.5, 'any', 'Value at reference position (mm)'),
    0x30: Parameter('FLOAT', 0.0, 'any', 'Maximum travel in negative direction (mm)'),
    0x32: Parameter('INT', 0, 'flag', 'Stage has no limit switches'),
    0x36: Parameter('INT', 10, 'non_negative', 'Settle window (counts)'),
    0x3C: Parameter('CHAR', 'SIM-25MM-FOCUS', 'any', 'Stage name'),
    0x3F: Parameter('FLOAT', 0.02, 'non_negative', 'Settle time (s)'),
    0x49: Parameter('FLOAT', 1.5, 'velocity', 'Closed-loop velocity (mm/s)'),
    0x4A: Parameter('FLOAT', 50.0, 'positive', 'Maximum closed-loop acceleration (mm/s2)'),
    0x4B: Parameter('FLOAT', 50.0, 'positive', 'Maximum closed-loop deceleration (mm/s2)'),
    0x50: Parameter('FLOAT', 0.5, 'positive', 'Velocity for reference moves (mm/s)'),
}

# Parameters behind dedicated commands: VEL, ACC, DEC; TMN?, TMX? read 0x30, 0x15.
VELOCITY, ACCELERATION, DECELERATION = 0x49, 0x0B, 0x0C


# --- the command table ------------------------------------------------------------------------

Command = namedtuple('Command', 'function syntax description')
_LINE_COMMANDS = {}   # mnemonic -> Command; function(self, args, t) -> reply lines or None
_BYTE_COMMANDS = {}   # byte -> Command (syntax: '#4'); function(self, t) -> reply text or None


def command(mnemonic, syntax, description):
    """Registers a line command; HLP? lists the table, so help never disagrees with reality."""
    def register(function):
        _LINE_COMMANDS[mnemonic] = Command(function, syntax, description)
        return function
    return register


def single_byte(byte, name, description):
    """Registers a single-byte command such as #4 (0x04)."""
    def register(function):
        _BYTE_COMMANDS[byte] = Command(function, name, description)
        return function
    return register


# --- argument parsing (raise Refused; nothing has changed yet) ---------------------------------

def _no_arguments(args):
    if args:
        raise Refused('syntax')


def _optional_axis(args):
    """`CMD` or `CMD 1`: commands and queries whose element list may be omitted (= all axes)."""
    if len(args) > 1:
        raise Refused('one_element')
    if args and args[0] != AXIS:
        raise Refused('wrong_axis')


def _axis_and_value(args):
    """`CMD 1 value` -> 'value'."""
    if len(args) < 2:
        raise Refused('missing_argument')
    if len(args) > 2:
        raise Refused('one_element')
    if args[0] != AXIS:
        raise Refused('wrong_axis')
    return args[1]


def _number(text):
    """A float as clients send it: %f, %g, signed, zero-padded, with exponent; not nan/inf."""
    if not _NUMBER.fullmatch(text):
        raise Refused('bad_number')
    return float(text)


def _flag(text):
    if text not in ('0', '1'):
        raise Refused('syntax')
    return text == '1'


def _parameter_id(text):
    """A parameter ID in decimal (`14`) or hex (`0xE`), as EPICS and PIPython send them."""
    if not _PARAMETER_ID.fullmatch(text):
        raise Refused('syntax')
    pid = int(text, 16) if text[:2].lower() == '0x' else int(text)
    if pid not in PARAMETERS:
        raise Refused('unknown_parameter')
    return pid


def _parameter_value(pid, text):
    kind = PARAMETERS[pid].type
    if kind == 'CHAR':
        return text
    if kind == 'INT':
        if not _INTEGER.fullmatch(text):
            raise Refused('bad_number')
        return int(text, 0) if text[:2].lower() == '0x' else int(text)
    return _number(text)


def _format_number(value):
    return f'{value:.6f}'


def _format_parameter(pid, value):
    return _format_number(value) if PARAMETERS[pid].type == 'FLOAT' else str(value)


class GCSInterpreter:
    """A C-863 controller speaking GCS 2.0: byte framing, commands, error register, parameters.

    receive(byte, t) is fed every byte at its arrival time t and returns reply bytes or None.
    record(t, name, detail) is told about commands, stops and axis events (the simulator's
    event log). Times may only go forwards; an earlier t is treated as the latest time seen.
    """

    def __init__(self, axis, address=1, model='C-863.12', serial_number='0123456789',
                 record=None, flash=None, now=0.0):
        self.axis = axis
        self.address = address
        self.model = model
        self.serial_number = serial_number
        self.flash = {pid: parameter.default for pid, parameter in PARAMETERS.items()}
        self.flash.update(flash or {})
        self.nul_before_multiline = False  # Odemis saw a NUL before HLP?/HPA? replies (§1.3)
        self.limit_switches_active_low = False  # #4 bits 0/2 are raw line levels (§1.5)
        self.reboot_seconds = 2.0  # RBT: input ignored for this long (§2.10)
        self._record = record or (lambda t, name, detail: None)
        self._latest = now
        axis.notify = self._axis_event
        self._power_on(now)

    def _power_on(self, t):
        """Registers as after power-on: servo off (the axis), RON 1, error 0, RAM = flash."""
        self.error = 0
        self.reference_mode = True
        self.parameters = dict(self.flash)
        self._line = bytearray()
        self._overflow = False
        self._deaf_until = 0.0
        self._configure_axis(t)

    def _configure_axis(self, t):
        p = self.parameters
        self.axis.configure(t, velocity=p[VELOCITY], acceleration=p[ACCELERATION],
                            deceleration=p[DECELERATION], reference_velocity=p[0x50],
                            settle_window=p[0x36] / self.counts_per_unit, settle_time=p[0x3F])

    @property
    def counts_per_unit(self):
        return self.parameters[0x0E] / self.parameters[0x0F]

    def _now(self, t):
        self._latest = max(self._latest, t)
        return self._latest

    # --- events from outside (fault injection, the simulator's timers) -------------------------

    def advance(self, t):
        self.axis.advance(self._now(t))

    def next_due(self):
        return self.axis.next_due()

    def power_cycle(self, t):
        t = self._now(t)
        self.axis.power_cycle(t)
        self._power_on(t)
        self._record(t, 'power_cycle', None)

    def following_error(self, t):
        t = self._now(t)
        self.axis.servo_fault(t)
        self.error = ERROR_CODES['following_error']
        self._record(t, 'following_error', self.axis.position(t))

    def inject_error(self, t, code):
        self.error = code
        self._record(self._now(t), 'error', code)

    def assume_referenced(self, t):
        """Start-up as if `SVO 1 1` and a reference run had been done already."""
        t = self._now(t)
        self.axis.assume_referenced(t, self.parameters[0x16])
        self.axis.set_servo(t, True)

    def _axis_event(self, t, name, detail):
        if name == 'limit_switch':
            self.error = ERROR_CODES['limit_switch']
        self._record(t, name, detail)

    def state(self, t):
        """The controller's view for tests: reported units (mm), current error register."""
        t = self._now(t)
        axis = self.axis
        return {
            'position': self._quantized(axis.position(t)),
            'target': axis.target(t),
            'moving': axis.moving(t),
            'on_target': axis.on_target(t),
            'servo': axis.servo,
            'referenced': axis.referenced,
            'referencing': axis.referencing is not None,
            'reference_mode': self.reference_mode,
            'error': self.error,
            'counts_per_unit': self.counts_per_unit,
            'min': self.parameters[0x30],
            'max': self.parameters[0x15],
            'velocity': self.parameters[VELOCITY],
            'physical_position': axis.physical_position(t),
        }

    def _quantized(self, position):
        """What the encoder can resolve: whole counts."""
        return round(position * self.counts_per_unit) / self.counts_per_unit

    # --- framing -------------------------------------------------------------------------------

    def receive(self, byte, t):
        """One byte arrived at time t; returns the reply bytes, if any."""
        t = self._now(t)
        if t < self._deaf_until:
            return None
        if byte in _BYTE_COMMANDS:
            return self._single_byte(byte, t)
        if byte == LF:
            line, self._line = bytes(self._line), bytearray()
            if self._overflow:
                self._overflow = False
                return None
            return self._execute_line(line.decode('latin-1'), t)
        if self._overflow:
            return None
        if len(self._line) >= MAX_LINE:
            self._overflow = True
            self._line.clear()
            self.error = ERROR_CODES['line_too_long']
            return None
        self._line.append(byte)
        return None

    def _single_byte(self, byte, t):
        """A single-byte command; a partly received line that is just an address prefix
        (`1 `) addresses it, any other partial line is left to continue."""
        address, text = None, chr(byte)
        prefix = _ADDRESS_PREFIX.fullmatch(self._line)
        if prefix:
            address, text = int(prefix.group(1)), prefix.group(0).decode('latin-1') + text
            self._line.clear()
        self._record(t, 'command', text)
        if not self._for_me(address):
            return None
        reply = _BYTE_COMMANDS[byte].function(self, t)
        return None if reply is None else self._reply([reply], address)

    def _execute_line(self, text, t):
        tokens = [token for token in text.split(' ') if token]
        address = None
        if tokens and _DIGITS.fullmatch(tokens[0]):
            address = int(tokens.pop(0))
            if tokens and _DIGITS.fullmatch(tokens[0]):
                tokens.pop(0)  # the sender's address: always the PC, 0
        if not tokens:
            return None  # empty line, or an address alone
        self._record(t, 'command', text)
        if not self._for_me(address):
            return None
        mnemonic, args = tokens[0].upper(), tokens[1:]
        try:
            entry = _LINE_COMMANDS.get(mnemonic)
            if entry is None:
                raise Refused('unknown_command')
            lines = entry.function(self, args, t)
        except Refused as refusal:
            self.error = refusal.code
            return None
        return None if lines is None else self._reply(lines, address)

    def _for_me(self, address):
        if address is None:
            return self.address == 1
        return address in (self.address, BROADCAST)

    def _reply(self, lines, address):
        if address == BROADCAST:
            return None
        text = ' \n'.join(lines) + '\n'
        if address is not None:
            text = f'0 {self.address} ' + text
        if self.nul_before_multiline and len(lines) > 1:
            text = '\x00' + text
        return text.encode('latin-1')

    # --- identification and capabilities --------------------------------------------------------

    def _identification(self):
        return f'{IDN_VENDOR}, {self.model}, {self.serial_number}, {FIRMWARE}'

    @command('*IDN?', '*IDN?', 'Get Device Identification')
    def _idn(self, args, t):
        _no_arguments(args)
        return [self._identification()]

    @command('CSV?', 'CSV?', 'Get Current Syntax Version')
    def _csv(self, args, t):
        _no_arguments(args)
        return ['2.0']

    @command('VER?', 'VER?', 'Get Versions Of Firmware And Drivers')
    def _ver(self, args, t):
        _no_arguments(args)
        return [self._identification(),
                f'FW_ARM: V{FIRMWARE}',
                'SIMULATOR: rockit.focuser.c863.simulator']

    @command('HLP?', 'HLP?', 'Get List Of Available Commands')
    def _hlp(self, args, t):
        _no_arguments(args)
        entries = [entry for _, entry in sorted(_BYTE_COMMANDS.items())]
        entries += list(_LINE_COMMANDS.values())
        return (['The following commands are valid:']
                + [f'{entry.syntax} {entry.description}' for entry in entries]
                + ['end of help'])

    @command('HPA?', 'HPA?', 'Get List Of Available Parameters')
    def _hpa(self, args, t):
        _no_arguments(args)
        lines = [f'0x{pid:X}=\t0\t1\t{parameter.type}\tmotorcontroller\t{parameter.description}'
                 for pid, parameter in sorted(PARAMETERS.items())]
        return ['The following parameters are valid:'] + lines + ['end of help']

    @command('SAI?', 'SAI? [ALL]', 'Get List Of Current Axis Identifiers')
    def _sai(self, args, t):
        if [arg.upper() for arg in args] not in ([], ['ALL']):
            raise Refused('syntax')
        return [AXIS]

    @command('CST?', 'CST? [{<AxisID>}]', 'Get Assignment Of Stages To Axes')
    def _cst(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={self.parameters[0x3C]}']

    @command('TRS?', 'TRS? [{<AxisID>}]', 'Indicate Reference Switch')
    def _trs(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={1 if self.parameters[0x14] else 0}']

    @command('LIM?', 'LIM? [{<AxisID>}]', 'Indicate Limit Switches')
    def _lim(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={0 if self.parameters[0x32] else 1}']

    # --- error register and status ----------------------------------------------------------------

    @command('ERR?', 'ERR?', 'Get Error Number')
    def _err(self, args, t):
        _no_arguments(args)
        code, self.error = self.error, 0
        return [str(code)]

    def status_register(self, t):
        """#4 / SRG?: 0x + four hex digits (§1.5)."""
        axis = self.axis
        axis.advance(t)
        negative, reference, positive = axis.switch_levels(t)
        if self.limit_switches_active_low:
            negative, positive = not negative, not positive
        bits = (axis.on_target(t) << 15 | (axis.referencing is not None) << 14
                | axis.moving(t) << 13 | axis.servo << 12 | (self.error != 0) << 8
                | positive << 2 | reference << 1 | negative)
        return f'0x{bits:04X}'

    @command('SRG?', 'SRG? {<AxisID> <RegisterID>}', 'Query Status Register Value')
    def _srg(self, args, t):
        register = _axis_and_value(args)
        if register != '1':
            raise Refused('syntax')
        return [f'{AXIS} 1={self.status_register(t)}']

    @single_byte(0x04, '#4', 'Request Status Register')
    def _status_byte(self, t):
        return self.status_register(t)

    @single_byte(0x05, '#5', 'Request Motion Status')
    def _motion_byte(self, t):
        return f'{int(self.axis.moving(t)):X}'

    @single_byte(0x07, '#7', 'Request Controller Ready Status')
    def _ready_byte(self, t):
        self.axis.advance(t)
        return '\xb0' if self.axis.referencing else '\xb1'

    @single_byte(0x08, '#8', 'Query If Macro Is Running')
    def _macro_byte(self, t):
        return '0'

    @single_byte(0x18, '#24', 'Stop All Axes')
    def _stop_byte(self, t):
        self._stop(t, '#24')

    # --- servo and referencing --------------------------------------------------------------------

    def _not_referencing(self, t):
        self.axis.advance(t)
        if self.axis.referencing:
            raise Refused('busy')

    @command('SVO', 'SVO {<AxisID> <ServoState>}', 'Set Servo Mode')
    def _svo(self, args, t):
        on = _flag(_axis_and_value(args))
        self._not_referencing(t)
        self.axis.set_servo(t, on)

    @command('SVO?', 'SVO? [{<AxisID>}]', 'Get Servo Mode')
    def _svo_query(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={int(self.axis.servo)}']

    @command('RON', 'RON {<AxisID> <ReferenceOn>}', 'Set Reference Mode')
    def _ron(self, args, t):
        on = _flag(_axis_and_value(args))
        self._not_referencing(t)
        self.reference_mode = on

    @command('RON?', 'RON? [{<AxisID>}]', 'Get Reference Mode')
    def _ron_query(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={int(self.reference_mode)}']

    def _reference(self, kind, args, t):
        _optional_axis(args)
        self._not_referencing(t)
        if kind == 'FRF' and not self.parameters[0x14]:
            raise Refused('no_reference_switch')
        if kind != 'FRF' and self.parameters[0x32]:
            raise Refused('no_limit_switch')
        if not self.reference_mode:
            raise Refused('reference_disabled')
        if not self.axis.servo:
            raise Refused('move_refused')
        value = {'FRF': 0x16, 'FNL': 0x30, 'FPL': 0x15}[kind]
        self.axis.start_reference(t, kind, self.parameters[value])

    @command('FRF', 'FRF [{<AxisID>}]', 'Fast Reference Move To Reference Switch')
    def _frf(self, args, t):
        self._reference('FRF', args, t)

    @command('FNL', 'FNL [{<AxisID>}]', 'Fast Reference Move To Negative Limit')
    def _fnl(self, args, t):
        self._reference('FNL', args, t)

    @command('FPL', 'FPL [{<AxisID>}]', 'Fast Reference Move To Positive Limit')
    def _fpl(self, args, t):
        self._reference('FPL', args, t)

    @command('FRF?', 'FRF? [{<AxisID>}]', 'Get Referencing Result')
    def _frf_query(self, args, t):
        _optional_axis(args)
        self.axis.advance(t)
        return [f'{AXIS}={int(self.axis.referenced)}']

    @command('POS', 'POS {<AxisID> <Position>}', 'Set Real Position (only with RON 0)')
    def _pos(self, args, t):
        value = _number(_axis_and_value(args))
        if self.reference_mode:
            raise Refused('reference_mode_on')
        if self.axis.moving(t):
            raise Refused('in_motion')
        self.axis.set_position(t, value)

    # --- motion ---------------------------------------------------------------------------------

    def _check_move(self, target, t):
        """Pre-conditions in the firmware's order (§5.11): busy, servo, referenced, range."""
        self._not_referencing(t)
        if not self.axis.servo:
            raise Refused('move_refused')
        if self.reference_mode and not self.axis.referenced:
            raise Refused('move_refused')
        if not self.parameters[0x30] <= target <= self.parameters[0x15]:
            raise Refused('out_of_limits')

    @command('MOV', 'MOV {<AxisID> <Position>}', 'Set Target Position')
    def _mov(self, args, t):
        target = _number(_axis_and_value(args))
        self._check_move(target, t)
        self.axis.move_to(t, target)

    @command('MVR', 'MVR {<AxisID> <Distance>}', 'Set Target Relative To Current Target')
    def _mvr(self, args, t):
        target = self.axis.target(t) + _number(_axis_and_value(args))
        self._check_move(target, t)
        self.axis.move_to(t, target)

    @command('MOV?', 'MOV? [{<AxisID>}]', 'Get Target Position')
    def _mov_query(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={_format_number(self.axis.target(t))}']

    @command('POS?', 'POS? [{<AxisID>}]', 'Get Real Position')
    def _pos_query(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={_format_number(self._quantized(self.axis.position(t)))}']

    @command('ONT?', 'ONT? [{<AxisID>}]', 'Get On Target State')
    def _ont(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={int(self.axis.on_target(t))}']

    @command('TMN?', 'TMN? [{<AxisID>}]', 'Get Minimum Commandable Position')
    def _tmn(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={_format_number(self.parameters[0x30])}']

    @command('TMX?', 'TMX? [{<AxisID>}]', 'Get Maximum Commandable Position')
    def _tmx(self, args, t):
        _optional_axis(args)
        return [f'{AXIS}={_format_number(self.parameters[0x15])}']

    def _stop(self, t, name):
        """HLT, STP and #24 all latch error 10 and leave target = where the axis comes to rest."""
        self._record(t, 'stop', name)
        if name == 'HLT':
            self.axis.halt(t)
        else:
            self.axis.stop(t)
        self.error = ERROR_CODES['stopped']

    @command('HLT', 'HLT [{<AxisID>}]', 'Halt Motion Smoothly')
    def _hlt(self, args, t):
        _optional_axis(args)
        self._stop(t, 'HLT')

    @command('STP', 'STP', 'Stop All Axes')
    def _stp(self, args, t):
        _no_arguments(args)
        self._stop(t, 'STP')

    # --- velocity, acceleration and parameters ----------------------------------------------------

    def _set_parameter(self, pid, text, t):
        value = _parameter_value(pid, text)
        self._check_parameter(pid, value)
        self.parameters[pid] = value
        self._configure_axis(t)

    def _check_parameter(self, pid, value):
        """Refuses a value its parameter's rule forbids (VEL above 0xA: error 8, else 17)."""
        rule = PARAMETERS[pid].rule
        p = self.parameters
        if rule == 'velocity' and not 0 < value <= p[0x0A]:
            raise Refused('velocity_limit')
        if ((rule == 'positive' and not value > 0)
                or (rule == 'non_negative' and not value >= 0)
                or (rule == 'flag' and value not in (0, 1))
                or (rule == 'acceleration' and not 0 < value <= p[0x4A])
                or (rule == 'deceleration' and not 0 < value <= p[0x4B])):
            raise Refused('out_of_range')

    def _parameter_query(self, pid, args):
        _optional_axis(args)
        return [f'{AXIS}={_format_number(self.parameters[pid])}']

    @command('VEL', 'VEL {<AxisID> <Velocity>}', 'Set Closed-Loop Velocity')
    def _vel(self, args, t):
        self._set_parameter(VELOCITY, _axis_and_value(args), t)

    @command('VEL?', 'VEL? [{<AxisID>}]', 'Get Closed-Loop Velocity')
    def _vel_query(self, args, t):
        return self._parameter_query(VELOCITY, args)

    @command('ACC', 'ACC {<AxisID> <Acceleration>}', 'Set Closed-Loop Acceleration')
    def _acc(self, args, t):
        self._set_parameter(ACCELERATION, _axis_and_value(args), t)

    @command('ACC?', 'ACC? [{<AxisID>}]', 'Get Closed-Loop Acceleration')
    def _acc_query(self, args, t):
        return self._parameter_query(ACCELERATION, args)

    @command('DEC', 'DEC {<AxisID> <Deceleration>}', 'Set Closed-Loop Deceleration')
    def _dec(self, args, t):
        self._set_parameter(DECELERATION, _axis_and_value(args), t)

    @command('DEC?', 'DEC? [{<AxisID>}]', 'Get Closed-Loop Deceleration')
    def _dec_query(self, args, t):
        return self._parameter_query(DECELERATION, args)

    @command('SPA', 'SPA {<ItemID> <PamID> <PamValue>}', 'Set Volatile Memory Parameters')
    def _spa(self, args, t):
        if len(args) < 3:
            raise Refused('missing_argument')
        if len(args) > 3:
            raise Refused('one_element')
        if args[0] != AXIS:
            raise Refused('wrong_axis')
        self._set_parameter(_parameter_id(args[1]), args[2], t)

    @command('SPA?', 'SPA? [{<ItemID> <PamID>}]', 'Get Volatile Memory Parameters')
    def _spa_query(self, args, t):
        """`SPA?` / `SPA? 1`: every parameter; `SPA? 1 <id>`: one, echoing the ID as sent."""
        if len(args) > 2:
            raise Refused('one_element')
        if args and args[0] != AXIS:
            raise Refused('wrong_axis')
        if len(args) == 2:
            requested = [(_parameter_id(args[1]), args[1])]
        else:
            requested = [(pid, f'0x{pid:X}') for pid in sorted(PARAMETERS)]
        return [f'{AXIS} {name}={_format_parameter(pid, self.parameters[pid])}'
                for pid, name in requested]

    # --- reboot ---------------------------------------------------------------------------------

    @command('RBT', 'RBT', 'Reboot System')
    def _rbt(self, args, t):
        """Power-on state, and deaf to input while the firmware restarts (§2.10)."""
        _no_arguments(args)
        self.power_cycle(t)
        self._deaf_until = t + self.reboot_seconds
