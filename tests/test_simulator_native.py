# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The simulated C-863 in native mode (--protocol native), driven byte by byte through a real pty
the way the existing rockit daemon drives the W1m's C-863.10: select board 0 with ctrl-A '0',
MN, DP350, FE2, poll '\\', DH, MA..., tell position with "'", stop with '!', reset with RT.

Every reply is checked byte for byte against PI's manual MS176E (pages in brackets): reports
end in CR LF ETX [18]. "No reply" is proven without waiting for a timeout: replies come in
order, so if the next query's report is the first thing that arrives, nothing came before it.

The status report (TS, %) has two layouts (the status_layout fixture): 'six' bytes as drivers
proven on C-862/C-863 units read them (the default), or MS176E's 'three'. Tests of what the
report says run in both; other tests read the six bytes, or pin 'three' where they were written
for its bits.
"""
import subprocess
import sys
import time

import pytest

from conftest import ROOT, script_env, wait_until
from rockit.focuser.c863.simulator import Simulator
from testkit.clients import NativeClient

FAST = {'baud': 115200, 'velocity': 25.0, 'reference_velocity': 25.0, 'protocol': 'native'}
END = b'\r\n\x03'
COUNTS_PER_MM = 10000


@pytest.fixture
def simulator_options():
    return dict(FAST)


@pytest.fixture
def sim(make_simulator):
    return make_simulator()


@pytest.fixture
def client(sim, connect):
    """A client that has selected board 0, as every native client must first [7]."""
    client = connect(sim)
    client.send(b'\x010')
    return client


def rockit_initialize(client):
    """What the rockit daemon's initialize sends: MN, DP350, FE2, wait, DH (the edge is 0)."""
    for line in (b'MN\r', b'DP350\r', b'FE2\r'):
        client.send(line)
    client.wait_still()
    client.send(b'DH\r')


@pytest.fixture
def homed(make_simulator, connect):
    """A client on a controller referenced before (motor on, at the edge), which it defines as
    0 (DH); brisk acceleration (SA) keeps the tests short. client.sim is the simulator."""
    sim = make_simulator(referenced=True)
    client = connect(sim)
    client.send(b'\x010')
    client.send(b'DH\r')
    client.send(b'SA2000000\r')
    assert client.position() == 0
    client.sim = sim
    return client


def stop_events(sim):
    return [detail for _, name, detail in sim.events if name == 'stop']


def error_number(client):
    """The last byte of the status report, which is the error number in either layout."""
    return client.status()[-1]


def by_layout(layout, six, three):
    """What a test expects of the six-byte and of the three-byte status report."""
    return {'six': six, 'three': three}[layout]


BOTH_LAYOUTS = pytest.mark.parametrize('status_layout', ['six', 'three'])
THREE_BYTES = pytest.mark.parametrize('status_layout', ['three'])


# ---- selection -----------------------------------------------------------------------------------

def test_power_on_controller_ignores_everything_until_selected(sim, connect):
    client = connect(sim)
    client.send(b"TP\r'%\\MA5000\r")
    client.send(b'\x010')
    assert client.ask(b"'") == b'P:+0000000000' + END, 'nothing before it was answered'
    assert not sim.state()['moving'], 'MA was ignored, not executed'


def test_another_boards_selection_code_deselects_it(client, sim):
    client.send(b'\x011')
    client.send(b"'TB\r")
    client.send(b'\x010')
    assert client.ask(b'TB\r') == b'B:0' + END


def test_board_number_is_the_device_number_minus_one(make_simulator, connect):
    """Device 3 answers to ctrl-A '2' and tells board 2 [8, 36]."""
    client = connect(make_simulator(address=3))
    client.send(b'\x010')
    client.send(b'TB\r')
    client.send(b'\x012')
    assert client.ask(b'TB\r') == b'B:2' + END


def test_version_on_two_lines_as_the_manual_prints_it(client):
    """[42]; the line break is CR LF (?)."""
    assert client.ask(b'VE\r') == (b'(c)2007 Physik Instrumente(PI)\r\n'
                                   b'Karlsruhe, C-863, Ver. 1.09, 2007-08-28' + END)


