# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The native Mercury protocol layer (native.py), byte for byte, against a controller played by
the test.

As in test_gcs.py (testkit/peer.py): exchanges that are only about bytes are (request, reply)
data on an in-memory line; silence, framing across reads, stale input, an unplugged device and
the abort racing a report run on a pty, whose master end a helper thread plays. Requests and
reports are the examples of PI's manual MS176E (page numbers in brackets); reports end in
CR LF ETX [18].
"""
import logging
import re
import threading
import time

import pytest
from hypothesis import given, strategies as st

from rockit.focuser.c863.controller import NativeController, make_controller
from rockit.focuser.c863.errors import ControllerError, GarbledReply, LinkLost, NoReply, NotSupported
from rockit.focuser.c863.native import NativePort
from rockit.focuser.c863.native_status import ERRORS, SIX_BYTE, THREE_BYTE, NativeStatus, error_text
from conftest import wait_until
from testkit.peer import DEADLINE, bytes_waiting, expected_protocol, play, playing

END = b'\r\n\x03'


def report(text):
    return text.encode('latin-1') + END


def status_report(first=0x04, error=0x00, lines=0x03, inputs=0x00):
    """A six-byte TS report as C-862/C-863 hardware sends it (doc/mercury-native.md section 2):
    the LM629 status (0x04: trajectory complete, motor on), internal flags (board addressed),
    motor loop flags, signal lines (0x03: limit switches on, active high), inputs, error."""
    return report(f'S:{first:02X} 80 00 {lines:02X} {inputs:02X} {error:02X}')


def three_byte_report(first=0x03, second=0x00, error=0x00):
    """A TS report in the manual's three-byte table [40] (0x03: ready, on target, motor on)."""
    return report(f'S:{first:02X} {second:02X} {error:02X}')


OK = (b'%', status_report())


@pytest.fixture
def port_class():
    return NativePort


VERSION = '(c)2007 Physik Instrumente(PI) Karlsruhe, C-863, Ver. 1.09, 2007-08-28'

TYPED_HELPERS = [
    ('select board 0', lambda p: p.select(), [(b'\x010', None)], None),
    ('tell position [39]', lambda p: p.position(), [(b"'", report('P:+0000005555'))], 5555),
    ('tell position negative', lambda p: p.position(), [(b"'", report('P:-0000000330'))], -330),
    ('tell target [40]', lambda p: p.target(), [(b'TT\r', report('T:+0000005000'))], 5000),
    ('moving yes [21]', lambda p: p.moving(), [(b'\\', report('1'))], True),
    ('moving no', lambda p: p.moving(), [(b'\\', report('0'))], False),
    ('tell status [40]', lambda p: p.status(), [(b'%', report('S:04 02 00 03 02 00'))],
     NativeStatus.from_bytes((4, 2, 0, 3, 2, 0))),
    ('tell acceleration [38]', lambda p: p.acceleration(), [(b'TL\r', report('L:+0000170000'))], 170000),
    ('tell velocity', lambda p: p.velocity(), [(b'TY\r', report('Y:+0000150000'))], 150000),
    ('version [42]', lambda p: p.version(), [(b'VE\r', report(VERSION))], VERSION),
    ('board number [36]', lambda p: p.board_number(), [(b'TB\r', report('B:0'))], 0),
    ('board number, zero-padded', lambda p: p.board_number(), [(b'TB\r', report('B:000A'))], 10),
    ('move absolute [30]', lambda p: p.move(30000), [(b'MA30000\r', None), OK], None),
    ('move absolute negative', lambda p: p.move(-50000), [(b'MA-50000\r', None), OK], None),
    ('define home as 0 [25]', lambda p: p.define_home(), [(b'DH0\r', None), OK], None),
    ('define home as 20000 [25]', lambda p: p.define_home(20000), [(b'DH20000\r', None), OK], None),
    ('compound command [32]', lambda p: p.command('MR2000,WS100,MR-1200'),
     [(b'MR2000,WS100,MR-1200\r', None), OK], NativeStatus.from_bytes((0x04, 0x80, 0, 0x03, 0, 0))),
    ('abort: one byte [21]', lambda p: p.abort(), [(b'!', None)], None),
    ('send: no status read', lambda p: p.send('DP350'), [(b'DP350\r', None)], None),
]


@pytest.mark.parametrize('call, steps, expected', [case[1:] for case in TYPED_HELPERS],
                         ids=[case[0] for case in TYPED_HELPERS])
