# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The simulated stage's motion model, without the wire: the numbers behind "moves like a
real focuser" (the end-to-end behaviour is in test_simulator.py)."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from rockit.focuser.c863.simulator.axis import Axis, braking, plan


def samples(profile, count=400):
    """(time, position, velocity) along a profile, ends included."""
    span = profile.end - profile.start
    return [(t, *profile.state(t)) for t in
            (profile.start + span * i / count for i in range(count + 1))]


def test_long_move_is_a_trapezoid():
    profile = plan(0.0, 0.0, 0.0, 10.0, speed=2.0, acceleration=4.0, deceleration=1.0)
    # 0.5 s up to 2 mm/s (0.5 mm), 2 s down (2 mm), 7.5 mm at 2 mm/s in between.
    assert profile.end == pytest.approx(0.5 + 7.5 / 2 + 2.0)
    assert profile.state(0.25) == pytest.approx((0.125, 1.0))
    assert profile.state(2.0) == pytest.approx((0.5 + 1.5 * 2, 2.0))
    assert profile.state(profile.end) == (10.0, 0.0)


def test_short_move_is_a_triangle():
    profile = plan(0.0, 1.0, 0.0, 0.0, speed=10.0, acceleration=2.0, deceleration=2.0)
    # Half the distance (0.5 mm) accelerating at 2 mm/s2 takes sqrt(2 * 0.5 / 2) s.
    assert profile.end == pytest.approx(2 * math.sqrt(0.5))
    assert max(abs(v) for _, _, v in samples(profile)) == pytest.approx(math.sqrt(2), rel=1e-2)
    assert profile.state(99.0) == (0.0, 0.0)


def test_new_target_behind_the_carriage_brakes_first_then_returns():
    profile = plan(0.0, 5.0, 2.0, 4.0, speed=2.0, acceleration=1.0, deceleration=1.0)
    lowest, highest = profile.extremes()
    assert highest == pytest.approx(7.0)  # 2 mm/s braking at 1 mm/s2 takes 2 mm
    assert lowest == 4.0
    assert profile.state(2.0) == pytest.approx((7.0, 0.0))
    assert profile.state(profile.end) == (4.0, 0.0)


def test_braking_stops_after_v_squared_over_2d():
    profile = braking(3.0, 1.0, -2.0, deceleration=4.0)
    assert profile.end == pytest.approx(3.5)
    assert profile.end_position == pytest.approx(0.5)


def test_first_time_at_and_cut_at():
    profile = plan(0.0, 0.0, 0.0, 10.0, speed=2.0, acceleration=4.0, deceleration=1.0)
    t = profile.first_time_at(3.5)
    assert profile.state(t)[0] == pytest.approx(3.5)
    assert profile.first_time_at(11.0) is None
    cut = profile.cut_at(t)
    assert cut.end == pytest.approx(t)
    assert cut.state(t + 1) == pytest.approx((3.5, 0.0))
    assert cut.state(t / 2) == pytest.approx(profile.state(t / 2))


@settings(max_examples=300, deadline=None)
@given(position=st.floats(-50, 50), velocity=st.floats(-20, 20), goal=st.floats(-50, 50),
       speed=st.floats(0.01, 20), acceleration=st.floats(0.1, 100),
       deceleration=st.floats(0.1, 100))
def test_every_plan_comes_to_rest_at_its_goal_within_its_speed(position, velocity, goal, speed,
                                                              acceleration, deceleration):
    profile = plan(0.0, position, velocity, goal, speed, acceleration, deceleration)
    assert profile.state(profile.end) == (goal, 0.0)
    limit = max(speed, abs(velocity)) * (1 + 1e-9) + 1e-9
    previous = None
    for t, x, v in samples(profile, 200):
        assert abs(v) <= limit
        if previous is not None:  # no jumps: at most the distance the top speed allows
            assert abs(x - previous[1]) <= limit * (t - previous[0]) + 1e-6
        previous = (t, x)
    assert abs(profile.state(profile.end - 1e-12)[0] - goal) < 1e-6


def make_axis(**settings):
    events = []
    axis = Axis(**dict({'velocity': 2.0, 'acceleration': 10.0, 'deceleration': 10.0,
                        'reference_velocity': 0.5}, **settings))
    axis.notify = lambda time, name, detail: events.append((time, name, detail))
    return axis, events


def test_reference_run_is_coarse_then_slow_and_sets_the_reported_position():
    axis, events = make_axis()
    axis.set_servo(0.0, True)
    axis.start_reference(1.0, 'FRF', 40.0)
    assert axis.referencing == 'FRF' and not axis.referenced
    coarse = 4.5 / 2.0 + 2.0 / 10.0   # 7.5 -> 12.0 at 2 mm/s
    final = 0.5 / 0.5 + 0.5 / 10.0    # 12.0 -> 12.5 at 0.5 mm/s
    assert axis.moving(1.0 + coarse + final - 1e-6)
    assert not axis.moving(1.0 + coarse + final)
    assert axis.referenced and axis.referencing is None
    assert axis.position(1.0 + coarse + final) == pytest.approx(40.0)
    done = [when for when, name, _ in events if name == 'reference_done']
    assert done == [pytest.approx(1.0 + coarse + final)]


def test_a_move_past_a_limit_switch_stops_there():
    axis, events = make_axis()
    axis.set_servo(0.0, True)
    axis.move_to(0.0, 30.0)  # reported = physical - 7.5 at power-on: physically 37.5
    assert not axis.moving(100.0)
    assert axis.physical_position(100.0) == pytest.approx(25.0)
    assert axis.target(100.0) == pytest.approx(17.5)
    assert axis.switch_levels(100.0) == (False, True, True)
    assert [name for _, name, _ in events].count('limit_switch') == 1


def test_on_target_comes_after_the_settle_time_and_only_with_servo():
    axis, events = make_axis(settle_time=0.5, velocity=10.0)
    axis.set_servo(0.0, True)
    axis.move_to(0.0, 1.0)
    end = 2 * math.sqrt(1.0 / 10.0)
    assert not axis.on_target(end + 0.49)
    assert axis.on_target(end + 0.5)
    assert [when for when, name, _ in events if name == 'on_target'][-1] == pytest.approx(end + 0.5)
    axis.set_servo(end + 1, False)
    assert not axis.on_target(end + 2)


def test_power_cycle_keeps_the_carriage_and_forgets_the_rest():
    axis, _ = make_axis()
    axis.set_servo(0.0, True)
    axis.start_reference(0.0, 'FRF', 12.5)
    axis.move_to(10.0, 20.0)
    axis.power_cycle(10.5)
    where = axis.physical_position(10.5)
    assert 12.5 < where < 20.0
    assert axis.physical_position(20.0) == where
    assert axis.position(20.0) == 0.0
    assert not (axis.servo or axis.referenced or axis.moving(20.0))


def test_velocity_change_during_a_move_applies_at_once():
    axis, _ = make_axis()
    axis.set_servo(0.0, True)
    axis.move_to(0.0, 5.0)
    axis.configure(1.0, velocity=0.5)
    assert axis.moving(1.0)
    assert axis.target(1.0) == 5.0
    assert axis.position(2.5) - axis.position(2.0) == pytest.approx(0.25)  # cruising at 0.5 mm/s
    with pytest.raises(AttributeError):
        axis.configure(2.0, servo=True)