def test_version_on_one_line(make_simulator, connect):
    client = connect(make_simulator(version_lines=1))
    client.send(b'\x010')
    assert client.ask(b'VE\r') == b'(c)2007 Physik Instrumente(PI) Karlsruhe, C-863, Ver. 1.09, 2007-08-28' + END


# ---- reports ---------------------------------------------------------------------------------------

def test_single_character_reports_equal_their_base_commands(sim, client):
    """"%" equals TS CR [18]; likewise "'" TP, "+" TE, "(" TF [21]."""
    client.send(b'MN\r')
    sim.wait_for(lambda state: state['on_target'])  # settled: the status no longer changes
    for character, line in ((b"'", b'TP\r'), (b'+', b'TE\r'), (b'(', b'TF\r'), (b'%', b'TS\r')):
        assert client.ask(character) == client.ask(line)
    assert client.ask(b"'") == b'P:+0000000000' + END
    assert client.ask(b'+') == b'E:+0000000000' + END
    assert client.ask(b'(') == b'F:+0000000000' + END


def test_settings_reports(client):
    client.send(b'SV60000,SA60000\r')
    assert client.ask(b'TY\r') == b'Y:+0000060000' + END
    assert client.ask(b'TL\r') == b'L:+0000060000' + END


def test_compound_command_reports_come_in_order(homed):
    """Reports of several commands on one line, each with its own CR LF ETX [14, 18]."""
    homed.send(b'MA3000\r')
    homed.wait_still()
    assert homed.ask(b'TT,TP\r') == b'T:+0000003000' + END
    assert homed.report() == b'P:+0000003000' + END


def test_a_single_character_inside_a_line_acts_at_once_and_the_line_goes_on(homed):
    homed.send(b'MA12')
    assert homed.ask(b"'") == b'P:+0000000000' + END
    homed.send(b'000\r')
    assert homed.wait_still() == 12000


def test_lower_case_and_spaces_are_accepted(homed):
    homed.send(b'ma 3500, ws 0\r')
    assert homed.wait_still() == 3500


# ---- the status report ---------------------------------------------------------------------------

@BOTH_LAYOUTS
def test_status_after_power_on(client, status_layout):
    """Six bytes: trajectory complete, motor loop OFF; board addressed; limit switches on and
    active high, brake on. Three [40]: ready, motor OFF, brake on. '%' equals TS [18]."""
    expected = by_layout(status_layout, b'S:84 80 00 0B 00 00', b'S:61 00 00') + END
    assert client.ask(b'%') == expected
    assert client.ask(b'TS\r') == expected


@BOTH_LAYOUTS
def test_status_at_rest_reads_as_the_manuals_example(homed, status_layout):
    """The example S:04 02 00 03 02 00 [40] in six bytes: trajectory complete with the motor on;
    the last move not positive; limit switches on, active high; on the reference signal; no
    error. Byte 2 reads 80 (board addressed), not the example's 02 (a wait in progress)."""
    homed.send(b'BF\r')
    for line in (b'MA2000\r', b'MA1000\r'):  # ends above the edge, coming down
        homed.send(line)
        homed.wait_still()
    homed.sim.wait_for(lambda state: state['on_target'])
    assert homed.ask(b'TS\r') == by_layout(status_layout, b'S:04 80 00 03 02 00', b'S:03 02 00') + END


@BOTH_LAYOUTS
@pytest.mark.parametrize('target, direction', [(100000, 0x04), (-100000, 0x00)])
def test_status_while_moving_and_the_direction_of_the_last_move(homed, status_layout, target, direction):
    """Six bytes: busy while moving, trajectory complete once settled; byte 3 bit 2 tells whether
    the move goes (went) the positive way. Three: ready (no wait) and brake on, on target once
    settled."""
    homed.send(b'MA%d\r' % target)
    first, _, third, *_ = homed.status()
    assert (first, third) == by_layout(status_layout, (0x01, direction), (0x41, 0x00))
    homed.wait_still()
    homed.sim.wait_for(lambda state: state['on_target'])
    first, _, third, *_ = homed.status()
    assert (first, third) == by_layout(status_layout, (0x04, direction), (0x43, 0x00))