def test_typed_helper_exchanges(call, steps, expected):
    with expected_protocol(NativePort, steps) as port:
        assert call(port) == expected


@pytest.mark.parametrize('board, code', [(0, b'\x010'), (9, b'\x019'), (10, b'\x01A'), (15, b'\x01F')])
def test_address_selection_codes_are_ctrl_a_and_the_board_digit(board, code):
    """The table of [8]: board numbers 0-15 as 0-9, A-F, no terminator."""
    with expected_protocol(NativePort, [(code, None)], board=board) as port:
        port.select()


def test_the_version_line_names_model_and_firmware():
    assert NativePort.model_and_firmware(VERSION) == ('C-863', '1.09')
    assert NativePort.model_and_firmware('(c)2009 PI, C-863.10, Ver. 1.2') == ('C-863.10', '1.2')
    assert NativePort.model_and_firmware('C-862 Mercury, no version') == ('C-862', 'unknown')


def test_a_version_line_without_a_model_names_none():
    assert NativePort.model_and_firmware('Physik Instrumente, Ver. 2.0') == (None, '2.0')


def test_a_version_report_on_two_lines_is_read_as_one():
    """The manual prints VE's report on two lines [42]."""
    two_lines = report('(c)2007 Physik Instrumente(PI)\r\nKarlsruhe, C-863, Ver. 1.09, 2007-08-28')
    with expected_protocol(NativePort, [(b'VE\r', two_lines)]) as port:
        assert port.version() == VERSION


@pytest.mark.parametrize('echo', [b'VE\r\n', b'VE\r'], ids=['CR LF', 'CR'])
def test_an_echo_of_the_request_is_skipped(echo):
    """A controller in echo mode (labtools switches it off with EF) sends the line back first."""
    with expected_protocol(NativePort, [(b'VE\r', echo + report(VERSION)), (b'TB\r', echo.replace(b'VE', b'TB')
                                                                              + report('B:0'))]) as port:
        assert port.version() == VERSION
        assert port.board_number() == 0


def test_an_echo_of_a_single_character_query_is_skipped():
    with expected_protocol(NativePort, [(b"'", b"'" + report('P:+0000005555'))]) as port:
        assert port.position() == 5555


# ---- the status report --------------------------------------------------------------------------

def fields_set(status):
    """The names of the flags a report has set."""
    return {name for name, value in status._asdict().items() if value is True}


def test_the_manuals_example_decodes_as_at_rest_motor_on_no_error_no_limit():
    """'S:04 02 00 03 02 00' [40] has six bytes: by the hardware drivers' map, trajectory complete
    (not busy), motor on, limit switches on and active high, on the reference signal, no error."""
    status = NativeStatus.parse('S:04 02 00 03 02 00')
    assert status.layout == SIX_BYTE
    assert (status.busy, status.servo, status.error) == (False, True, 0)
    assert (status.positive_limit, status.negative_limit, status.referencing) == (False, False, False)
    assert fields_set(status) == {'reference_signal'}
    assert status.raw == (4, 2, 0, 3, 2, 0)


@pytest.mark.parametrize('text, true_fields, error', [
    ('S:01 80 04 03 00 00', {'busy'}, 0),                              # moving in the positive direction
    ('S:84 80 00 03 00 00', {'motor_off'}, 0),                         # power-up: motor loop off
    ('S:A4 80 40 03 00 00', {'motor_off', 'following_error'}, 0),      # maximum position error
    ('S:01 80 00 07 00 00', {'busy', 'referencing'}, 0),               # find edge in progress
    ('S:04 80 00 03 04 00', {'positive_limit'}, 0),                    # active high, positive high
    ('S:04 80 00 01 04 00', {'negative_limit'}, 0),                    # active low: negative low = hit
    ('S:04 81 00 03 00 01', {'echo_on'}, 1),                           # echo on, command not found
], ids=['moving', 'motor off', 'following error', 'find edge', 'positive limit', 'active low',
        'echo and error'])
def test_six_byte_status_bits(text, true_fields, error):
    status = NativeStatus.parse(text)
    assert status.layout == SIX_BYTE
    assert fields_set(status) == true_fields
    assert status.error == error


