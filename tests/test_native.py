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

import pytest
from hypothesis import given, strategies as st

from rockit.focuser.c863.controller import NativeController, make_controller
from rockit.focuser.c863.errors import ControllerError, GarbledReply, LinkLost, NoReply, NotSupported
from rockit.focuser.c863.native import ERRORS, NativePort, NativeStatus, error_text
from conftest import wait_until
from testkit.peer import DEADLINE, bytes_waiting, expected_protocol, play, playing

END = b'\r\n\x03'


def report(text):
    return text.encode('latin-1') + END


def status_report(first=0x43, second=0x00, error=0x00):
    """A TS report as the simulator sends it: three described bytes and three more [40]."""
    return report(f'S:{first:02X} {second:02X} {error:02X} 00 00 00')


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
     [(b'MR2000,WS100,MR-1200\r', None), OK], NativeStatus.from_bytes((0x43, 0, 0, 0, 0, 0))),
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


def test_a_version_line_without_a_model_is_a_protocol_error():
    with pytest.raises(GarbledReply, match='no PI model'):
        NativePort.model_and_firmware('MERCURY')


# ---- the status report --------------------------------------------------------------------------

def test_status_example_of_the_manual_decodes_by_its_table():
    """'S:04 02 00 03 02 00' [40]: byte 1 bit 2 'reference drive active', byte 2 bit 1
    'reference signal', byte 3 'no error'; the further bytes are not described."""
    status = NativeStatus.parse('S:04 02 00 03 02 00')
    true_fields = {name for name, value in status._asdict().items() if value is True}
    assert true_fields == {'referencing', 'reference_signal'}
    assert status.error == 0 and status.servo is True
    assert status.raw == (4, 2, 0, 3, 2, 0)


@pytest.mark.parametrize('text, true_fields, error', [
    ('S:61 00 00', {'ready', 'motor_off', 'brake_on'}, 0),
    ('S:43 04 00 00 00 00', {'ready', 'on_target', 'brake_on', 'positive_limit'}, 0),
    ('S:03 01 06 00 00 00', {'ready', 'on_target', 'negative_limit'}, 6),
    ('S:f0 f0 02', {'macro_running', 'motor_off', 'brake_on', 'drive_current'}, 2),
])
def test_status_bits(text, true_fields, error):
    status = NativeStatus.parse(text)
    assert {name for name, value in status._asdict().items() if value is True} == true_fields
    assert status.error == error


@pytest.mark.parametrize('text', ['S:04 02', 'S:4 2 0', 'P:+0000005555', '', 'S:04 02 00 ', 'S:0402 00'])
def test_status_refuses_what_is_not_a_status_report(text):
    with pytest.raises(GarbledReply):
        NativeStatus.parse(text)


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=3, max_size=8))
def test_status_decodes_every_value(raw):
    status = NativeStatus.parse('S:' + ' '.join(f'{byte:02X}' for byte in raw))
    assert status.raw == tuple(raw)
    assert status.error == raw[2]
    assert status.servo == (not raw[0] & 0x20)
    assert status.referencing == bool(raw[0] & 0x04)
    assert status.positive_limit == bool(raw[1] & 0x04)


@pytest.mark.parametrize('code, text', [(0, 'no error'), (1, 'RS-232 timeout'), (2, 'RS-232 overflow'),
                                        (3, 'macro storage full'), (4, 'macro out of range'),
                                        (5, 'wrong macro command'), (6, 'command error')])
def test_every_error_number_of_the_manual_has_its_meaning(code, text):
    assert ERRORS[code] == error_text(code) == text


def test_an_unknown_error_number_says_so():
    assert error_text(42) == 'unknown native error 42'


# ---- refusals -------------------------------------------------------------------------------------

def test_a_command_the_controller_flags_raises_its_error_number():
    with expected_protocol(NativePort, [(b'MA30000\r', None), (b'%', status_report(error=6))]) as port:
        with pytest.raises(ControllerError) as refused:
            port.move(30000)
    assert (refused.value.code, refused.value.command, refused.value.text) == (6, 'MA30000', 'command error')
    assert isinstance(refused.value, ControllerError), 'the daemon handles both command sets alike'
    assert str(refused.value) == "controller refused 'MA30000': error 6 (command error)"


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
        results.append(port.status().on_target)

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

    def __init__(self, protocol):
        self.protocol = protocol
        self.reference_mode = {'gcs': 'FRF', 'native': 'FE2'}[protocol]
        self.reference_position = 0


@pytest.mark.parametrize('protocol, kind', [('gcs', 'GCSController'), ('native', 'NativeController')])
def test_the_config_protocol_chooses_the_controller(protocol, kind):
    assert type(make_controller(ConfigStub(protocol))).__name__ == kind


CONNECT = [(b'\x010', None), (b'TB\r', report('B:0')), (b'VE\r', report(VERSION)),
           (b'TY\r', report('Y:+0000100000')), (b'TL\r', report('L:+0000400000'))]


@pytest.mark.parametrize('first_status_byte, count, referenced', [
    (0x43, 125000, True),       # motor on, a count from a finished reference run: still referenced
    (0x61, 0, False),           # motor off: power-up, RT, or a following error
    (0x43, -999950000, False),  # motor on, but counting from the marker: a run that never finished
], ids=['motor on', 'motor off', 'marker count'])
def test_connect_judges_from_motor_and_count_whether_still_referenced(device, wire, first_status_byte,
                                                                     count, referenced):
    controller = NativeController(device, 9600, 0.5)
    status = (b'%', status_report(first_status_byte))
    position = (b"'", report(f'P:{count:+011d}'))
    with play(wire, *CONNECT, status, position, status, (b'\\', report('0')), position):
        info = controller.connect()
        snapshot = controller.poll()
    controller.close()
    assert info.description == 'C-863 firmware 1.09 (native Mercury commands)'
    assert (snapshot.referenced, snapshot.position, snapshot.target) == (referenced, count, count)
    assert snapshot.servo == (first_status_byte == 0x43)


def test_connect_checks_the_selected_board_answers(device, wire):
    """Device number 3 is board 2 [8]; TB tells which board answers [9]."""
    controller = NativeController(device, 9600, 0.5, address=3)
    with play(wire, (b'\x012', None), (b'TB\r', report('B:1'))):
        with pytest.raises(NotSupported, match=r'board 1 answered .* after selecting board 2'):
            controller.connect()


def test_connect_accepts_a_version_line_naming_the_ordering_number(device, wire):
    controller = NativeController(device, 9600, 0.5)
    version = (b'VE\r', report(VERSION.replace('C-863', 'C-863.10')))
    status, position = (b'%', status_report(0x61)), (b"'", report('P:+0000000000'))
    with play(wire, *CONNECT[:2], version, *CONNECT[3:], status, position):
        assert controller.connect().model == 'C-863.10'
    controller.close()


def test_connect_refuses_a_controller_that_is_not_a_c863(device, wire):
    controller = NativeController(device, 9600, 0.5)
    version = VERSION.replace('C-863', 'C-663')
    with play(wire, *CONNECT[:2], (b'VE\r', report(version))):
        with pytest.raises(NotSupported, match='not a C-863 speaking native Mercury commands'):
            controller.connect()