@BOTH_LAYOUTS
def test_status_during_find_edge(client, status_layout):
    """Six bytes: busy, and byte 4's find-edge bit. Three [40]: reference drive active."""
    client.send(b'MN\r')
    client.send(b'FE2\r')
    status = client.status()
    assert status[:4] == by_layout(status_layout, [0x01, 0x80, 0x04, 0x0F], [0x45, 0x00, 0x00])
    assert client.ask(b'\\') == b'1' + END
    client.wait_still()
    status = client.status()
    assert status[3 if status_layout == 'six' else 0] & 0x04 == 0, 'the search is over'
    assert status[by_layout(status_layout, 4, 1)] == 0, 'on no switch, just below the edge'
    assert status[-1] == 0


@BOTH_LAYOUTS
@pytest.mark.parametrize('target, active_high, active_low, three', [
    (500000, 0x06, 0x0A, 0x06),   # the positive limit (and above the reference edge)
    (-500000, 0x08, 0x04, 0x01),  # the negative limit
])
def test_status_on_a_limit_switch(homed, status_layout, target, active_high, active_low, three):
    """Six bytes: byte 5 holds the line levels, which follow LH/LL: a hit switch reads 1 when
    active high, 0 when active low (and a free one 1); byte 4 says which (bit 1) and whether the
    switches are on (bit 0, LN/LF). Three [40]: byte 2 says which switch is hit (?)."""
    homed.send(b'MA%d\r' % target)
    homed.wait_still()
    lines = by_layout(status_layout, 4, 1)
    assert homed.status()[lines] == by_layout(status_layout, active_high, three)
    homed.send(b'LL\r')
    status = homed.status()
    assert status[lines] == by_layout(status_layout, active_low, three)
    if status_layout == 'six':
        assert status[3] == 0x09, 'switches on, active low, brake on'
        homed.send(b'LF\r')
        assert homed.status()[3] == 0x08, 'switches off (the hardware still stops the carriage)'
        homed.send(b'LN,LH\r')
        assert homed.status()[3:5] == [0x0B, active_high]


@BOTH_LAYOUTS
def test_status_after_a_following_error_until_mn(homed, status_layout):
    """Six bytes: position error exceeded (byte 1 bit 5, byte 3 bit 6) and motor loop off, until
    MN. Three: motor OFF only. No error number says it (?)."""
    homed.send(b'MA100000\r')
    homed.wait(lambda: homed.position() > 20000, message='moving')
    homed.sim.following_error()
    assert homed.status() == by_layout(status_layout, [0xA4, 0x80, 0x44, 0x0B, 0x02, 0], [0x61, 0x02, 0])
    homed.send(b'MN\r')
    homed.sim.wait_for(lambda state: state['on_target'])
    assert homed.status() == by_layout(status_layout, [0x04, 0x80, 0x04, 0x0B, 0x02, 0], [0x43, 0x02, 0])


@BOTH_LAYOUTS
def test_status_shows_a_compound_command_waiting(homed, status_layout):
    """Six bytes: byte 2 bit 1, wait in progress. Three [40]: not ready."""
    homed.send(b'WA5000,MA100\r')
    assert homed.status()[:2] == by_layout(status_layout, [0x04, 0x82], [0x40, 0x00])
    homed.send(b'AB\r')  # a new line ends the wait
    assert homed.status()[:2] == by_layout(status_layout, [0x04, 0x80], [0x41, 0x00])


@BOTH_LAYOUTS
@pytest.mark.parametrize('line, six, three', [
    (b'XX', 1, 6),             # command not found
    (b'1A', 2, 6),             # first command character not a letter
    (b'MAx', 3, 6),            # character following the command not a digit
    (b'MA', 3, 6),             # no argument where one is needed (?)
    (b'FE4', 4, 6),            # value too large
    (b'SV0', 5, 6),            # value too small
    (b'MR' + b'9' * 10, 4, 6),  # more than nine digits
    (b'MA1' * 100, 7, 2),      # command buffer overflow (MS176E: RS-232 overflow)
])
def test_error_numbers(homed, status_layout, line, six, three):
    """The six-byte layout's table tells command errors apart; MS176E's has one number for all
    [40]. The six-byte report also raises byte 2's command error bit with the number."""
    homed.send(line + b'\r')
    status = homed.status()
    assert status[-1] == by_layout(status_layout, six, three)
    if status_layout == 'six':
        assert status[1] == 0x84
    assert not homed.sim.state()['moving']
    assert error_number(homed) == 0, 'reported once (?)'