@pytest.mark.parametrize('text, true_fields, error', [
    ('S:61 00 00', {'motor_off'}, 0),
    ('S:43 04 00', {'on_target', 'positive_limit'}, 0),
    ('S:03 01 06', {'on_target', 'negative_limit'}, 6),
    ('S:f4 02 02', {'motor_off', 'referencing', 'reference_signal'}, 2),
])
def test_three_byte_status_bits(text, true_fields, error):
    status = NativeStatus.parse(text)
    assert status.layout == THREE_BYTE
    assert fields_set(status) == true_fields
    assert status.error == error


@pytest.mark.parametrize('text', ['S:04', 'S:04 02', 'S:04 02 00 03', 'S:04 02 00 03 02 00 00'])
def test_a_status_of_another_length_is_kept_raw_and_decodes_nothing(text):
    status = NativeStatus.parse(text)
    assert status.layout is None
    assert status.raw == tuple(int(byte, 16) for byte in text[2:].split())
    assert (status.servo, status.error, status.positive_limit) == (None, None, None)
    assert 'a layout this daemon does not know' in status.describe()


@pytest.mark.parametrize('text', ['S:4 2 0', 'P:+0000005555', '', 'S:', 'S:04 02 00 ', 'S:0402 00'])
def test_status_refuses_what_is_not_a_status_report(text):
    with pytest.raises(GarbledReply):
        NativeStatus.parse(text)


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=6, max_size=6))
def test_six_byte_status_decodes_every_value(raw):
    status = NativeStatus.parse('S:' + ' '.join(f'{byte:02X}' for byte in raw))
    active_high = bool(raw[3] & 0x02)
    assert status.raw == tuple(raw)
    assert status.error == raw[5]
    assert status.servo == (not raw[0] & 0x80)
    assert status.busy == bool(raw[0] & 0x01)
    assert status.referencing == bool(raw[3] & 0x04)
    assert status.positive_limit == (bool(raw[4] & 0x04) == active_high)
    assert status.negative_limit == (bool(raw[4] & 0x08) == active_high)


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=3, max_size=3))
def test_three_byte_status_decodes_every_value(raw):
    status = NativeStatus.parse('S:' + ' '.join(f'{byte:02X}' for byte in raw))
    assert status.error == raw[2]
    assert status.servo == (not raw[0] & 0x20)
    assert status.referencing == bool(raw[0] & 0x04)
    assert status.positive_limit == bool(raw[1] & 0x04)


@pytest.mark.parametrize('layout, code, text', [
    (THREE_BYTE, 0, 'no error'), (THREE_BYTE, 1, 'RS-232 timeout'), (THREE_BYTE, 2, 'RS-232 overflow'),
    (THREE_BYTE, 3, 'macro storage full'), (THREE_BYTE, 4, 'macro out of range'),
    (THREE_BYTE, 5, 'wrong macro command'), (THREE_BYTE, 6, 'command error'),
    (SIX_BYTE, 0, 'no error'), (SIX_BYTE, 1, 'command not found'),
    (SIX_BYTE, 2, 'first command character was not a letter'),
    (SIX_BYTE, 3, 'character following command was not a digit'), (SIX_BYTE, 4, 'value too large'),
    (SIX_BYTE, 5, 'value too small'), (SIX_BYTE, 6, 'continuation character was not a comma'),
    (SIX_BYTE, 7, 'command buffer overflow'), (SIX_BYTE, 8, 'macro storage overflow')])
def test_every_error_number_has_its_meaning_in_its_layout(layout, code, text):
    assert ERRORS[layout][code] == error_text(code, layout) == text


def test_an_unknown_error_number_says_so():
    assert error_text(42, SIX_BYTE) == 'unknown native error 42'
    assert error_text(1, None) == 'unknown native error 1'


# ---- refusals -------------------------------------------------------------------------------------

@pytest.mark.parametrize('reply, text', [(status_report(error=4), 'value too large'),
                                         (three_byte_report(error=6), 'command error')], ids=[SIX_BYTE, THREE_BYTE])
def test_a_command_the_controller_flags_raises_its_error_number(reply, text):
    with expected_protocol(NativePort, [(b'MA30000\r', None), (b'%', reply)]) as port:
        with pytest.raises(ControllerError) as refused:
            port.move(30000)
    code = refused.value.code
    assert (refused.value.command, refused.value.text) == ('MA30000', text)
    assert str(refused.value) == f"controller refused 'MA30000': error {code} ({text})"


