# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""First contact in GCS 2.0, without motion: what the controller says at rest, through the
daemon's own GCSPort (framing, ERR? after a refused query).

*IDN?, the raw #4, ERR?, SRG? 1 1, SVO? 1, ONT? 1, POS? 1, the parameters the daemon reads or
might (each followed by ERR?: a refused one is evidence, not the end), VEL? 1, TMN?/TMX?, and
last, on the port opened again with the address prefix, the same POS? 1 addressed.
"""
import re
from collections import namedtuple

from ..errors import ControllerError, GarbledReply
from ..gcs import GCSPort, StatusRegister

STATUS_BYTE = 0x04
MODELS = ('C-863.11', 'C-863.12')
COUNTS_PER_UNIT = (0xE, 0xF)
OPTIONAL_PARAMETERS = (0xB, 0xC, 0x36, 0x3F)
_FOUR_HEX_DIGITS = re.compile(r'0x[0-9A-Fa-f]{4}\Z')

# What the motion steps and the report need from the steps at rest: the #4 and POS? 1 exchanges
# and the counts per unit (None if 0xE/0xF did not give it).
AtRest = namedtuple('AtRest', 'register position counts_per_unit')


def probe_at_rest(session):
    """The steps without motion; returns AtRest, or None if the controller answered nothing."""
    port, findings = session.port, session.findings
    idn = session.step('*IDN?', lambda: GCSPort.model(port.identify()))
    findings.judge('idn-c863', idn.value.startswith(MODELS) if idn.ok else _answered(idn), idn.show())
    if session.gave_up_on_silence():
        return None
    register = session.step('#4', lambda: port.query_byte(STATUS_BYTE))
    findings.judge('status-register-format', bool(_FOUR_HEX_DIGITS.match(register.value)) if register.ok else None,
                   register.show())
    session.step('ERR?', port.read_error)
    _cross_check(session, register)
    position = session.step('POS? 1', port.position)
    counts_per_unit = _counts_per_unit(session)
    _optional_parameters(session)
    travel = session.step('TMN? 1, TMX? 1', port.travel_range)
    findings.judge('travel-range', travel.value[0] < travel.value[1] if travel.ok else _answered(travel),
                   travel.show())
    return AtRest(register, position, counts_per_unit)


def layout_line(at_rest):
    """The report's first line: the status register at rest, as it arrived."""
    return f'GCS #4 register: {at_rest.register.show()}' if at_rest else 'unknown (nothing answered)'


def _answered(exchange):
    """Whether the controller answered: False for a refusal it explained with an error code
    (evidence against a guess), None for anything else that went wrong (silence, garbage)."""
    if exchange.ok:
        return True
    return False if isinstance(exchange.failure, ControllerError) else None


def _value_of(lines, command):
    """The value after '=' of a one-line reply such as '1 1=0x9005'."""
    _key, equals, value = lines[0].partition('=') if len(lines) == 1 else ('', '', '')
    if not equals:
        raise GarbledReply(command, '\n'.join(lines), 'expected one line "<key>=<value>"')
    return value


def _ask(session, command, parse):
    return session.step(command, lambda: parse(_value_of(session.port.query(command), command)))


def ask_on_target(session):
    """ONT? 1, as a recorded exchange whose value is True for 1."""
    return _ask(session, 'ONT? 1', lambda text: text.strip() == '1')


def _all_answered(answers):
    """_answered() of several exchanges together: False if one was refused, None if one failed
    otherwise, True if all answered."""
    return False if False in answers else None if None in answers else True


def _cross_check(session, register):
    """#4 against SRG? 1 1, SVO? 1 and ONT? 1, asked one after the other at rest."""
    status = _ask(session, 'SRG? 1 1', StatusRegister.parse)
    servo = session.step('SVO? 1', session.port.servo)
    on_target = ask_on_target(session)
    exchanges = (register, status, servo, on_target)
    evidence = '; '.join(exchange.show() for exchange in exchanges)
    try:
        bits = StatusRegister.parse(register.value) if all(exchange.ok for exchange in exchanges) else None
    except GarbledReply:
        bits = None
    if bits is None:
        session.findings.untested('status-register-cross-check', evidence)
        return
    holds = (status.value.raw == bits.raw and servo.value == bits.servo and on_target.value == bits.on_target)
    session.findings.judge('status-register-cross-check', holds, evidence)


def _parameter(session, pid):
    """SPA? 1 <pid>, then ERR? (which a refusal has already read and cleared: it shows 0)."""
    exchange = session.step(f'SPA? 1 0x{pid:X}', lambda: session.port.parameter_float(pid))
    session.step('ERR?', session.port.read_error)
    return exchange


def _counts_per_unit(session):
    numerator, denominator = (_parameter(session, pid) for pid in COUNTS_PER_UNIT)
    evidence = f'{numerator.show()}; {denominator.show()}'
    if numerator.ok and denominator.ok:
        holds = numerator.value > 0 and denominator.value > 0
        session.findings.judge('counts-per-unit', holds, evidence)
        return numerator.value / denominator.value if holds else None
    session.findings.judge('counts-per-unit', _all_answered([_answered(numerator), _answered(denominator)]), evidence)
    return None


def _optional_parameters(session):
    exchanges = [_parameter(session, pid) for pid in OPTIONAL_PARAMETERS]
    exchanges.append(session.step('VEL? 1', session.port.velocity))
    session.step('ERR?', session.port.read_error)
    answers = [_answered(exchange) for exchange in exchanges]
    refused = [exchange.label for exchange, answer in zip(exchanges, answers) if answer is False]
    session.findings.judge('optional-parameters', _all_answered(answers),
                           f'refused: {", ".join(refused) or "none"}; '
                           + '; '.join(exchange.show() for exchange in exchanges))


def probe_addressed(session, unaddressed):
    """POS? 1 with the address prefix (session.port is opened with the configured address); at
    address 1 the POS? 1 asked before without a prefix (unaddressed) counts too. Silence or a
    reply without the prefix both contradict."""
    address = session.config.controller_address
    exchanges = [session.step(f'{address} POS? 1', session.port.position)]
    if unaddressed is not None:
        exchanges.append(unaddressed)
    session.findings.judge('addressed-query', all(exchange.ok for exchange in exchanges),
                           '; '.join(exchange.show() for exchange in exchanges))
