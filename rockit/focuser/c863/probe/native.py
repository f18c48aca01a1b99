# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""First contact in native Mercury commands, without motion: what the controller says at rest.

A % before the selection code (is it deaf until selected?), the selection, TB, VE, TS, TP, \\,
then a bad command (XX: no mnemonic, so nothing can move) and two TS, to see which byte of the
report carries the error number and whether reading it clears it. Nothing here switches the
motor on or moves the axis; native_motion.py does that, with --motion only.
"""
from ..native import TELL_STATUS, NativePort
from ..native_status import SIX_BYTE, THREE_BYTE, NativeStatus

# How long a deaf controller gets to answer the % sent before selection.
DEAF_WAIT = 0.5
BAD_COMMAND = 'XX'
# Which byte of the report (counted from 1, as the guesses do) holds the error number.
ERROR_BYTE = {SIX_BYTE: 6, THREE_BYTE: 3}
LAYOUT_NAMES = {SIX_BYTE: "six-byte (the C-862/C-863 hardware drivers' map)",
                THREE_BYTE: "three-byte (the manual MS176E's table)"}


def probe_at_rest(session):
    """The steps without motion; returns the TS report at rest (a NativeStatus), or None if
    there was none (then nothing may move: the motion steps need it)."""
    port = session.port
    _deaf_until_selected(session)
    session.step('select', port.select)
    _board_number(session)
    if session.gave_up_on_silence():
        session.findings.untested('deaf-until-selected', 'the controller answered nothing after selection either')
        return None
    _version(session)
    idle = session.step('TS', lambda: _ask_status(port))
    session.step('TP', lambda: port.report_value('TP', 'P'))
    still = session.step('\\', port.moving)
    if not idle.ok:
        session.findings.unreached(f'no status report at rest: {idle.show()}')
        return None
    _status_at_rest(session, idle, still)
    _bad_command(session, idle)
    return idle.value


def layout_line(status):
    """The report's first line: which status layout the controller sent."""
    if status is None:
        return 'unknown (no status report)'
    return f'{LAYOUT_NAMES.get(status.layout, "other")}: {status.describe()}'


def _ask_status(port):
    """TS as a line command (the single-character % is the poll's): decoded by its length."""
    return NativeStatus.parse(port.query('TS'))


def no_such_bit(status, what):
    """The evidence for a guess about a bit the report's layout does not have."""
    return f'the {status.layout or "unknown"} layout has no {what} bit: {status.text}'


def _trajectory_complete(status):
    """Byte 1 bit 2 of a six-byte report (the LM629's trajectory complete): NativeStatus leaves it out."""
    return bool(status.raw[0] & 0x04)


def moving_direction_positive(status):
    """Byte 3 bit 2 of a six-byte report (the direction of the last move): NativeStatus leaves it out."""
    return bool(status.raw[2] & 0x04)


def judge_at_rest(findings, statuses, evidence):
    """at-rest-bits on reports taken while \\ said 0. The three-byte on-target bit is asked only
    of a report with the motor on: with it off, nothing holds the axis on a target."""
    layout = statuses[0].layout
    if layout == SIX_BYTE:
        holds = all(_trajectory_complete(status) and not status.busy for status in statuses)
    elif layout != THREE_BYTE:
        holds, evidence = None, no_such_bit(statuses[0], 'at-rest')
    elif any(status.motor_off for status in statuses):
        holds, evidence = None, f'the motor is off (on target needs it on: run with --motion); {evidence}'
    else:
        holds = all(status.on_target for status in statuses)
    findings.judge('at-rest-bits', holds, evidence)


def _deaf_until_selected(session):
    """% before the selection code. An answer does not contradict the manual: the controller
    may still be selected from an earlier session (only power-up or RT deselects it)."""
    port = session.port

    def ask():
        port.write_raw(TELL_STATUS.encode('ascii'))
        return port.listen(DEAF_WAIT)
    exchange = session.step('% before selection', ask)
    if exchange.ok and not exchange.value:
        session.findings.judge('deaf-until-selected', True, f'no reply within {DEAF_WAIT:g} s; {exchange.show()}')
    else:
        session.findings.untested('deaf-until-selected', 'answered before selection: still selected since an '
                                  'earlier session? Probe again right after power-up to test; ' + exchange.show())


def _board_number(session):
    board = session.port.board
    exchange = session.step('TB', session.port.board_number)
    holds = exchange.value == board if exchange.ok else None
    session.findings.judge('tb-board-number', holds, f'board {board} selected; {exchange.show()}')


def _version(session):
    exchange = session.step('VE', session.port.version)
    if not exchange.ok:
        for guess_id in ('ve-names-c863', 've-lines'):
            session.findings.untested(guess_id, exchange.show())
        return
    model, firmware = NativePort.model_and_firmware(exchange.value)
    session.findings.judge('ve-names-c863', model is not None and model.split('.')[0] == 'C-863',
                           f'model {model}, firmware {firmware}; {exchange.show()}')
    lines = exchange.received.count(b'\r\n')  # each line ends in CR LF, the last one followed by ETX
    session.findings.judge('ve-lines', lines in (1, 2), f'{lines} line(s); {exchange.show()}')


def _status_at_rest(session, idle, still):
    status, findings = idle.value, session.findings
    findings.judge('status-six-bytes', status.layout == SIX_BYTE,
                   f'{len(status.raw)} bytes ({status.layout or "a layout nobody described"}); {idle.show()}')
    if still.ok and not still.value:
        judge_at_rest(findings, [status], f'{idle.show()}; {still.show()}')
    else:
        findings.untested('at-rest-bits', f'the axis was not seen at rest: {still.show()}')
    if status.echo_on is None:
        findings.untested('echo-off', no_such_bit(status, 'echo'))
    else:
        findings.judge('echo-off', not status.echo_on, f'echo bit {status.echo_on:d}; {idle.show()}')
    if not session.options.motion:  # else MN tests it
        motor = {None: 'absent', True: '1 (motor off)', False: '0 (motor on)'}[status.motor_off]
        findings.untested('motor-off-bit', f'needs --motion (MN); the bit is now {motor}: {idle.show()}')


def _bad_command(session, idle):
    """XX, then TS twice: where the error number shows, and whether reading it clears it."""
    port, findings, before = session.port, session.findings, idle.value
    sent = session.step(f'{BAD_COMMAND} (bad command)', lambda: port.send(BAD_COMMAND))
    first = session.step(f'TS after {BAD_COMMAND}', lambda: _ask_status(port))
    second = session.step('TS again', lambda: _ask_status(port))
    if not (sent.ok and first.ok and second.ok):
        for guess_id in ('error-number-byte', 'error-cleared-by-reading'):
            findings.untested(guess_id, '; '.join(e.show() for e in (sent, first, second) if not e.ok))
        return
    after, again = first.value, second.value
    changed = [index + 1 for index, (old, new) in enumerate(zip(before.raw, after.raw)) if old != new]
    byte = ERROR_BYTE.get(after.layout)
    changes = f'bytes changed: {", ".join(map(str, changed)) or "none"} ({before.text} -> {after.text})'
    findings.judge('error-number-byte', None if byte is None else after.raw[byte - 1] != 0,
                   f'{changes}; expected in byte {byte}; {first.show()}')
    shown = bool(after.error)
    unshown = '' if shown else f'no error number shown after {BAD_COMMAND}; '
    findings.judge('error-cleared-by-reading', (not again.error) if shown else None,
                   f'{unshown}{first.show()}; {second.show()}')