# ---- echo ------------------------------------------------------------------------------------------

@pytest.fixture
def echoing(make_simulator, connect):
    """A client that has selected board 0 of a controller echoing from power-on."""
    client = connect(make_simulator(echo=True))
    client.send(b'\x010')
    return client


def test_with_echo_on_line_bytes_come_back_before_the_report(echoing):
    """Each byte of a line as it arrives, the CR as CR LF (?), then the report; a set command
    is echoed and has no report; single-character commands and selection codes are not echoed
    (?). The six-byte status says echo is on (byte 2 bit 0)."""
    assert echoing.ask(b'TB\r') == b'TB\r\nB:0' + END
    echoing.send(b'SV60000\r')
    echoing.send(b'\x010')
    assert echoing.ask(b'%') == b'SV60000\r\nS:84 81 00 0B 00 00' + END
    assert echoing.ask(b'TY,TL\r') == b'TY,TL\r\nY:+0000060000' + END
    assert echoing.report() == b'L:+0000400000' + END


def test_ef_turns_echo_off_and_en_on(echoing):
    """EF's own line is still echoed (echo was on when it arrived); EN's is not (?)."""
    echoing.send(b'EF\r')
    assert echoing.ask(b'TB\r') == b'EF\r\nB:0' + END
    assert echoing.status()[1] == 0x80
    echoing.send(b'EN\r')
    assert echoing.ask(b'TB\r') == b'TB\r\nB:0' + END


def test_reset_brings_back_the_echo_of_power_on(client):
    """Off by default; RT forgets an EN (?)."""
    assert client.ask(b'TB\r') == b'B:0' + END
    client.send(b'EN\r')
    client.send(b'RT\r')
    client.send(b'\x010')
    assert client.ask(b'TB\r') == b'RT\r\nB:0' + END, 'RT was echoed as it arrived, TB no more'


# ---- characters dropped after a motion command ---------------------------------------------------

DROP = 0.017  # s, what EPICS's C-862 driver waits after a move command


def dropped(sim):
    """The bytes the controller lost, as characters."""
    return ''.join(detail for _, name, detail in sim.events if name == 'dropped')


def after_the_drop_window(sim, line):
    """Waits until the window after line's execution (its CR) has passed."""
    executed = next(when for when, name, detail in sim.events if name == 'command' and detail == line)
    wait_until(lambda: time.monotonic() > executed + DROP, message='the drop window to pass')


@pytest.mark.parametrize('line', ['MA1000', 'MR1000', 'GH', 'FE2'])
def test_bytes_right_after_a_motion_command_are_dropped(make_simulator, connect, line):
    """With drop_after_motion, what follows MA, MR, GH or FE too closely is lost, the CR too;
    once the time has passed, the controller hears again."""
    sim = make_simulator(referenced=True, drop_after_motion=DROP)
    client = connect(sim)
    client.send(b'\x010')
    client.send(line.encode() + b"\rTB\r'")
    client.wait(lambda: dropped(sim) == "TB\r'", message='the bytes after the motion command dropped')
    after_the_drop_window(sim, line)
    assert client.ask(b'TB\r') == b'B:0' + END, 'nothing came of the dropped bytes'
    assert dropped(sim) == "TB\r'"


@pytest.mark.parametrize('drop_after_motion, line', [(DROP, 'SV1000'), (0, 'MR1000')])
def test_nothing_is_dropped_after_other_commands_or_with_the_option_off(make_simulator, connect,
                                                                         drop_after_motion, line):
    sim = make_simulator(referenced=True, drop_after_motion=drop_after_motion)
    client = connect(sim)
    client.send(b'\x010')
    assert client.ask(line.encode() + b'\rTB\r') == b'B:0' + END
    assert dropped(sim) == ''


