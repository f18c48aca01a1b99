# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The daemon as the unit runs it: an unprivileged system user whose only extra right is the
serial port's group (dialout on the telescopes, from the sysusers.d file and the udev rule).

A throwaway system user and device group are created for the session; the simulator's pty is
handed to that group with mode 0660, as udev does /dev/focuser; the real daemon is started as
the user with setpriv, once with the device group (everything works) and once without (a clear
error, not a traceback). This needs root, so it is skipped otherwise.

The user must reach the interpreter, its site-packages and this checkout. When one of them is
under a directory others may not enter (a Python under /root, a checkout under a private
directory), the daemon runs in a private mount namespace where that directory is an empty
world-readable tmpfs with only the needed entries bound back in: the machine is not changed,
and nothing else of the directory is visible to the user.
"""
import fcntl
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, script_env
from rockit.focuser.c863.constants import CommandStatus
from test_cli import focus
from test_daemon import start_long_move, wait_for_label

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason='needs root: creates a throwaway system user and group, and '
                              'starts the daemon as that user with setpriv')

TOOLS = ('setpriv', 'useradd', 'userdel', 'groupadd', 'groupdel', 'unshare', 'mount')
# The environment of the user's processes: no root's home.
USER_ENV = {'HOME': '/'}


@dataclass
class Accounts:
    user: str
    uid: int
    gid: int               # the user's own group
    device_group: str
    device_gid: int


# useradd, userdel, groupadd and groupdel give up ("cannot lock /etc/group; try again later")
# when another of them holds the account files: parallel workers and concurrent runs take turns.
ACCOUNTS_LOCK = Path(tempfile.gettempdir()) / 'rockit-focuser-c863-test-accounts.lock'


def run_as_root(*command):
    with open(ACCOUNTS_LOCK, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f'{shlex.join(command)}: {result.stderr}'


@pytest.fixture(scope='module')
def accounts():
    """A system user with its own group, and a separate group for the device; removed after."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f'missing {", ".join(missing)} (util-linux, passwd)')
    user = f'c863t{os.getpid() % 100000}'
    device_group = f'{user}dev'
    run_as_root('groupadd', '--system', device_group)
    try:
        run_as_root('useradd', '--system', '--user-group', '--no-create-home', '--home-dir', '/',
                    '--shell', '/usr/sbin/nologin', user)
        try:
            import grp
            import pwd
            entry = pwd.getpwnam(user)
            yield Accounts(user, entry.pw_uid, entry.pw_gid, device_group,
                           grp.getgrnam(device_group).gr_gid)
        finally:
            run_as_root('userdel', user)
            if subprocess.run(['getent', 'group', user], capture_output=True, check=False).returncode == 0:
                run_as_root('groupdel', user)
    finally:
        run_as_root('groupdel', device_group)


@pytest.fixture(scope='module')
def shared_dir():
    """A directory the user may read (the config goes here): tmp_path is private to root."""
    path = Path(tempfile.mkdtemp(prefix='c863-privilege-'))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def needed_paths():
    """What the daemon's process reads: the interpreter, its libraries, and this checkout."""
    return {Path(sys.executable).resolve(), Path(sys.prefix).resolve(),
            Path(sys.base_prefix).resolve(), ROOT.resolve()}


def closed_directories(paths):
    """{directory others may not enter: names of its entries on the way to paths}, topmost
    such directories only."""
    closed = {}
    for path in paths:
        for directory in reversed(list(path.parents)[:-1]):  # from the top, without "/"
            if not directory.stat().st_mode & stat.S_IXOTH:
                closed.setdefault(directory, set()).add(path.relative_to(directory).parts[0])
                break
    return closed


