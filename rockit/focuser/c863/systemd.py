# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The systemd notify protocol (sd_notify), for Type=notify readiness and the watchdog.

It is one datagram to the socket named in $NOTIFY_SOCKET; outside systemd the variable is unset
and every call does nothing, so the daemon runs the same by hand, under systemd and in tests.
"""
import os
import socket


def notify(message):
    """Sends 'READY=1', 'WATCHDOG=1', 'STATUS=...' etc. Returns True if a socket was there."""
    address = os.environ.get('NOTIFY_SOCKET')
    if not address:
        return False
    if address.startswith('@'):
        address = '\0' + address[1:]  # abstract namespace
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        try:
            sock.sendto(message.encode(), address)
        except OSError:
            return False
    return True


def watchdog_interval():
    """Seconds between watchdog pings: half of WatchdogSec, or None when there is no watchdog."""
    usec = os.environ.get('WATCHDOG_USEC')
    pid = os.environ.get('WATCHDOG_PID')
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        return int(usec) / 2e6
    except ValueError:
        return None