def test_silence_raises_reply_timeout_naming_the_request(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b"'", None)):
        with pytest.raises(NoReply, match="no reply to \"'\"") as silent:
            port.position()
    assert silent.value.received == b''


def test_a_report_without_its_etx_is_an_incomplete_reply(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b"'", b'P:+0000005555\r\n')):
        with pytest.raises(NoReply, match='incomplete reply') as cut:
            port.position()
    assert cut.value.received == b'P:+0000005555\r\n'


@pytest.mark.parametrize('reply, problem', [
    (b'P:+0000005555\r\n\x03junk', 'more bytes after the end'),
    (b'P:+00\r\n00005555\r\n\x03', 'a line end inside a report'),
    (report('T:+0000005555'), 'expected a report such as "P:+0000005555"'),
    (report('P:5555.5'), 'expected a report such as'),
    (bytes(b ^ 0x80 for b in b'P:+0000005555') + END, 'expected a report such as'),
])
def test_replies_that_are_not_the_report_asked_for_are_protocol_errors(reply, problem):
    with expected_protocol(NativePort, [(b"'", reply)]) as port:
        with pytest.raises(GarbledReply, match=re.escape(problem)):
            port.position()


def test_a_moving_report_other_than_0_or_1_is_a_protocol_error():
    with expected_protocol(NativePort, [(b'\\', report('2'))]) as port:
        with pytest.raises(GarbledReply, match='expected "0" or "1"'):
            port.moving()


# ---- framing ----------------------------------------------------------------------------------------

def test_a_report_split_across_reads_is_put_together(open_port, wire):
    """At 9600 baud a report arrives a byte at a time; the timeout counts silence only."""
    port = open_port(timeout=0.5)

    def trickling_controller(wire):
        wire.expect(b'TT\r')
        for piece in (b'T:+00', b'00035500\r', b'\n', b'\x03'):
            wire.reply(piece)

    with playing(wire, trickling_controller):
        assert port.target() == 35500


def test_stale_bytes_are_discarded_before_a_request(port, wire, pty_pair, caplog):
    """A report that arrived after its query gave up must not answer the next query."""
    wire.reply(report('P:+0000000001'))
    wait_until(lambda: bytes_waiting(pty_pair[1]) == 16, DEADLINE, 'stale bytes to reach the device')
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.native'):
        with play(wire, (b"'", report('P:+0000000002'))):
            assert port.position() == 2
    assert 'discarded 16 unexpected bytes' in caplog.text


def test_abort_goes_out_while_another_thread_waits_for_a_report(port, wire):
    """'!' must not queue behind a poll: the controller sees it before it answers the poll."""
    waiting = threading.Event()
    results = []

    def controller(wire):
        wire.expect(b'%')
        waiting.set()
        wire.expect(b'!')
        wire.reply(status_report())

    def poll():
        results.append(port.status().servo)

    with playing(wire, controller):
        poller = threading.Thread(target=poll)
        poller.start()
        assert waiting.wait(DEADLINE), 'the status query never reached the controller'
        port.abort()
        poller.join(DEADLINE)
    assert results == [True]


# ---- bad input changes nothing -------------------------------------------------------------------

BAD_INPUT = [
    ('plus sign, which is TE', lambda p: p.send('MR+5000'), ValueError),
    ('apostrophe, which is TP', lambda p: p.command("MA1'"), ValueError),
    ('exclamation mark, which is AB', lambda p: p.query('TP!'), ValueError),
    ('carriage return inside', lambda p: p.send('MA1\rMA2'), ValueError),
    ('ctrl-A inside', lambda p: p.send('\x010MA1'), ValueError),
    ('empty line, which repeats the last one', lambda p: p.send(''), ValueError),
    ('not a string', lambda p: p.command(None), ValueError),
    ('float position', lambda p: p.move(1.5), TypeError),
    ('bool position', lambda p: p.move(True), TypeError),
    ('string position', lambda p: p.define_home('0'), TypeError),
    ('position beyond the counter', lambda p: p.move(2 ** 31), ValueError),
    ('ten digits [18]', lambda p: p.move(-1000000000), ValueError),
    ('ten digits in a line', lambda p: p.command('DH-1000000000'), ValueError),
    ('ten digits with leading zeros', lambda p: p.send('MA0000000001'), ValueError),
    ('report character that is not one', lambda p: p.query_character('x'), ValueError),
    ('abort as a query', lambda p: p.query_character('!'), ValueError),
    ('a query as a reportless character', lambda p: p.send_character("'"), ValueError),
]


