# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""c863_focusd --probe CONFIG: one run, from the go-ahead to the two reports.

The probe opens the config's port exclusively, as the daemon does, so it runs with the daemon
stopped; a port the daemon holds is said in one line, with the command that frees it.
"""
import errno
import sys
from datetime import datetime, timezone
from pathlib import Path

from ..errors import LinkLost
from . import gcs, gcs_motion, native, native_motion, report
from .findings import Findings
from .plan import go_ahead, motion_plan
from .recording import Recorder, RecordingGCSPort, RecordingNativePort
from .session import CHECK_THE_LINE, Options, Session

# Exit statuses: the probe ran to its end (whatever it found); it could not (the port, the link
# or the JSON file failed, or nothing answered); --motion was not allowed to go ahead.
EXIT_DONE = 0
EXIT_FAILED = 1
EXIT_REFUSED = 2


def run_probe(config, motion=False, distance=2000, yes=False, output=None):
    """Probes the controller of config (a Config); prints the text report and writes the JSON
    one (output, default probe-<name>-<UTC time>.json here). Returns the exit status."""
    name = Path(config.path).stem
    if motion and not _allowed(config, distance, yes):
        return EXIT_REFUSED
    started = datetime.now(timezone.utc)
    recorder, findings = Recorder(), Findings(config.protocol, motion)
    probe = _probe_native if config.protocol == 'native' else _probe_gcs
    try:
        layout, notes = probe(config, Options(motion, distance), recorder, findings), []
    except LinkLost as error:
        if not recorder.exchanges:
            print(f'c863_focusd: {_cannot_open(error, config, name)}', file=sys.stderr)
            return EXIT_FAILED
        layout, notes = 'unknown (the link was lost)', [f'the probe ended early: {error}']
    if not recorder.anything_received:
        notes.append(f'nothing answered at all: {CHECK_THE_LINE}')
    path = Path(output) if output else Path(f'probe-{name}-{started:%Y%m%dT%H%M%SZ}.json')
    meta = {'config': config.path, 'name': name, 'serial_port': config.serial_port, 'serial_baud': config.serial_baud,
            'controller_address': config.controller_address, 'protocol': config.protocol, 'motion': motion,
            'distance': distance if motion else None, 'started_utc': started.isoformat(), 'json': str(path)}
    print(report.text(meta, layout, findings, notes))
    try:
        report.write(path, report.document(meta, layout, list(findings), notes, recorder))
    except OSError as error:
        print(f'c863_focusd: cannot write {path}: {error.strerror or error}', file=sys.stderr)
        return EXIT_FAILED
    return EXIT_FAILED if notes else EXIT_DONE


def _allowed(config, distance, yes):
    """Says what --motion will do, then whether it may (plan.go_ahead); a refusal in one line."""
    print('\n'.join(motion_plan(config, distance)), flush=True)
    refusal = go_ahead(yes)
    if refusal:
        print(f'c863_focusd: {refusal}', file=sys.stderr)
    return refusal is None


def _cannot_open(error, config, name):
    """One line: the daemon (or another program) holds the port, or why else it cannot be opened."""
    if getattr(error.__cause__, 'errno', None) == errno.EAGAIN:
        return (f'{config.serial_port} is held by another process (the daemon?): stop it first with '
                f'`systemctl stop c863_focusd@{name}`')
    return str(error)


def _probe_native(config, options, recorder, findings):
    with RecordingNativePort(config.serial_port, config.serial_baud, config.serial_timeout,
                             config.controller_address - 1, config.motion_pause, recorder=recorder) as port:
        session = Session(config, options, port, recorder, findings)
        status = native.probe_at_rest(session)
        if options.motion and status is not None:
            native_motion.probe_motion(session)
    return native.layout_line(status)


def _probe_gcs(config, options, recorder, findings):
    """The daemon's way first (address 1 unaddressed), then the port again with the prefix."""
    address = config.controller_address
    with RecordingGCSPort(config.serial_port, config.serial_baud, config.serial_timeout,
                          None if address == 1 else address, recorder=recorder) as port:
        session = Session(config, options, port, recorder, findings)
        at_rest = gcs.probe_at_rest(session)
        if at_rest is None:
            return gcs.layout_line(at_rest)
        if options.motion:
            gcs_motion.probe_motion(session, at_rest)
    with RecordingGCSPort(config.serial_port, config.serial_baud, config.serial_timeout, address,
                          recorder=recorder) as port:
        gcs.probe_addressed(Session(config, options, port, recorder, findings),
                            at_rest.position if address == 1 else None)
    return gcs.layout_line(at_rest)
