# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The simulated stage and its servo loop: where the carriage really is and how it moves.

Nothing here knows a command set. The GCS and native interpreters (gcs.py, native.py) ask the
axis questions and give it orders; the axis answers in physical units (mm) at a given time
(seconds on time.monotonic()).

No physics thread: every motion is a Profile (profile.py), a closed-form function of time
(pieces of constant acceleration), and the axis is evaluated lazily at whatever time it is
asked about. What happens at a definite moment (a reference run reaching its switch, the
carriage running into a limit switch, the axis settling on target) is applied by advance(t) in
time order, with the moment it really happened, and announced through notify(time, name,
detail).

Two positions matter. The physical position is where the carriage is on the stage; it survives
a power cycle. The reported position is what the controller believes: physical + offset. The
offset is forgotten at power-on (the controller reports 0 wherever the carriage stands) and set
by a reference run (the switch position becomes a known value) or by the client (POS).
"""
from .profile import EPSILON, Profile, braking, plan

# What configure() may change (units: mm/s, mm/s^2, mm, s).
MOTION_SETTINGS = ('velocity', 'acceleration', 'deceleration', 'reference_velocity',
                   'settle_window', 'settle_time')


class Stage:
    """Where the switches are along the physical travel (mm): fixed by the hardware.

    FRF, FNL and FPL run coarse (at the axis velocity) to `approach` mm before their switch,
    then make the final approach at the reference velocity, always from the same side: FRF and
    FPL moving in the positive direction, FNL in the negative one.
    """

    def __init__(self, negative_limit=0.0, positive_limit=25.0, reference_switch=12.5,
                 approach=0.5):
        self.negative_limit = negative_limit
        self.positive_limit = positive_limit
        self.reference_switch = reference_switch
        self.approach = approach

    def reference_target(self, kind):
        """(switch position, direction of the final approach) of a reference run."""
        return {'FRF': (self.reference_switch, +1),
                'FNL': (self.negative_limit, -1),
                'FPL': (self.positive_limit, +1)}[kind]


class Axis:
    """One servo axis on a Stage, answering in reported units (mm) at time t.

    Motion settings are plain attributes (mm/s, mm/s^2, mm, s); the command interpreter keeps
    them in step with its parameters through configure(). Pre-conditions (servo on, referenced,
    soft limits) are the interpreter's business: the axis does what it is told, except that it
    cannot pass a limit switch.
    """

    def __init__(self, stage=None, position=7.5, velocity=1.5, acceleration=10.0,
                 deceleration=10.0, reference_velocity=0.5, settle_window=0.001,
                 settle_time=0.02, now=0.0):
        self.stage = stage or Stage()
        self.velocity = velocity
        self.acceleration = acceleration
        self.deceleration = deceleration
        self.reference_velocity = reference_velocity
        self.settle_window = settle_window
        self.settle_time = settle_time
        self.notify = lambda time, name, detail: None
        self.servo = False
        self.referenced = False
        self.referencing = None  # 'FRF', 'FNL' or 'FPL' while a reference run is under way
        self._offset = -position  # the controller reports 0 at power-on
        self._motion = Profile.rest(now, position)
        self._goal = position
        self._on_arrival = None  # what to do when the current motion ends, if anything
        self._announced = True   # the current on-target moment was already announced

    # --- time ---------------------------------------------------------------------------------

    def advance(self, t):
        """Applies, in time order and with their own times, whatever happened up to t."""
        while self._on_arrival is not None and self._motion.end <= t:
            arrived, self._on_arrival = self._on_arrival, None
            arrived(self._motion.end)
        settled = self._settle_time()
        if not self._announced and settled is not None and settled <= t:
            self._announced = True
            self.notify(settled, 'on_target', self._goal + self._offset)

    def next_due(self):
        """When advance() next has something to do, or None."""
        if self._on_arrival is not None:
            return self._motion.end
        if not self._announced:
            return self._settle_time()
        return None

    def _settle_time(self):
        """When the axis is (or will be) on target as things stand, or None if it never will."""
        if not self.servo or self._on_arrival is not None:
            return None
        if abs(self._motion.end_position - self._goal) > self.settle_window:
            return None
        return self._motion.end + self.settle_time

    # --- what the controller reads ------------------------------------------------------------

    def physical_position(self, t):
        self.advance(t)
        return self._motion.state(t)[0]

    def position(self, t):
        return self.physical_position(t) + self._offset

    def target(self, t):
        self.advance(t)
        return self._goal + self._offset

    def moving(self, t):
        self.advance(t)
        return t < self._motion.end

    def on_target(self, t):
        """The servo holds the carriage within the settle window of the target, and has for the
        settle time."""
        self.advance(t)
        settled = self._settle_time()
        return settled is not None and t >= settled

    def switch_levels(self, t):
        """(negative limit, reference, positive limit) switch signals: True = active.

        The reference signal is direction-sensing: active on the positive side of the switch,
        which is how the controller knows which way to head for it.
        """
        x = self.physical_position(t)
        return (x <= self.stage.negative_limit + EPSILON,
                x > self.stage.reference_switch,
                x >= self.stage.positive_limit - EPSILON)

    # --- what the controller does -------------------------------------------------------------

    def configure(self, t, **settings):
        """Changes motion settings; a move under way continues to its target with them."""
        self.advance(t)
        unknown = set(settings) - set(MOTION_SETTINGS)
        if unknown:
            raise AttributeError(f'not motion settings: {", ".join(sorted(unknown))}')
        profile_changed = any(getattr(self, name) != settings[name] for name in
                              ('velocity', 'acceleration', 'deceleration') if name in settings)
        for name, value in settings.items():
            setattr(self, name, value)
        if profile_changed and self.moving(t) and self.referencing is None \
                and self._on_arrival is None:
            self._go(t, self._goal, self.velocity)

    def set_servo(self, t, on):
        """Servo on holds the carriage where it is (that becomes the target); off lets go."""
        self.advance(t)
        if on and not self.servo:
            self.servo = True
            self._stand(t)
        elif not on and self.servo:
            self.servo = False
            self.referencing = None
            self._stand(t, keep_goal=True)

    def move_to(self, t, target):
        """Starts (or re-targets) a move to a reported position."""
        self.advance(t)
        self._go(t, target - self._offset, self.velocity)

    def halt(self, t):
        """Decelerates to rest; the target becomes where the carriage stops. Ends a reference
        run unfinished."""
        self.advance(t)
        self.referencing = None
        x, v = self._motion.state(t)
        profile = braking(t, x, v, self.deceleration)
        self._follow(profile, profile.end_position)

    def stop(self, t):
        """Stops dead (maximum deceleration); the target becomes the position. Ends a reference
        run unfinished."""
        self.advance(t)
        self.referencing = None
        self._stand(t)

    def start_reference(self, t, kind, value):
        """Starts a reference run ('FRF', 'FNL', 'FPL'); at its switch the reported position
        becomes value. The axis is unreferenced until the run succeeds."""
        self.advance(t)
        switch, direction = self.stage.reference_target(kind)
        self.referenced = False
        self.referencing = kind

        def final_approach(when):
            self._go(when, switch, self.reference_velocity, then=arrived)

        def arrived(when):
            self.referencing = None
            self.referenced = True
            self._offset = value - switch
            self.notify(when, 'reference_done', kind)

        self._go(t, switch - direction * self.stage.approach, self.velocity, then=final_approach)

    def set_position(self, t, value):
        """Declares the current position to be value (no motion) and the axis referenced."""
        self.advance(t)
        x = self._motion.state(t)[0]
        self._offset = value - x
        self._goal = x
        self.referenced = True

    def assume_referenced(self, t, value):
        """The state right after a reference run: the carriage at the reference switch, which
        reads value. For a simulator that starts up referenced."""
        self.advance(t)
        switch = self.stage.reference_switch
        self._follow(Profile.rest(t, switch), switch)
        self._offset = value - switch
        self.referenced = True

    def servo_fault(self, t):
        """A following error: the servo drops and the carriage stops where it is."""
        self.advance(t)
        self.servo = False
        self.referencing = None
        self._stand(t, keep_goal=True)

    def power_cycle(self, t):
        """Power off and on: the carriage stops and stays; the controller forgets where it is."""
        self.advance(t)
        self.servo = False
        self.referenced = False
        self.referencing = None
        self._stand(t)
        self._offset = -self._motion.end_position

    # --- motion bookkeeping ---------------------------------------------------------------------

    def _go(self, t, goal, speed, then=None):
        """Plans a move from the current state to the physical goal."""
        x, v = self._motion.state(t)
        self._follow(plan(t, x, v, goal, speed, self.acceleration, self.deceleration), goal, then)

    def _stand(self, t, keep_goal=False):
        """The carriage stops dead where it is; the target becomes that place unless kept."""
        x = self._motion.state(t)[0]
        self._follow(Profile.rest(t, x), self._goal if keep_goal else x)

    def _follow(self, profile, goal, then=None):
        """Makes profile the current motion, cut short where it would pass a limit switch."""
        crossing = self._limit_crossing(profile)
        if crossing is not None:
            profile, then = profile.cut_at(crossing), self._stopped_by_limit_switch
        self._motion, self._goal, self._on_arrival = profile, goal, then
        self._announced = False

    def _limit_crossing(self, profile):
        """The time profile first reaches a limit switch it would go past, or None."""
        lowest, highest = profile.extremes()
        times = []
        if lowest < self.stage.negative_limit - EPSILON:
            times.append(profile.first_time_at(self.stage.negative_limit))
        if highest > self.stage.positive_limit + EPSILON:
            times.append(profile.first_time_at(self.stage.positive_limit))
        times = [time for time in times if time is not None]
        return min(times) if times else None

    def _stopped_by_limit_switch(self, when):
        self._goal = self._motion.end_position
        self.referencing = None
        self.notify(when, 'limit_switch', self._goal + self._offset)