# ---- the rockit daemon's sequence ------------------------------------------------------------------

def test_rockit_initialize_finds_the_edge_defines_home_and_moves_to_nominal(sim, client):
    """Upstream's initialize [focusd-c863]: after FE2 and DH the edge reads 0; MA100000 lands
    10 mm beyond it, and "'" answers exactly "P:+0000100000" CR LF ETX."""
    homed = client
    rockit_initialize(homed)
    assert homed.ask(b"'") == b'P:+0000000000' + END
    assert any(name == 'reference_done' for _, name, _ in sim.events)
    assert sim.state()['physical_position'] == pytest.approx(12.5)
    homed.send(b'MA100000\r')
    assert homed.ask(b'\\') == b'1' + END
    homed.wait_still()
    assert homed.ask(b"'") == b'P:+0000100000' + END
    assert homed.ask(b'TT\r') == b'T:+0000100000' + END
    assert sim.state()['physical_position'] == pytest.approx(22.5)
    assert homed.status()[0] == 0x04, 'trajectory complete, motor on'


@THREE_BYTES
@pytest.mark.parametrize('start_mm, mode, found', [
    (7.5, b'FE0', True),    # below the switch, searching positive: found
    (7.5, b'FE1', False),   # below the switch, searching negative: runs to the negative limit
    (20.0, b'FE1', True),   # above the switch, searching negative: found
    (20.0, b'FE2', True),   # automatic direction: found from either side
    (7.5, b'FE3', False),   # inverted-signal option on a standard stage: heads away
])
def test_find_edge_direction(homed, start_mm, mode, found):
    sim = homed.sim
    """FE0/FE1 search positive/negative, FE2 toward the switch, FE3 the other way [26]."""
    homed.send(b'MA%d\r' % round((start_mm - 12.5) * COUNTS_PER_MM))
    homed.wait_still()
    homed.send(mode + b'\r')
    homed.wait_still()
    limits = homed.status()[1] & 0x05
    if found:
        assert sim.state()['physical_position'] == pytest.approx(12.5)
        assert limits == 0
    else:
        assert limits == 0x01 if mode == b'FE1' or start_mm < 12.5 else 0x04
        assert sim.state()['physical_position'] in (pytest.approx(0.0, abs=1e-6), pytest.approx(25.0))


def test_find_edge_does_not_change_the_count_dh_does(homed):
    homed.send(b'MA-30000\r')
    homed.wait_still()
    homed.send(b'DH7\r')
    homed.send(b'FE2\r')
    assert homed.wait_still() == 30007, 'the edge is 30000 counts from where the count read 7'
    homed.send(b'DH20000\r')
    assert homed.position() == homed.target() == 20000


@BOTH_LAYOUTS
def test_motion_needs_the_motor_on(client, sim, status_layout):
    """With the motor OFF a move is refused and nothing moves: a command error (6) in MS176E's
    table; the six-byte table has no number for it, and says 1 (?)."""
    client.send(b'MA5000\r')
    assert error_number(client) == by_layout(status_layout, 1, 6)
    assert error_number(client) == 0, 'reading the status clears it'
    assert not sim.state()['moving']


# ---- stops ----------------------------------------------------------------------------------------

def test_abort_character_stops_dead_and_the_target_becomes_the_position(homed):
    sim = homed.sim
    homed.send(b'MA120000\r')
    homed.wait(lambda: homed.position() > 30000, message='moving past 3 mm')
    homed.send(b'!')
    assert homed.ask(b'\\') == b'0' + END, 'abrupt: stopped at once'
    position = homed.position()
    assert 30000 < position < 120000
    assert homed.target() == position
    assert stop_events(sim) == ['!']
    homed.send(b'TY\r')
    homed.report()
    assert homed.position() == position, 'nothing resumes after AB'


