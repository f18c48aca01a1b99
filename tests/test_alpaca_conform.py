# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""ConformU's focuser checks (ASCOMInitiative/ConformU, FocuserTester.cs and the common-member
checks of its device tester base class), encoded as tests, since ConformU itself is a .NET
program that is not available here. Each test names the ConformU check it stands for.

ConformU runs its checks as one client (alpyca here), after connecting; so do these.
"""
import datetime

import pytest
from alpaca.exceptions import NotImplementedException

from alpaca_support import get, value, wait_until_still
from conftest import wait_until

pytest_plugins = ['alpaca_support']  # its fixtures: focuser

BOTH_PROTOCOLS = pytest.mark.parametrize('protocol', ['gcs', 'native'])
# ConformU's distance beyond either end for the "Move - Below 0" / "Above MaxStep" checks.
OUT_OF_RANGE_INCREMENT = 10
DEVICE_STATE_NAMES = {'IsMoving', 'Position', 'Temperature', 'TimeStamp'}


def move_to(device, position):
    """ConformU's MoveFocuserToPosition: not moving before, Move, then wait while IsMoving."""
    assert device.IsMoving is False, 'focuser is already moving before the Move test'
    device.Move(position)
    wait_until_still(device, timeout=30)


# ---- common members -----------------------------------------------------------------------------

def test_common_members_conform(focuser):
    """Connected, Description, DriverInfo, DriverVersion, InterfaceVersion, Name, SupportedActions."""
    assert focuser.Connected is True
    for text in (focuser.Description, value(get('driverinfo')), focuser.Name):  # alpyca splits DriverInfo
        assert isinstance(text, str) and text.strip()
    assert focuser.DriverVersion.count('.') == 1 and all(part.isdigit() for part in focuser.DriverVersion.split('.'))
    assert focuser.InterfaceVersion == 4
    actions = focuser.SupportedActions
    assert isinstance(actions, list) and all(isinstance(action, str) for action in actions)


def test_device_state_has_only_operational_properties_correctly_cased(focuser):
    """DeviceState (Platform 7): only the focuser's operational properties and TimeStamp."""
    state = {item['Name']: item['Value'] for item in focuser.DeviceState}
    assert set(state) <= DEVICE_STATE_NAMES
    assert state['IsMoving'] is False and state['Position'] == focuser.Position
    stamp = datetime.datetime.fromisoformat(state['TimeStamp'].rstrip('Z'))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert abs((now - stamp).total_seconds()) < 60


def test_connect_and_disconnect_complete_asynchronously(focuser):
    """Connect / Disconnect / Connecting (Platform 7): Connecting ends, Connected follows."""
    focuser.Disconnect()
    wait_until(lambda: not focuser.Connecting, 10, 'Disconnect: Connecting stayed true')
    assert focuser.Connected is False
    focuser.Connect()
    wait_until(lambda: not focuser.Connecting, 10, 'Connect: Connecting stayed true')
    assert focuser.Connected is True


def test_command_members_are_not_implemented(focuser):
    """CommandBlind / CommandBool / CommandString: optional, NotImplemented is the right refusal."""
    for command in (focuser.CommandBlind, focuser.CommandBool, focuser.CommandString):
        with pytest.raises(NotImplementedException):
            command('1 POS?', False)


# ---- focuser properties ---------------------------------------------------------------------------

@BOTH_PROTOCOLS
def test_properties_conform(focuser, protocol):
    """CheckProperties: Absolute, IsMoving, MaxStep, MaxIncrement, Position, StepSize, TempComp*,
    Temperature."""
    assert focuser.Absolute is True
    assert focuser.IsMoving is False, 'IsMoving is True at start of tests and it should be false'
    max_step = focuser.MaxStep
    assert 1 <= focuser.MaxIncrement <= max_step
    assert 0 <= focuser.Position <= max_step
    if protocol == 'gcs':
        assert focuser.StepSize > 0
    else:
        with pytest.raises(NotImplementedException):  # optional
            focuser.StepSize
    assert focuser.TempCompAvailable is False
    assert focuser.TempComp is False, 'TempComp is True when TempCompAvailable is False'
    with pytest.raises(NotImplementedException):  # must not be implemented without TempCompAvailable
        focuser.TempComp = True
    focuser.TempComp = False  # ConformU restores the original setting; that must be accepted
    with pytest.raises(NotImplementedException):  # optional
        focuser.Temperature


# ---- focuser methods ------------------------------------------------------------------------------

def test_halt_when_idle_is_accepted(focuser):
    """Halt: optional; implemented, it must succeed on an idle focuser."""
    focuser.Halt()
    assert focuser.IsMoving is False


@BOTH_PROTOCOLS
def test_move_by_a_tenth_of_max_step_and_back(focuser):
    """MoveFocuser: a tenth of MaxStep outwards (inwards near the top), within MaxIncrement, then
    back to the start; each move ends within tolerance (exactly, here)."""
    original = focuser.Position
    target = original + focuser.MaxStep // 10
    if target >= focuser.MaxStep:
        target = original - focuser.MaxStep // 10
    assert abs(target - original) <= focuser.MaxIncrement
    move_to(focuser, target)
    assert focuser.Position == target
    move_to(focuser, original)
    assert focuser.Position == original


@BOTH_PROTOCOLS
def test_moves_to_both_limits_and_beyond_stop_gracefully_at_the_limits(focuser):
    """Move - To 0, Below 0, To MidPoint, To MaxStep, Above MaxStep: no exception; a target
    beyond an end ends at that end."""
    max_step = focuser.MaxStep
    for requested, expected in [(0, 0), (-OUT_OF_RANGE_INCREMENT, 0), (max_step // 2, max_step // 2),
                                (max_step, max_step), (max_step + OUT_OF_RANGE_INCREMENT, max_step)]:
        move_to(focuser, requested)
        assert focuser.Position == expected, f'Move({requested}) ended at {focuser.Position}'
