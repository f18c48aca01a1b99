# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Approach direction (approach_steps): every move ends travelling the same way, so that a focus
position reached from either side is the same one despite backlash.

The plan (approach.py) is tested as the pure function it is; the rest runs the real daemon on
the simulator, with either command set, and reads what the controller was told to do from the
simulator's event log, as an engineer would read a serial trace.
"""
import itertools
import re

import pytest

from alpaca_support import connected_focuser, start_alpaca_daemon, wait_until_still  # noqa: F401 (a fixture)
from rockit.focuser.c863.approach import ApproachPlan, plan_approach
from rockit.focuser.c863.config import Config, ConfigError
from rockit.focuser.c863.constants import CommandStatus
from test_cli import PROGRESS_BAR, focus_on_terminal, terminal_frames
from conftest import EVERY_CONTROLLER
from test_daemon import BOTH_PROTOCOLS, STEPS_PER_MM, in_background, wait_for_label

# The absolute moves the controller received: GCS `MOV 1 <mm>`, native `MA<counts>`.
MOVE_COMMANDS = {'gcs': re.compile(r'MOV 1 (\S+)'), 'native': re.compile(r'MA(-?\d+)')}
# A stage that starts referenced stands at the reference switch, 125000 steps (conftest).
START = 125000
LIMITS = (0, 250000)


def move_targets(simulator, since=0):
    """The targets (steps) of the absolute moves the controller received after event index since."""
    pattern = MOVE_COMMANDS[simulator.protocol]
    targets = []
    for _, name, detail in simulator.events[since:]:
        match = pattern.fullmatch(detail) if name == 'command' and isinstance(detail, str) else None
        if match:
            value = float(match.group(1))
            targets.append(round(value * STEPS_PER_MM) if simulator.protocol == 'gcs' else int(value))
    return targets


def settled_at(simulator, since=0):
    """The targets (steps) the axis came to rest on after event index since, in order."""
    return [round(detail * STEPS_PER_MM) for _, name, detail in simulator.events[since:] if name == 'on_target']


def step_of(mm):
    return round(mm * STEPS_PER_MM)


def sign(value):
    return (value > 0) - (value < 0)


# ---- the plan, without a daemon --------------------------------------------------------------

@pytest.mark.parametrize('target, current, approach, expected', [
    (110000, 125000, 0, ApproachPlan((110000,))),                       # off
    (110000, 125000, 5000, ApproachPlan((105000, 110000))),             # down, must end going up
    (140000, 125000, 5000, ApproachPlan((140000,))),                    # up already
    (140000, 125000, -5000, ApproachPlan((145000, 140000))),            # up, must end going down
    (110000, 125000, -5000, ApproachPlan((110000,))),                   # down already
    (124000, 125000, 5000, ApproachPlan((119000, 124000))),             # shorter than the approach
    (125000, 125000, 5000, ApproachPlan((125000,))),                    # no direction: stays put
    (3000, 125000, 5000, ApproachPlan((0, 3000), shortened=True)),      # clamped at the low limit
    (247000, 125000, -5000, ApproachPlan((250000, 247000), shortened=True)),  # and at the high one
    (0, 125000, 5000, ApproachPlan((0,), shortened=True)),              # target on the limit
    (250000, 125000, -5000, ApproachPlan((250000,), shortened=True)),
    (5000, 125000, 5000, ApproachPlan((0, 5000))),                      # just fits: not shortened
])
def test_the_plan_ends_every_move_travelling_the_sign_of_approach_steps(target, current, approach, expected):
    plan = plan_approach(target, current, approach, LIMITS)
    assert plan == expected
    assert plan.targets[-1] == target
    assert all(LIMITS[0] <= leg <= LIMITS[1] for leg in plan.targets)


# ---- the config key ------------------------------------------------------------------------

def test_approach_steps_is_off_unless_configured(write_config):
    assert Config(write_config(serial_port='/dev/focuser')).approach_steps == 0
    assert Config(write_config(serial_port='/dev/focuser', approach_steps=-300)).approach_steps == -300


@pytest.mark.parametrize('value, expected', [
    (1.5, 'approach_steps: expected a whole number (no decimal point), got 1.5'),
    ('300', 'approach_steps: expected a whole number'),
    (2 ** 31, 'approach_steps: 2147483648 is out of range'),
    (250000, 'approach_steps: 250000 is not shorter than the travel from min_position to max_position (250000 steps)'),
    (-250000, 'approach_steps: -250000 is not shorter than the travel'),
])
def test_a_bad_approach_steps_is_refused_naming_the_key(write_config, value, expected):
    with pytest.raises(ConfigError) as raised:
        Config(write_config(serial_port='/dev/focuser', approach_steps=value))
    assert raised.value.key == 'approach_steps'
    assert expected in str(raised.value)


# ---- moves on the simulator ----------------------------------------------------------------

def assert_moved(daemon, call, legs, direction):
    """Runs a move; checks the legs the controller was sent, that each ended at rest on its
    target before the next was sent, and that the last travelled in direction (+1 up, -1 down)."""
    simulator = daemon.simulator
    since, start = len(simulator.events), daemon.status()['current_steps']
    assert daemon.call('move', *call) == CommandStatus.Succeeded
    assert move_targets(simulator, since) == legs
    assert settled_at(simulator, since) == legs
    status = daemon.status()
    assert status['current_steps'] == status['target_steps'] == legs[-1]
    assert status['approach'] is None
    assert sign(legs[-1] - [start, *legs][-2]) == direction, 'the direction of the last leg'


@EVERY_CONTROLLER
@pytest.mark.parametrize('approach, moves', [
    # Last leg up: a move down goes 5000 below and comes back up; a move up is one leg.
    (5000, [((-15000, True), [105000, 110000]), ((120000, False), [120000]),
            ((118000, False), [113000, 118000])]),
    # Last leg down: the mirror image.
    (-5000, [((15000, True), [145000, 140000]), ((130000, False), [130000]),
             ((132000, False), [137000, 132000])]),
])
def test_every_move_ends_travelling_the_way_of_approach_steps(start_ready_daemon, approach, moves):
    daemon = start_ready_daemon(approach_steps=approach)
    for call, legs in moves:
        assert_moved(daemon, call, legs, sign(approach))


@BOTH_PROTOCOLS
@pytest.mark.parametrize('approach, moves', [
    (5000, [(23000, [20000, 23000]), (20000, [20000])]),
    (-5000, [(227000, [230000, 227000]), (230000, [230000])]),
])
def test_the_overshoot_stays_inside_the_limits(start_ready_daemon, approach, moves):
    """Limits 20000..230000 (inside the stage's travel): an overshoot point past one is pulled
    in to it, and a target on the limit leaves nothing to overshoot; the log says so."""
    daemon = start_ready_daemon(approach_steps=approach, min_position=20000, max_position=230000)
    (clamped_target, clamped_legs), (limit_target, limit_legs) = moves
    assert_moved(daemon, (clamped_target, False), clamped_legs, sign(approach))
    daemon.wait_for_output(f'approach shortened: the overshoot point {clamped_target - approach} is outside the '
                           f'limits 20000..230000; overshooting to {clamped_legs[0]} instead')
    assert_moved(daemon, (limit_target, False), limit_legs, -sign(approach))  # no room to turn
    daemon.wait_for_output(f'approach shortened to nothing: the overshoot point {limit_target - approach} is '
                           f'outside the limits 20000..230000 and the target {limit_target} is on the limit; one leg')


# Long legs (7.5 mm, then 5 mm: over a second each at the speed below), so that a stop and a
# status read land inside the leg they aim at.
LONG_APPROACH = 50000
LONG_TARGET = 100000
LONG_LEGS = [LONG_TARGET - LONG_APPROACH, LONG_TARGET]
VELOCITY = 5.0  # mm/s
# The simulated stages' ramps (mm/s2): GCS ACC/DEC, native 400000 counts/s2 (simulator/).
ACCELERATION = {'gcs': 10.0, 'native': 40.0}


@pytest.fixture
def simulator_options(simulator_options):
    return dict(simulator_options, velocity=VELOCITY)


def travel_seconds(steps, acceleration):
    """How long the simulated axis takes over a distance long enough to reach VELOCITY."""
    return abs(steps) / STEPS_PER_MM / VELOCITY + VELOCITY / acceleration


def wait_for_leg(simulator, leg_target):
    """Until the axis moves towards leg_target (steps), near the start of that leg (a
    reference run does not count: its target is in the units of an axis not yet referenced)."""
    return simulator.wait_for(lambda s: s['moving'] and not s['referencing'] and step_of(s['target']) == leg_target)


@EVERY_CONTROLLER
@pytest.mark.parametrize('leg', [0, 1], ids=['overshoot', 'final'])
def test_a_stop_in_either_leg_stops_the_axis_and_the_move(start_ready_daemon, leg):
    daemon = start_ready_daemon(approach_steps=LONG_APPROACH)
    simulator = daemon.simulator
    since = len(simulator.events)
    thread, result = in_background(daemon.call, 'move', LONG_TARGET, False)
    wait_for_leg(simulator, LONG_LEGS[leg])
    status = daemon.status()
    assert (status['status_label'], status['approach'], status['target_steps']) == \
        ('MOVING', ['overshoot', 'final'][leg], LONG_TARGET), 'the leg is named; the target is the move\'s own'
    assert daemon.call('stop') == CommandStatus.Succeeded
    thread.join(30)
    assert result == [CommandStatus.Stopped]
    assert move_targets(simulator, since) == LONG_LEGS[:leg + 1], 'no leg starts after a stop'
    assert not simulator.state()['moving']
    status = wait_for_label(daemon, 'IDLE')
    assert status['approach'] is None
    assert status['target_steps'] == status['current_steps'] != LONG_TARGET


@BOTH_PROTOCOLS
def test_one_timeout_covers_both_legs(start_ready_daemon, protocol):
    """move_timeout ends halfway through the final leg: each leg alone takes less, both together
    more. The move times out, and the axis is left at rest short of the target."""
    overshoot, final = (travel_seconds(end - start, ACCELERATION[protocol])
                        for start, end in zip([START, *LONG_LEGS], LONG_LEGS))
    daemon = start_ready_daemon(approach_steps=LONG_APPROACH, move_timeout=overshoot + final / 2)
    since = len(daemon.simulator.events)
    assert daemon.call('move', LONG_TARGET, False) == CommandStatus.Timeout
    assert settled_at(daemon.simulator, since)[:1] == LONG_LEGS[:1], 'the overshoot leg ended within the timeout'
    assert not daemon.simulator.state()['moving']
    status = wait_for_label(daemon, 'IDLE')
    assert status['target_steps'] == status['current_steps'] != LONG_TARGET


@BOTH_PROTOCOLS
@pytest.mark.parametrize('approach, legs', [(LONG_APPROACH, LONG_LEGS), (-5000, [LONG_TARGET])])
def test_home_ends_with_the_approach_too(daemon_factory, simulator, approach, legs):
    """The reference run leaves the axis at 125000, above nominal focus (100000)."""
    daemon = daemon_factory(approach_steps=approach)
    assert daemon.call('initialize') == CommandStatus.Succeeded
    since = len(simulator.events)
    thread, result = in_background(daemon.call, 'home')
    if len(legs) == 2:
        wait_for_leg(simulator, legs[0])
        status = daemon.status()
        assert (status['status_label'], status['approach'], status.get('target_steps')) == \
            ('HOMING', 'overshoot', LONG_TARGET), status
    thread.join(60)
    assert result == [CommandStatus.Succeeded]
    assert move_targets(simulator, since) == legs
    status = daemon.status()
    assert status['current_steps'] == status['target_steps'] == LONG_TARGET
    assert status['approach'] is None


def test_focus_set_shows_the_legs(start_ready_daemon):
    daemon = start_ready_daemon(approach_steps=LONG_APPROACH)
    code, output = focus_on_terminal('set', str(LONG_TARGET), config_path=daemon.config_path)
    assert code == 0, output
    frames = terminal_frames(output)
    progress = [frame for frame in frames if PROGRESS_BAR.search(frame)]
    legs = [re.search(r'MOVING  (\w+) leg: \d+ -> (\d+) steps', frame) for frame in progress]
    seen = [(match.group(1), int(match.group(2))) for match in legs if match]
    assert [name for name, _ in itertools.groupby(name for name, _ in seen)] == ['overshoot', 'final'], progress
    assert {target for _, target in seen} == {LONG_TARGET}, 'the target shown is the move\'s own'
    assert re.fullmatch(rf'Focuser is IDLE at {LONG_TARGET} steps after \d+\.\d s\n', frames[-1])


@BOTH_PROTOCOLS
def test_alpaca_move_is_one_motion_through_both_legs(start_alpaca_daemon):
    """Move returns at once; IsMoving stays true from the first leg to the end of the last."""
    daemon = start_alpaca_daemon(approach_steps=5000)
    focuser = connected_focuser()
    since = len(daemon.simulator.events)
    focuser.Move(110000)
    wait_until_still(focuser)
    assert move_targets(daemon.simulator, since) == [105000, 110000]
    assert settled_at(daemon.simulator, since) == [105000, 110000], 'IsMoving fell before the final leg ended'
    assert focuser.Position == 110000