def test_smooth_stop_overshoots_comes_back_and_resumes_on_the_next_command(homed):
    sim = homed.sim
    """ST [35]: back to where it was received; the previous target waits; any command but DH or
    AB restarts the motor toward it."""
    homed.send(b'MA120000\r')
    homed.wait(lambda: homed.position() > 30000, message='moving past 3 mm')
    homed.send(b'ST\r')
    homed.wait(lambda: stop_events(sim) == ['ST'], message='ST received')
    captured = round(sim.state()['target'] * COUNTS_PER_MM)
    highest = max(homed.position() for _ in range(20))
    assert homed.wait_still() == captured
    assert highest > captured, 'decelerating overshoots, then comes back'
    assert homed.ask(b'TT\r') == b'T:+0000120000' + END, 'TT is a command: it restarted the motor'
    assert homed.wait_still() == 120000
    assert stop_events(sim) == ['ST']


def test_dh_after_a_smooth_stop_keeps_the_axis_where_it_stopped(homed):
    homed.send(b'MA120000\r')
    homed.wait(lambda: homed.position() > 30000, message='moving past 3 mm')
    homed.send(b'ST\r')
    homed.wait_still()
    homed.send(b'DH\r')
    homed.send(b'TY\r')
    homed.report()
    assert not homed.moving()
    assert homed.position() == homed.target() == 0


@BOTH_LAYOUTS
def test_reset_restores_power_on_state_and_deselects(homed, status_layout):
    sim = homed.sim
    homed.send(b'MA50000\r')
    homed.wait_still()
    homed.send(b'RT\r')
    homed.send(b"'")
    homed.send(b'\x010')
    assert homed.ask(b"'") == b'P:+0000000000' + END, 'the count restarts at 0; nothing answered before'
    assert homed.ask(b'%') == by_layout(status_layout, b'S:84 80 00 0B 02 00', b'S:61 02 00') + END, \
        'motor off, brake on again (and above the switch), no direction, limit switches back on, active high'
    assert homed.ask(b'TL\r') == b'L:+0000400000' + END, 'default acceleration [33]'
    assert sim.state()['physical_position'] == pytest.approx(17.5), 'the carriage stays where it was'


# ---- compound commands -------------------------------------------------------------------------------

def test_wait_stop_runs_the_rest_of_the_line_after_the_motion(homed):
    sim = homed.sim
    """MR2000,WS100,MR-1200 [32]: the second move starts 100 ms after the first ends. Only
    single-character commands may poll meanwhile: a line would interrupt the waiting one."""
    homed.send(b'MR2000,WS100,MR-1200\r')
    homed.wait(lambda: homed.position() == 800 and not homed.moving(), timeout=5, message='the second move')
    second_move = next(when for when, name, detail in sim.events if detail == 'MR-1200')
    first_settled = max(when for when, name, _ in sim.events if name == 'on_target' and when < second_move)
    # The first move ended SETTLE_TIME (0.02 s) before it settled; WS100 waits 0.1 s from its end.
    assert 0.1 <= second_move - (first_settled - 0.02) < 1.0


def test_cr_alone_repeats_the_last_line(homed):
    """[14]: the line stays in the buffer; each CR alone executes it again."""
    homed.send(b'MR1000\r')
    homed.send(b'\r')
    homed.send(b'\r')
    assert homed.wait_still() == 3000


@BOTH_LAYOUTS
def test_an_unknown_command_sets_its_error_and_ends_its_line(homed, status_layout):
    sim = homed.sim
    homed.send(b'XX,MA5000\r')
    assert error_number(homed) == by_layout(status_layout, 1, 6)
    assert not sim.state()['moving']


@BOTH_LAYOUTS
def test_an_argument_has_at_most_nine_digits(homed, status_layout):
    """"A minimum of 1 and a maximum of 9 digits" (MS176E, command syntax): ten are refused,
    as a value too large (too small when negative) in the six-byte table (?)."""
    homed.send(b'MA0000001000\r')
    assert error_number(homed) == by_layout(status_layout, 4, 6)
    homed.send(b'MA-0000001000\r')
    assert error_number(homed) == by_layout(status_layout, 5, 6)
    homed.send(b'MA-000001000\r')
    assert homed.wait_still() == -1000, 'nine digits and a sign are accepted'
    assert error_number(homed) == 0


