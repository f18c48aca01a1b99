# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The probe's two reports: text for the engineer at the telescope, JSON for the lead.

The text names the status layout first (what most of the rest depends on), then each guess
with its verdict and one line of evidence. The JSON holds the same, plus every exchange with
every chunk of bytes both ways and its time, so that the lead can read what the controller
said without another trip to the telescope.
"""
import json

from .findings import CONFIRMED, CONTRADICTED, NOT_TESTED

_INDENT = ' ' * 14


def text(meta, layout, findings, notes):
    """The report printed on stdout."""
    motion = 'with motion' if meta['motion'] else 'without motion'
    lines = [f'c863_focusd probe of {meta["serial_port"]} ({meta["protocol"]} commands, address '
             f'{meta["controller_address"]}, {meta["serial_baud"]} baud, {motion}; config {meta["config"]})',
             f'Status layout: {layout}', '']
    counts = {CONFIRMED: 0, CONTRADICTED: 0, NOT_TESTED: 0}
    for finding in findings:
        counts[finding.verdict] += 1
        lines.append(f'{finding.verdict.upper():<13} {finding.guess.id}: {finding.guess.statement}')
        lines.append(f'{_INDENT}{finding.evidence}')
    lines += ['', ', '.join(f'{count} {verdict}' for verdict, count in counts.items())]
    lines += [f'Note: {note}' for note in notes]
    lines.append(f'Every exchange, byte by byte with its time: {meta["json"]} (send this file; see doc/probe.md)')
    return '\n'.join(lines)


def document(meta, layout, findings, notes, recorder):
    """The JSON document: meta, the layout, the findings and every exchange."""
    return {
        'probe': meta,
        'status_layout': layout,
        'notes': notes,
        'guesses': [{'id': finding.guess.id, 'statement': finding.guess.statement, 'kind': finding.guess.kind,
                     'source': finding.guess.source, 'verdict': finding.verdict, 'evidence': finding.evidence}
                    for finding in findings],
        'times': 'seconds since the probe started (monotonic clock)',
        'exchanges': [_exchange(exchange) for exchange in recorder.exchanges],
    }


def write(path, document_):
    with open(path, 'w', encoding='utf-8') as file:
        json.dump(document_, file, indent=1)
        file.write('\n')


def _exchange(exchange):
    return {
        'label': exchange.label,
        'started': round(exchange.started, 6),
        'value': _plain(exchange.value),
        'failure': None if exchange.ok else str(exchange.failure),
        'chunks': [{'t': round(chunk.t, 6), 'direction': chunk.direction, 'hex': chunk.data.hex(' '),
                    'text': chunk.data.decode('latin-1')} for chunk in exchange.chunks],
    }


def _plain(value):
    """A step's value as JSON can hold it: a status report as the text the controller sent."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return value.decode('latin-1')
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    report = getattr(value, 'text', None)
    return report if isinstance(report, str) else repr(value)