def as_user(accounts, shared_dir, with_device_group):
    """The wrapper command that runs a command line as the user (see the module docstring)."""
    groups = [f'--groups={accounts.device_gid}'] if with_device_group else ['--clear-groups']
    setpriv = ['setpriv', f'--reuid={accounts.uid}', f'--regid={accounts.gid}', *groups,
               '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--']
    closed = closed_directories(needed_paths())
    if not closed:
        return setpriv
    script = ['set -e']
    for number, (directory, names) in enumerate(sorted(closed.items())):
        held = []
        for name in sorted(names):
            original = directory / name
            holder = shared_dir / f'held-{number}-{name}'
            if original.is_dir():
                holder.mkdir(exist_ok=True)
            else:
                holder.touch()
            script.append(f'mount --bind {shlex.quote(str(original))} {shlex.quote(str(holder))}')
            held.append((holder, original))
        script.append(f'mount -t tmpfs -o mode=0755 c863-test {shlex.quote(str(directory))}')
        for holder, original in held:
            make = 'mkdir' if holder.is_dir() else 'touch'
            script.append(f'{make} {shlex.quote(str(original))}')
            script.append(f'mount --bind {shlex.quote(str(holder))} {shlex.quote(str(original))}')
    script.append(f'exec {shlex.join(setpriv)} "$@"')
    return ['unshare', '--mount', '--propagation', 'private', '--',
            'sh', '-c', '\n'.join(script), 'sh']


@pytest.fixture
def device(simulator, accounts):
    """The simulator's pty, owned by the device group with mode 0660, as udev makes /dev/focuser."""
    path = os.path.realpath(simulator.device)
    os.chown(path, 0, accounts.device_gid)
    os.chmod(path, 0o660)
    return path


@pytest.fixture
def write_config(write_config, shared_dir, tmp_path):
    """Test configs where the user can read them (tmp_path is private to root)."""
    def write(**overrides):
        config = shared_dir / f'{tmp_path.name}.json'
        shutil.copyfile(write_config(**overrides), config)
        config.chmod(0o644)
        return config
    return write


@pytest.fixture
def start_as_user(daemon_factory, accounts, shared_dir, device):
    """Starts the real daemon as the user, with or without the device group, on the pty."""
    def start(with_device_group):
        return daemon_factory(serial_port=device, env=USER_ENV,
                              wrapper=as_user(accounts, shared_dir, with_device_group))
    return start


def credentials(pid):
    """(uid, gid, supplementary gids) of a running process, from /proc."""
    fields = dict(line.split(':', 1) for line in Path(f'/proc/{pid}/status').read_text().splitlines())
    return (int(fields['Uid'].split()[0]), int(fields['Gid'].split()[0]),
            sorted(int(gid) for gid in fields['Groups'].split()))


def test_the_user_can_run_python_and_import_the_package_but_nothing_of_roots(accounts, shared_dir):
    """The premise of the tests below: the user reaches the interpreter, the dependencies and
    this checkout (readable, importable), and is not root in any way."""
    probe = ('import os, Pyro4, serial, jsonschema, rockit.focuser.c863.server; '
             'print(os.getuid(), os.getgid(), os.getgroups(), os.access("/etc/shadow", os.R_OK))')
    result = subprocess.run([*as_user(accounts, shared_dir, True), sys.executable, '-c', probe],
                            capture_output=True, text=True, env=script_env(**USER_ENV),
                            cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(maxsplit=2) == [str(accounts.uid), str(accounts.gid),
                                               f'[{accounts.device_gid}] False']


def test_daemon_in_the_device_group_initializes_homes_moves_and_stops(start_as_user, accounts):
    daemon = start_as_user(with_device_group=True)
    assert credentials(daemon.process.pid) == (accounts.uid, accounts.gid, [accounts.device_gid])
    assert daemon.call('initialize') == CommandStatus.Succeeded, daemon.output()
    assert daemon.call('home') == CommandStatus.Succeeded, daemon.output()
    assert daemon.call('move', 150000, False) == CommandStatus.Succeeded
    assert wait_for_label(daemon, 'IDLE')['current_steps'] == 150000
    thread, result = start_long_move(daemon)
    assert daemon.call('stop') == CommandStatus.Succeeded
    thread.join(10)
    assert result == [CommandStatus.Stopped]
    wait_for_label(daemon, 'IDLE')


def test_daemon_without_the_device_group_says_why_it_cannot_open_the_port(
        start_as_user, accounts, device):
    daemon = start_as_user(with_device_group=False)
    assert credentials(daemon.process.pid) == (accounts.uid, accounts.gid, [])
    assert daemon.call('initialize') == CommandStatus.Failed
    explanation = (f"serial port {device}: permission denied: is the daemon's user in the "
                   f'{accounts.device_group} group?')
    assert explanation in daemon.status()['message']
    shown = focus('status', config_path=daemon.config_path)
    assert explanation in shown.stdout + shown.stderr
    log = daemon.wait_for_output(explanation)
    assert 'Traceback' not in log