def test_a_new_line_interrupts_a_compound_command_that_waits(homed):
    homed.send(b'WA2000,MA9000\r')
    homed.send(b'MA100\r')
    assert homed.wait_still() == 100
    assert homed.target() == 100


# ---- limits and faults ---------------------------------------------------------------------------------

def test_a_limit_switch_stops_the_move_and_becomes_the_target(homed):
    sim = homed.sim
    """LN [30]: motion halts at the switch; the target is where it was met."""
    homed.send(b'MA500000\r')
    position = homed.wait_still()
    assert position == 125000, 'the positive limit is 12.5 mm beyond the edge'
    assert homed.target() == position
    assert homed.status()[4] & 0x04, 'positive limit'
    assert any(name == 'limit_switch' for _, name, _ in sim.events)


def test_power_cycle_deselects_and_forgets_the_count(homed):
    sim = homed.sim
    homed.send(b'MA50000\r')
    homed.wait_still()
    sim.power_cycle()
    homed.send(b"'")
    homed.send(b'\x010')
    assert homed.ask(b"'") == b'P:+0000000000' + END
    assert homed.status()[0] & 0x80, 'motor off'


def test_following_error_switches_the_motor_off_and_keeps_the_count(homed):
    sim = homed.sim
    homed.send(b'MA100000\r')
    homed.wait(lambda: homed.position() > 20000, message='moving')
    sim.following_error()
    position = homed.position()
    assert homed.status()[0] & 0x80, 'motor off'
    assert not homed.moving()
    assert homed.position() == position


@BOTH_LAYOUTS
def test_injected_error_shows_once_in_the_status(client, sim, status_layout):
    sim.inject_error(2)
    assert client.ask(b'%') == by_layout(status_layout, b'S:84 84 00 0B 00 02', b'S:61 00 02') + END, \
        'six bytes: the command error flag goes with the number'
    assert client.ask(b'%') == by_layout(status_layout, b'S:84 80 00 0B 00 00', b'S:61 00 00') + END


def test_garbled_reports_lose_their_etx(client, sim):
    sim.garble_replies(True, 'truncate')
    client.send(b"'")
    with pytest.raises(TimeoutError):
        client.report(timeout=0.3)
    sim.garble_replies(False)
    assert client.ask(b'TB\r') == b'B:0' + END


def test_a_gcs_simulator_refuses_native_options():
    with pytest.raises(ValueError, match="status_layout: options of the native firmware, only with protocol='native'"):
        Simulator(protocol='gcs', status_layout='six')
    with pytest.raises(TypeError, match='unexpected options: layout'):
        Simulator(protocol='native', layout='six')


@pytest.mark.parametrize('option, value', [('status_layout', 'four'), ('version_lines', 3),
                                           ('drop_after_motion', -0.1)])
def test_a_native_simulator_refuses_bad_option_values(option, value):
    with pytest.raises(ValueError, match=option):
        Simulator(protocol='native', **{option: value})


def test_command_line_serves_native_mode(tmp_path):
    link = tmp_path / 'focuser'
    process = subprocess.Popen([sys.executable, '-m', 'rockit.focuser.c863.simulator', '--protocol', 'native',
                                '--link', str(link), '--baud', '115200'],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               env=script_env(), cwd=ROOT)
    try:
        assert process.stdout.readline().strip() == str(link)
        client = NativeClient(str(link))
        try:
            client.send(b'\x010')
            assert client.ask(b'VE\r').startswith(b'(c)2007 Physik Instrumente(PI)\r\nKarlsruhe, C-863')
        finally:
            client.close()
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_command_line_refuses_a_board_beyond_f():
    result = subprocess.run([sys.executable, '-m', 'rockit.focuser.c863.simulator', '--protocol', 'native',
                             '--address', '17'], capture_output=True, text=True, env=script_env(), cwd=ROOT,
                            timeout=30, check=False)
    assert result.returncode == 2
    assert '--address must be 1..16 with --protocol native' in result.stderr