@pytest.mark.parametrize('call, error', [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_is_sent(port, wire, call, error):
    with pytest.raises(error):
        call(port)
    assert wire.pending() == b''


@pytest.mark.parametrize('options', [{'board': 16}, {'board': -1}, {'board': True}, {'board': '0'},
                                     {'timeout': 0}, {'baudrate': 0}])
def test_bad_port_options_are_refused_before_opening(device, options):
    with pytest.raises(ValueError):
        NativePort(device, **options)
    NativePort(device).close()  # the device was not left locked


# ---- the device ---------------------------------------------------------------------------------

def test_port_is_opened_exclusively(port, device):
    with pytest.raises(LinkLost, match='exclusively'):
        NativePort(device)


def test_unplugged_device_is_a_port_error(port, wire):
    wire.close()
    with pytest.raises(LinkLost):
        port.position()


def test_closed_port_is_a_port_error(port):
    port.close()
    with pytest.raises(LinkLost, match='closed'):
        port.abort()


# ---- the controller built on it ------------------------------------------------------------------

class ConfigStub:
    """The attributes make_controller reads, as Config sets them."""
    serial_port, serial_baud, serial_timeout, controller_address = '/dev/focuser', 9600, 5.0, 3
    reference_position, servo_tuning, settle_window, motion_pause = 0, ('DP350',), 10, 0.02

    def __init__(self, protocol):
        self.protocol = protocol
        self.reference_mode = {'gcs': 'FRF', 'native': 'FE2'}[protocol]


@pytest.mark.parametrize('protocol, kind', [('gcs', 'GCSController'), ('native', 'NativeController')])
def test_the_config_protocol_chooses_the_controller(protocol, kind):
    assert type(make_controller(ConfigStub(protocol))).__name__ == kind


STILL = (b'\\', report('0'))
CONNECT = [(b'\x010', None), STILL, (b'TB\r', report('B:0')), (b'VE\r', report(VERSION)),
           (b'TY\r', report('Y:+0000100000')), (b'TL\r', report('L:+0000400000'))]


def connected(device, wire, status, count=0, version=VERSION, **options):
    """A NativeController connected through CONNECT (with `version`), a status report and a count."""
    controller = NativeController(device, 9600, 0.5, **options)
    steps = [*CONNECT[:3], (b'VE\r', report(version)), *CONNECT[4:], (b'%', status), (b"'", report(f'P:{count:+011d}'))]
    with play(wire, *steps):
        info = controller.connect()
    return controller, info


@pytest.mark.parametrize('status, count, referenced', [
    (status_report(0x04), 125000, True),      # motor on, a count from a finished reference run: still referenced
    (status_report(0x84), 0, False),          # motor off: power-up, RT, or a following error
    (status_report(0x04), -899950000, False),  # motor on, but counting from the marker: a run that never finished
    (three_byte_report(0x03), 125000, False),  # the manual's table: its motor-off bit is unproven on a C-863
    (report('S:04 80 00 03'), 125000, False),  # a layout nobody described: nothing is trusted
], ids=['motor on', 'motor off', 'marker count', 'three-byte layout', 'unknown layout'])
def test_connect_trusts_a_reference_only_on_proven_evidence(device, wire, status, count, referenced):
    controller, info = connected(device, wire, status, count)
    with play(wire, (b'%', status), STILL, (b"'", report(f'P:{count:+011d}'))):
        snapshot = controller.poll()
    controller.close()
    assert info.description == 'C-863 firmware 1.09 (native Mercury commands)'
    assert (snapshot.referenced, snapshot.position, snapshot.target) == (referenced, count, count)


def test_connect_logs_the_raw_status_report_and_its_layout(device, wire, caplog):
    with caplog.at_level(logging.INFO, logger='rockit.focuser.c863.controller.native_axis'):
        connected(device, wire, report('S:04 02 00 03 02 00'))[0].close()
    assert ('status report at connect: S:04 02 00 03 02 00 (six-byte layout: reference_signal; '
            'error 0: no error)') in caplog.text


def test_connect_checks_the_selected_board_answers(device, wire):
    """Device number 3 is board 2 [8]; TB tells which board answers [9]."""
    controller = NativeController(device, 9600, 0.5, address=3)
    with play(wire, (b'\x012', None), STILL, (b'TB\r', report('B:1'))):
        with pytest.raises(NotSupported, match=r'board 1 answered .* after selecting board 2'):
            controller.connect()


def test_connect_waits_for_a_motion_left_running_without_a_line_command(device, wire, caplog):
    """A line command would cut short a reference run still going: only \\ until it reads 0."""
    controller = NativeController(device, 9600, 0.5)
    moving = (b'\\', report('1'))
    steps = [CONNECT[0], moving, moving, moving, *CONNECT[1:], (b'%', status_report()), (b"'", report('P:+0000000000'))]
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.controller.native_axis'):
        with play(wire, *steps):
            controller.connect()
    controller.close()
    assert 'is moving (a reference run or move left running?)' in caplog.text


def test_connect_accepts_a_version_line_naming_the_ordering_number(device, wire):
    controller, info = connected(device, wire, status_report(0x84), version=VERSION.replace('C-863', 'C-863.10'))
    controller.close()
    assert info.model == 'C-863.10'


@pytest.mark.parametrize('version, model', [(VERSION.replace('C-863', 'C-663'), 'C-663'),
                                            ('Physik Instrumente, Ver. 2.0', 'unknown model')])
def test_a_controller_that_is_not_a_c863_is_driven_with_a_warning(device, wire, caplog, version, model):
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.controller.native_axis'):
        controller, info = connected(device, wire, status_report(), version=version)
    controller.close()
    assert info.model == model
    assert 'which names no C-863: driving it as one' in caplog.text


def test_echo_found_on_at_connect_is_switched_off(device, wire, caplog):
    controller = NativeController(device, 9600, 0.5)
    echoing = report('S:04 81 00 03 00 00')
    steps = [*CONNECT, (b'%', echoing), (b'EF\r', None), (b'%', status_report()), (b"'", report('P:+0000000000'))]
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.controller.native_axis'):
        with play(wire, *steps):
            controller.connect()
    controller.close()
    assert 'sending EF (echo off)' in caplog.text
    assert 'still on' not in caplog.text


# ---- pacing --------------------------------------------------------------------------------------

class Arrivals:
    """A controller script that notes when each request arrived (monotonic time)."""

    def __init__(self, *steps):
        self.steps, self.times = steps, []

    def __call__(self, wire):
        for request, reply in self.steps:
            wire.expect(request)
            self.times.append(time.monotonic())
            if reply is not None:
                wire.reply(reply)


def test_the_byte_after_a_motion_command_waits_the_pause(open_port, wire):
    """EPICS: a C-862 drops characters sent at once after a move command; so does TS here."""
    port = open_port(motion_pause=0.05)
    controller = Arrivals((b'MA100\r', None), (b'%', status_report()))
    with playing(wire, controller):
        before = time.monotonic()
        port.move(100)
    _, status = controller.times
    assert status >= before + 0.05


def test_a_line_that_starts_no_motion_starts_no_pause(open_port, wire):
    """DH moves nothing: a stop after it goes out once (inside a pause it would go twice)."""
    port = open_port(motion_pause=1.0)
    with play(wire, (b'DH0\r', None), (b'!', None)):
        port.send('DH0')
        port.abort()


def test_a_stop_inside_the_pause_goes_out_at_once_and_again_after_it(open_port, wire):
    port = open_port(motion_pause=1.0)
    controller = Arrivals((b'MR100\r', None), (b'!', None), (b'!', None))
    with playing(wire, controller):
        before = time.monotonic()
        port.send('MR100')
        port.abort()
    _, first_stop, second_stop = controller.times
    assert first_stop < before + 1.0, 'the stop was held back'
    assert second_stop >= before + 1.0


def test_home_sends_the_tuning_after_mn_and_a_missing_readback_is_only_a_warning(device, wire, caplog):
    """The setting went out; a controller that does not answer GP is worth a line, not a failed home."""
    controller, _ = connected(device, wire, status_report(0x84), tuning=('DP350',))
    ok = (b'%', status_report())
    steps = [(b'MN\r', None), ok, (b'DP350\r', None), ok, (b'GP\r', None),
             (b'DH-900000000\r', None), ok, (b'FE2\r', None), ok]
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.controller.native_axis'):
        with play(wire, *steps):
            controller.home()
    controller.close()
    assert "servo tuning: DP350 sent, but GP did not report it back: no reply to 'GP'" in caplog.text
