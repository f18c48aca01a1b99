# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The GCS 2.0 protocol layer, byte for byte, against a controller played by the test.

Exchanges that are only about bytes are data, (request, reply) pairs, run on an in-memory line
that GCSPort opens as it opens a device (testkit/peer.py expected_protocol). Everything that
needs a real line (replies split across reads, silence, timing, stale input, an unplugged
device, a stop racing a reply) runs on a pseudo-terminal pair: GCSPort opens the slave device
as it would a real serial port, and a helper thread plays the C-863 on the master end, asserting
the exact request bytes and answering with scripted reply bytes.
"""
import logging
import math
import socket
import threading
import time

import pytest
from hypothesis import given, strategies as st

from conftest import wait_until
from testkit.peer import DEADLINE, Wire, bytes_waiting, expected_protocol, play, playing

from rockit.focuser.c863.errors import ControllerError, GarbledReply, LinkLost, NoReply
from rockit.focuser.c863.gcs import GCSPort, StatusRegister, format_float
from rockit.focuser.c863.gcs_errors import ERRORS, StopLedger, error_text



@pytest.fixture
def port_class():
    return GCSPort


OK = (b'ERR?\n', b'0\n')

TYPED_HELPERS = [
    ('identify', lambda p: p.identify(),
     [(b'*IDN?\n', b'(c)2015 Physik Instrumente (PI) GmbH & Co. KG, C-863.12, 0123456789, 01.000.000\n')],
     '(c)2015 Physik Instrumente (PI) GmbH & Co. KG, C-863.12, 0123456789, 01.000.000'),
    ('position', lambda p: p.position(), [(b'POS? 1\n', b'1=12.500000\n')], 12.5),
    ('position signed zero-padded', lambda p: p.position(), [(b'POS? 1\n', b'1=+0012.5000\n')], 12.5),
    ('position negative', lambda p: p.position(), [(b'POS? 1\n', b'1=-3.25\n')], -3.25),
    ('position other axis', lambda p: p.position('A'), [(b'POS? A\n', b'A=7\n')], 7.0),
    ('target', lambda p: p.target(), [(b'MOV? 1\n', b'1=99.125\n')], 99.125),
    ('referenced', lambda p: p.referenced(), [(b'FRF? 1\n', b'1=1\n')], True),
    ('servo', lambda p: p.servo(), [(b'SVO? 1\n', b'1=0\n')], False),
    ('status_register', lambda p: p.status_register(), [(b'\x04', b'0x9005\n')],
     StatusRegister.from_raw(0x9005)),
    ('parameter_float hex echo', lambda p: p.parameter_float(0xE),
     [(b'SPA? 1 0xE\n', b'1 0xE=10000\n')], 10000.0),
    ('parameter_float decimal echo', lambda p: p.parameter_float(15),
     [(b'SPA? 1 0xF\n', b'1 15=1\n')], 1.0),
    ('travel_range', lambda p: p.travel_range(),
     [(b'TMN? 1\n', b'1=-12.5\n'), (b'TMX? 1\n', b'1=12.5\n')], (-12.5, 12.5)),
    ('velocity', lambda p: p.velocity(), [(b'VEL? 1\n', b'1=1.5\n')], 1.5),
    ('acceleration', lambda p: p.acceleration(), [(b'ACC? 1\n', b'1=10.0\n')], 10.0),
    ('deceleration', lambda p: p.deceleration(), [(b'DEC? 1\n', b'1=20\n')], 20.0),
    ('on_target', lambda p: p.on_target(), [(b'ONT? 1\n', b'1=1\n')], True),
    ('status_query', lambda p: p.status_query(), [(b'SRG? 1 1\n', b'1 1=0x9005\n')],
     StatusRegister.from_raw(0x9005)),
    ('read_error', lambda p: p.read_error(), [(b'ERR?\n', b'-1024\n')], -1024),
    ('set_servo on', lambda p: p.set_servo(True), [(b'SVO 1 1\n', None), OK], None),
    ('set_servo off', lambda p: p.set_servo(False), [(b'SVO 1 0\n', None), OK], None),
    ('set_reference_mode', lambda p: p.set_reference_mode(False), [(b'RON 1 0\n', None), OK], None),
    ('reference FRF', lambda p: p.reference(), [(b'FRF 1\n', None), OK], None),
    ('reference FNL', lambda p: p.reference('FNL'), [(b'FNL 1\n', None), OK], None),
    ('reference FPL', lambda p: p.reference('FPL'), [(b'FPL 1\n', None), OK], None),
    ('move', lambda p: p.move(12.5), [(b'MOV 1 12.5\n', None), OK], None),
    ('move integer', lambda p: p.move(3), [(b'MOV 1 3.0\n', None), OK], None),
    ('move tiny', lambda p: p.move(1e-7), [(b'MOV 1 0.0000001\n', None), OK], None),
    ('move large', lambda p: p.move(123456789.123456), [(b'MOV 1 123456789.123456\n', None), OK], None),
    ('stop_all: one raw byte', lambda p: p.stop_all(), [(b'\x18', None)], None),
    ('send: no ERR?', lambda p: p.send('SVO 1 1'), [(b'SVO 1 1\n', None)], None),
]


@pytest.mark.parametrize('call, steps, expected', [case[1:] for case in TYPED_HELPERS],
                         ids=[case[0] for case in TYPED_HELPERS])
def test_typed_helper_exchanges(call, steps, expected):
    with expected_protocol(GCSPort, steps) as port:
        assert call(port) == expected


def test_model_is_the_second_comma_field():
    idn = '(c)2015 Physik Instrumente (PI) GmbH & Co. KG, C-863.12, 0123456789, 01.000.000'
    assert GCSPort.model(idn) == 'C-863.12'


def test_model_of_a_line_without_one_is_a_protocol_error():
    with pytest.raises(GarbledReply, match='model'):
        GCSPort.model('MERCURY')


# ---- addressing ----------------------------------------------------------------------

def test_addressed_query_prefixes_request_and_strips_reply():
    with expected_protocol(GCSPort, [(b'1 POS? 1\n', b'0 1 1=7.031250\n')], address=1) as port:
        assert port.position() == 7.03125


def test_addressed_command_checks_error_with_address():
    with expected_protocol(GCSPort, [(b'3 MOV 1 5.0\n', None), (b'3 ERR?\n', b'0 3 0\n')], address=3) as port:
        port.move(5)


def test_address_prefix_is_stripped_from_the_first_line_only():
    with expected_protocol(GCSPort, [(b'1 VER?\n', b'0 1 first \n0 1 second\n')], address=1) as port:
        assert port.query('VER?') == ['first', '0 1 second']


def test_addressed_single_byte_commands(open_port, wire):
    port = open_port(address=2)
    with play(wire, (b'2 \x04', b'0 2 0x9005\n'), (b'2 \x18', None)):
        assert port.status_register().raw == 0x9005
        port.stop_all()


def test_reply_without_the_address_prefix_is_a_protocol_error():
    with expected_protocol(GCSPort, [(b'1 POS? 1\n', b'1=7.0\n')], address=1) as port:
        with pytest.raises(GarbledReply, match="address prefix '0 1 '"):
            port.position()


# ---- framing -------------------------------------------------------------------------

def test_multi_line_reply_continues_after_space_lf(port, wire):
    reply = b'The following commands are valid: \n#4 Request Status Register \nend of help\n'
    with play(wire, (b'HLP?\n', reply)):
        assert port.query('HLP?') == ['The following commands are valid:',
                                      '#4 Request Status Register', 'end of help']


def test_leading_nul_of_a_multi_line_reply_is_ignored(port, wire):
    with play(wire, (b'HPA?\n', b'\x000x1=\t0\t1\tINT\tmotorcontroller\tP term 1 \nend\n')):
        assert port.query('HPA?') == ['0x1=\t0\t1\tINT\tmotorcontroller\tP term 1', 'end']


def test_leading_nul_after_the_address_prefix_is_ignored(open_port, wire):
    port = open_port(address=1)
    with play(wire, (b'1 HLP?\n', b'0 1 \x00heading \nend of help\n')):
        assert port.query('HLP?') == ['heading', 'end of help']


def test_timeout_restarts_while_bytes_trickle_in(open_port, wire):
    """Six bytes 0.1 s apart take longer than the 0.4 s timeout, yet none is late."""
    port = open_port(timeout=0.4)

    def slow_controller(wire):
        wire.expect(b'VER?\n')
        for byte in b'a \nbc\n':
            time.sleep(0.1)  # the line's pacing under test, not synchronisation
            wire.reply(bytes([byte]))

    with playing(wire, slow_controller):
        assert port.query('VER?') == ['a', 'bc']


def test_stale_bytes_are_discarded_before_a_request(port, wire, pty_pair, caplog):
    """A reply that arrived after its query gave up must not answer the next query."""
    wire.reply(b'1=99.0\n')
    wait_until(lambda: bytes_waiting(pty_pair[1]) == 7, DEADLINE, 'stale bytes to reach the device')
    with caplog.at_level(logging.WARNING, logger='rockit.focuser.c863.gcs'):
        with play(wire, (b'POS? 1\n', b'1=2.5\n')):
            assert port.position() == 2.5
    assert "b'1=99.0\\n'" in caplog.text


# ---- silence and refusals -------------------------------------------------------------

def test_refused_query_raises_controller_error_from_err(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b'XYZ?\n', None), (b'ERR?\n', b'2\n')):
        with pytest.raises(ControllerError) as refused:
            port.query('XYZ?')
    assert refused.value.code == 2
    assert refused.value.command == 'XYZ?'
    assert 'XYZ?' in str(refused.value) and 'PI_CNTR_UNKNOWN_COMMAND' in str(refused.value)


def test_unknown_parameter_raises_controller_error_54(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b'SPA? 1 0x99\n', None), (b'ERR?\n', b'54\n')):
        with pytest.raises(ControllerError) as refused:
            port.parameter_float(0x99)
    assert refused.value.code == 54
    assert refused.value.command == 'SPA? 1 0x99'


def test_silent_query_with_no_error_raises_reply_timeout(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b'POS? 1\n', None), (b'ERR?\n', b'0\n')):
        with pytest.raises(NoReply, match=r"no reply to 'POS\? 1'") as silent:
            port.position()
    assert silent.value.command == 'POS? 1'


def test_mute_controller_raises_reply_timeout_naming_the_query(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b'POS? 1\n', None), (b'ERR?\n', None)):
        with pytest.raises(NoReply) as silent:
            port.position()
    assert silent.value.command == 'POS? 1'


def test_truncated_reply_raises_reply_timeout_without_asking_err(open_port, wire):
    port = open_port(timeout=0.2)
    with play(wire, (b'POS? 1\n', b'1=12.')):
        with pytest.raises(NoReply, match=r"incomplete reply to 'POS\? 1'") as cut:
            port.position()
    assert cut.value.received == b'1=12.'


def test_refused_command_raises_controller_error_with_pi_text(port, wire):
    with play(wire, (b'MOV 1 99999.0\n', None), (b'ERR?\n', b'7\n')):
        with pytest.raises(ControllerError) as refused:
            port.move(99999)
    assert refused.value.code == 7
    assert refused.value.text == 'PI_CNTR_POS_OUT_OF_LIMITS: position out of limits'
    assert refused.value.command == 'MOV 1 99999.0'
    assert 'MOV 1 99999.0' in str(refused.value)


def test_a_garbled_srg_reply_names_srg(port, wire):
    with play(wire, (b'SRG? 1 1\n', b'1 1=9005\n')):
        with pytest.raises(GarbledReply, match=r"'SRG\? 1 1'.*status register"):
            port.status_query()


def test_set_command_can_be_refused_like_every_other(port, wire):
    with play(wire, (b'SVO 1 1\n', None), (b'ERR?\n', b'-1024\n')):
        with pytest.raises(ControllerError, match='PI_MOTION_ERROR'):
            port.set_servo(True)


# ---- error 10: our stop only if this port sent one ------------------------------------

def test_error_10_is_our_stop_only_after_a_stop_of_ours():
    ten = (b'ERR?\n', b'10\n')
    with expected_protocol(GCSPort, [ten, (b'\x18', None), ten, ten]) as port:
        foreign = port.error()
        assert not foreign.stopped_by_command and 'not by this daemon' in foreign.text
        assert not port.stop_unread
        port.stop_all()
        assert port.stop_unread, 'the next poll must read ERR?, whatever #4 flags'
        assert port.error().stopped_by_command
        assert not port.stop_unread
        assert not port.error().stopped_by_command, 'one stop explains one read, not every later 10'


def test_error_10_in_a_commands_check_is_ours_after_our_stop():
    with expected_protocol(GCSPort, [(b'\x18', None), (b'MOV 1 5.0\n', None), (b'ERR?\n', b'10\n')]) as port:
        port.stop_all()
        with pytest.raises(ControllerError) as stopped:
            port.move(5)
    assert stopped.value.stopped_by_command


def test_a_stop_still_being_written_stays_unread_after_an_err_read():
    """Its byte may reach the controller after the ERR? that was on the wire meanwhile."""
    ledger = StopLedger()
    with ledger.sending():
        assert ledger.after_reading(ledger.before_reading()), 'the 10 in that reply may be ours'
        assert ledger.unread
    assert ledger.after_reading(ledger.before_reading())
    assert not ledger.unread
    assert not ledger.after_reading(ledger.before_reading())


# ---- garbage --------------------------------------------------------------------------

GARBAGE = [  # (id, call, request, reply, problem named, received text quoted)
    ('not a number', lambda p: p.position(), b'POS? 1\n', b'1=abc\n', 'expected a number', "'abc'"),
    ('no axis key', lambda p: p.position(), b'POS? 1\n', b'12.5\n', 'expected "1=<value>"', "'12.5'"),
    ('wrong axis', lambda p: p.position(), b'POS? 1\n', b'2=12.5\n', 'expected "1=<value>"', "'2=12.5'"),
    ('empty', lambda p: p.position(), b'POS? 1\n', b'\n', 'expected "1=<value>"', "''"),
    ('carriage return', lambda p: p.position(), b'POS? 1\n', b'1=12.5\r\n', 'carriage return', '1=12.5'),
    ('two lines', lambda p: p.position(), b'POS? 1\n', b'1=1 \n1=2\n', 'expected one line', '1=2'),
    ('status without 0x', lambda p: p.status_register(), b'\x04', b'9005\n', 'status register', "'9005'"),
    ('status not hex', lambda p: p.status_register(), b'\x04', b'0xZZ\n', 'status register', "'0xZZ'"),
    ('native C-863.10 reply', lambda p: p.identify(), b'*IDN?\n', b'C-863.10\r\n', 'carriage return',
     'C-863.10'),
]


@pytest.mark.parametrize('call, request_bytes, reply, problem, shown', [case[1:] for case in GARBAGE],
                         ids=[case[0] for case in GARBAGE])
def test_garbage_reply_is_a_protocol_error(port, wire, call, request_bytes, reply, problem, shown):
    with play(wire, (request_bytes, reply)):
        with pytest.raises(GarbledReply) as garbage:
            call(port)
    assert problem in str(garbage.value)
    assert shown in str(garbage.value)


def test_garbage_error_code_is_a_protocol_error_naming_err(port, wire):
    with play(wire, (b'SVO 1 1\n', None), (b'ERR?\n', b'OK\n')):
        with pytest.raises(GarbledReply, match=r"reply to 'ERR\?'.*'OK'"):
            port.set_servo(True)


# ---- stop goes out at once ---------------------------------------------------------------

def test_stop_byte_goes_out_while_another_thread_waits_for_a_reply(port, wire):
    """The controller answers the pending POS? only after it has seen #24, which is
    only possible if stop_all() did not wait for that exchange to finish."""
    waiting = threading.Event()
    results = []

    def controller(wire):
        wire.expect(b'POS? 1\n')
        waiting.set()
        wire.expect(b'\x18')
        wire.reply(b'1=7.5\n')

    def poll():
        results.append(port.position())

    with playing(wire, controller):
        poller = threading.Thread(target=poll)
        poller.start()
        assert waiting.wait(DEADLINE), 'the query never reached the controller'
        port.stop_all()
        poller.join(DEADLINE)
    assert results == [7.5]


# ---- the device --------------------------------------------------------------------------

def test_port_is_opened_exclusively(port, device):
    with pytest.raises(LinkLost, match='exclusively'):
        GCSPort(device)


def test_port_can_be_reopened_after_close(open_port, device, wire):
    open_port().close()
    with play(wire, (b'\x04', b'0x9005\n')):
        assert open_port().status_register().on_target


def test_missing_device_is_a_port_error():
    with pytest.raises(LinkLost, match='/dev/no-such-focuser'):
        GCSPort('/dev/no-such-focuser')


def test_unknown_url_scheme_is_a_port_error():
    with pytest.raises(LinkLost, match='cannot open'):
        GCSPort('nonsense://focuser')


def test_unplugged_device_is_a_port_error(port, wire):
    wire.close()
    with pytest.raises(LinkLost):
        port.position()


def test_unplug_during_a_reply_wait_is_a_port_error(port, wire):
    def unplug_instead_of_answering(wire):
        wire.expect(b'POS? 1\n')
        wire.close()

    with pytest.raises(LinkLost):
        with playing(wire, unplug_instead_of_answering):
            port.position()


def test_closed_port_is_a_port_error(port):
    port.close()
    port.close()
    with pytest.raises(LinkLost, match='closed'):
        port.status_register()


def test_socket_url_against_a_local_tcp_server():
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(1)
        port = GCSPort(f'socket://127.0.0.1:{server.getsockname()[1]}', timeout=2.0)
        connection, _ = server.accept()
        try:
            wire = Wire(connection.fileno())
            with play(wire, (b'POS? 1\n', b'1=4.25\n'), (b'MOV 1 5.0\n', None), (b'ERR?\n', b'0\n'),
                      (b'\x18', None)):
                assert port.position() == 4.25
                port.move(5)
                port.stop_all()
            connection.close()
            with pytest.raises(LinkLost):
                port.position()
        finally:
            port.close()


# ---- bad input changes nothing ----------------------------------------------------------

BAD_INPUT = [
    ('line end in a command', lambda p: p.send('MOV 1 1\nSTP'), ValueError),
    ('empty command', lambda p: p.query(''), ValueError),
    ('not a string', lambda p: p.command(None), ValueError),
    ('NaN target', lambda p: p.move(math.nan), ValueError),
    ('string target', lambda p: p.move('5'), TypeError),
    ('bool target', lambda p: p.move(True), TypeError),
    ('axis with a space', lambda p: p.position('1 2'), ValueError),
    ('reference mode', lambda p: p.reference('GOH'), ValueError),
    ('servo flag', lambda p: p.set_servo(2), ValueError),
    ('printable single byte', lambda p: p.send_byte(ord('A')), ValueError),
    ('LF as single byte', lambda p: p.query_byte(0x0A), ValueError),
]


@pytest.mark.parametrize('call, error', [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT])
def test_bad_input_is_refused_and_nothing_is_sent(port, wire, call, error):
    with pytest.raises(error):
        call(port)
    assert wire.pending() == b''


@pytest.mark.parametrize('options', [{'address': 0}, {'address': 256}, {'address': True},
                                     {'timeout': 0}, {'timeout': math.nan}, {'baudrate': 0}])
def test_bad_port_options_are_refused_before_opening(device, options):
    with pytest.raises(ValueError):
        GCSPort(device, **options)
    GCSPort(device).close()  # the device was not left locked


# ---- values -------------------------------------------------------------------------------

REFERENCE_CODES = [0, 1, 2, 3, 5, 7, 8, 10, 15, 17, 23, 24, 25, 26, 31, 32, 34, 45, 49, 50, 54, 56,
                   60, 64, 84, 88, 93, 95, 216, 304, 307, 308, 555, 1005, 1024, -1024, 1025,
                   -7, -1004, -1008]


@pytest.mark.parametrize('code', REFERENCE_CODES)
def test_every_reference_code_has_pi_name_and_meaning(code):
    name, meaning = ERRORS[code]
    assert error_text(code) == f'{name}: {meaning}'
    assert name.startswith(('PI_', 'COM_')) and meaning


def test_error_text_examples():
    assert error_text(7) == 'PI_CNTR_POS_OUT_OF_LIMITS: position out of limits'
    assert error_text(10) == 'PI_CNTR_STOP: controller was stopped by command'
    assert error_text(4242) == 'unknown error 4242'


def test_status_register_example_from_the_manual():
    status = StatusRegister.parse('0x9005')
    assert status == StatusRegister(raw=0x9005, on_target=True, referencing=False, moving=False,
                                    servo=True, error=False, negative_limit=True,
                                    reference_switch=False, positive_limit=True)


@pytest.mark.parametrize('text, true_fields', [
    ('0x5000', {'referencing', 'servo'}),
    ('0x3000', {'moving', 'servo'}),
    ('0X2100', {'moving', 'error'}),
    ('0x0002', {'reference_switch'}),
    ('0xa000', {'on_target', 'moving'}),
    ('0x0', set()),
])
def test_status_register_bits(text, true_fields):
    status = StatusRegister.parse(text)
    assert {name for name, value in status._asdict().items() if value is True} == true_fields


@pytest.mark.parametrize('text', ['9005', '0x', '0xZZ', '', ' 0x9005', '0x9005\n'])
def test_status_register_refuses_non_register_text(text):
    with pytest.raises(GarbledReply):
        StatusRegister.parse(text)


@given(st.integers(min_value=0, max_value=0xFFFF))
def test_status_register_decodes_every_value(raw):
    status = StatusRegister.parse(f'0x{raw:04X}')
    assert status.raw == raw
    assert status.moving == bool(raw & 0x2000)
    assert status.servo == bool(raw & 0x1000)
    assert status.positive_limit == bool(raw & 0x4)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_float_is_exact_and_has_no_exponent(value):
    text = format_float(value)
    assert 'e' not in text.lower()
    assert float(text) == value


@pytest.mark.parametrize('value, text', [(12.5, '12.5'), (1e-5, '0.00001'), (1e16, '10000000000000000'),
                                         (-3, '-3.0'), (0.1, '0.1')])
def test_format_float_examples(value, text):
    assert format_float(value) == text
