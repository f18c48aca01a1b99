# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""python3 -m rockit.focuser.c863.simulator: a simulated C-863 on a pty or TCP port, speaking
GCS 2.0 (default) or, with --protocol native, PI's older native Mercury commands.

Prints the device a client should open as the first line on stdout, then serves until SIGTERM
or SIGINT (exit status 0, link removed). Lines on stdin inject faults; each gets one line of
answer on stdout ('ok', the state as JSON, or 'error: ...'), so a parent process can wait
for a fault to be in place.
"""
import argparse
import contextlib
import json
import os
import signal
import sys
import threading

from .device import DEFAULT_REFERENCE_VELOCITY, DEFAULT_VELOCITY, PROTOCOLS, Simulator
from .native import NATIVE_OPTIONS
from .native_syntax import STATUS_LAYOUTS

CONTROL_HELP = """control commands on stdin, one per line:
  unplug | replug            pull / put back the cable (the pty goes; --link follows it)
  mute | unmute              execute commands but never reply / reply again
  garbage [N]                write N random bytes to the client now (default 16)
  garble [flip|truncate] | ungarble   corrupt every reply / stop corrupting
  power-cycle                controller back to power-on (unreferenced, servo off)
  following-error            servo drops (GCS: error 1024; native: motor-off bit)
  error CODE                 latch an error code (native: the TS error number)
  slow SECONDS | fast        extra delay before every reply / none
  state                      print the axis state as one JSON line"""

CONTROL_COMMANDS = {
    'unplug': lambda sim: sim.unplug(),
    'replug': lambda sim: sim.replug(),
    'mute': lambda sim: sim.mute(True),
    'unmute': lambda sim: sim.mute(False),
    'garbage': lambda sim, count='16': sim.send_garbage(os.urandom(int(count))),
    'garble': lambda sim, how='flip': sim.garble_replies(True, how),
    'ungarble': lambda sim: sim.garble_replies(False),
    'power-cycle': lambda sim: sim.power_cycle(),
    'following-error': lambda sim: sim.following_error(),
    'error': lambda sim, code: sim.inject_error(int(code)),
    'slow': lambda sim, seconds: setattr(sim, 'reply_delay', float(seconds)),
    'fast': lambda sim: setattr(sim, 'reply_delay', 0.0),
    'state': lambda sim: json.dumps(sim.state()),
}


def parse_arguments(argv):
    parser = argparse.ArgumentParser(
        prog='python3 -m rockit.focuser.c863.simulator',
        description='A simulated PI C-863 Mercury focuser controller (GCS 2.0 or native commands).',
        epilog=CONTROL_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group()
    where.add_argument('--pty', action='store_true', help='serve on a pseudo-terminal (default)')
    where.add_argument('--tcp', type=int, metavar='PORT',
                       help='serve on socket://127.0.0.1:PORT instead (0: any free port)')
    parser.add_argument('--link', metavar='PATH',
                        help='keep a symbolic link PATH to the pty, surviving unplug/replug')
    parser.add_argument('--baud', type=int, default=9600, help='pacing of the line (default 9600)')
    parser.add_argument('--address', type=int, default=1,
                        help='daisy-chain address (default 1; native: device number 1-16 = board 0-F)')
    parser.add_argument('--protocol', choices=PROTOCOLS, default='gcs',
                        help='command set: gcs (C-863.11/.12, default) or native (C-863.10)')
    parser.add_argument('--velocity', type=float, default=DEFAULT_VELOCITY,
                        help=f'VEL at power-on, mm/s (default {DEFAULT_VELOCITY})')
    parser.add_argument('--reference-velocity', type=float, default=DEFAULT_REFERENCE_VELOCITY,
                        help='final approach of reference runs, mm/s '
                             f'(default {DEFAULT_REFERENCE_VELOCITY})')
    parser.add_argument('--referenced', action='store_true',
                        help='start referenced with the servo on')
    add_native_arguments(parser.add_argument_group('native firmware (with --protocol native)'))
    args = parser.parse_args(argv)
    if args.link and args.tcp is not None:
        parser.error('--link goes with --pty, not --tcp')
    if args.baud <= 0 or args.velocity <= 0 or args.reference_velocity <= 0:
        parser.error('--baud, --velocity and --reference-velocity must be positive')
    if not 0 < args.address < 256:
        parser.error('--address must be 1..255')
    if args.protocol == 'native' and args.address > 16:
        parser.error('--address must be 1..16 with --protocol native (board numbers 0-F)')
    if native_options(args) and args.protocol != 'native':
        parser.error('--status-layout, --echo, --version-lines and --drop-after-motion '
                     'go with --protocol native')
    if args.drop_after_motion is not None and not args.drop_after_motion >= 0:
        parser.error('--drop-after-motion must be 0 or more seconds')
    return args


def add_native_arguments(group):
    """The native firmware's options; each left out (None) keeps the simulator's default."""
    group.add_argument('--status-layout', choices=STATUS_LAYOUTS,
                       help="TS report: six bytes as C-862/C-863 units send them (default) "
                            "or the three of the manual's table")
    group.add_argument('--echo', action='store_true', default=None,
                       help='echo line commands from power-on (as after EN)')
    group.add_argument('--version-lines', type=int, choices=(1, 2),
                       help='VE on 2 lines as the manual prints it (default) or on 1')
    group.add_argument('--drop-after-motion', type=float, metavar='SECONDS',
                       help='lose bytes arriving this soon after MA, MR, GH or FE, as C-862 units '
                            'do (default 0: off; EPICS waits 0.017)')


def native_options(args):
    """The native firmware's options given on the command line, as Simulator keywords."""
    return {name: getattr(args, name) for name in NATIVE_OPTIONS if getattr(args, name) is not None}


def say(text):
    """One line on stdout, flushed; a parent that stopped listening is not our problem."""
    with contextlib.suppress(BrokenPipeError, ValueError):
        print(text, flush=True)


def run_control_command(sim, line):
    """Executes one stdin control line; returns the line to print."""
    name, *args = line.split()
    if name not in CONTROL_COMMANDS:
        return f'error: unknown control command {name!r} (try --help)'
    try:
        result = CONTROL_COMMANDS[name](sim, *args)
    except (TypeError, ValueError) as e:
        return f'error: {name}: {e}'
    return result if isinstance(result, str) else 'ok'


def read_control_commands(sim):
    for line in sys.stdin:
        if line.strip():
            say(run_control_command(sim, line))


def main(argv=None):
    args = parse_arguments(argv)
    sim = Simulator(baud=args.baud, address=args.address, link=args.link, tcp_port=args.tcp,
                    velocity=args.velocity, reference_velocity=args.reference_velocity,
                    referenced=args.referenced, protocol=args.protocol, **native_options(args))
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        device = sim.start()
    except OSError as e:
        print(f'simulator: cannot open the port: {e}', file=sys.stderr)
        return 1
    try:
        say(device)
        threading.Thread(target=read_control_commands, args=(sim,), daemon=True).start()
        stop.wait()
    finally:
        sim.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
