# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What every Alpaca request and response carries (ASCOM Alpaca Device API v1).

- Parameters: in the query string for GET, names case-insensitive; in an
  application/x-www-form-urlencoded body for PUT, names case-sensitive (a PUT whose
  parameter is spelt in another case has not supplied it).
- An integer parameter is an optional sign and the ASCII digits 0-9, nothing else: no spaces,
  no exponent, no '_', no other script's digits (all of which Python's int() would take).
- ClientID and ClientTransactionID are unsigned 32-bit integers, both optional; a value that
  is not one counts as 0, so a client's odd ID never costs it its answer.
- A response is JSON with ClientTransactionID (echoed), ServerTransactionID (1, 2, 3, ... per
  server), ErrorNumber and ErrorMessage, plus Value for anything that returns one.
- An ASCOM error (AlpacaError) is still HTTP 200: the request was understood. A request that
  cannot be understood (BadRequest: missing or unparsable parameter, unknown device) is
  HTTP 400 with a plain-text reason.
"""
import itertools
import re
import threading
from urllib.parse import parse_qsl

# ASCOM error numbers (the low bits of the COM HRESULTs 0x80040400...).
NOT_IMPLEMENTED = 0x400
INVALID_VALUE = 0x401
NOT_CONNECTED = 0x407
INVALID_OPERATION = 0x40B
ACTION_NOT_IMPLEMENTED = 0x40C
# 0x500-0xFFF are the driver's own: the daemon's CommandStatus code is added to this.
DRIVER_ERROR_BASE = 0x500

UINT32_MAX = 2 ** 32 - 1
INT32_RANGE = (-2 ** 31, 2 ** 31 - 1)
# An Alpaca integer as text. [0-9] (not \d, not int()'s own parsing) so that full-width digits and '1_000'
# are refused rather than read as 1000.
INTEGER = re.compile(r'[+-]?[0-9]+')
# A PUT form holds a few short parameters; anything much larger is not an Alpaca client.
MAX_FORM_BYTES = 16 * 1024


class AlpacaError(Exception):
    """An ASCOM error: answered with HTTP 200, ErrorNumber and ErrorMessage."""

    def __init__(self, number, message):
        super().__init__(message)
        self.number = number
        self.message = message


class BadRequest(Exception):
    """A request the server cannot interpret: answered with HTTP 400 and this reason as text."""


class Transactions:
    """The server's transaction numbers: 1, 2, 3, ... across all requests and threads."""

    def __init__(self):
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next(self):
        with self._lock:
            return next(self._counter)


class AlpacaRequest:
    """One request's parameters, with the Alpaca rules for names and values applied.

    `address` is the client's IP address (for access control); `client_id` and
    `client_transaction_id` are 0 when absent or not an unsigned 32-bit integer.
    """

    def __init__(self, method, query_params, body, address):
        self.method = method
        self.address = address
        if method == 'PUT':
            self._params = _form(body)
            self._key = str
        else:
            self._params = {name.lower(): _single(value) for name, value in query_params.items()}
            self._key = str.lower
        self.client_id = _uint32_or_zero(self.get('ClientID'))
        self.client_transaction_id = _uint32_or_zero(self.get('ClientTransactionID'))

    def get(self, name):
        """The parameter's text, or None if absent."""
        return self._params.get(self._key(name))

    def text(self, name):
        """A required parameter's text (may be empty)."""
        value = self.get(name)
        if value is None:
            case = ' (PUT parameter names are case-sensitive)' if self.method == 'PUT' else ''
            raise BadRequest(f'missing parameter {name}{case}')
        return value

    def boolean(self, name):
        value = self.text(name).strip().lower()
        if value not in ('true', 'false'):
            raise BadRequest(f'{name}={self.get(name)!r} is not true or false')
        return value == 'true'

    def int32(self, name):
        text = self.text(name)
        value = _integer(text)
        if value is None:
            raise BadRequest(f'{name}={text!r} is not a whole number: an optional sign and the digits 0-9')
        if not INT32_RANGE[0] <= value <= INT32_RANGE[1]:
            raise BadRequest(f'{name}={text!r} is outside the 32-bit integer range')
        return value


def response(request, transaction, value=None, error=None):
    """The JSON body of an Alpaca response; value None means the member returns nothing."""
    body = {}
    if value is not None:
        body['Value'] = value
    body.update({
        'ClientTransactionID': request.client_transaction_id,
        'ServerTransactionID': transaction,
        'ErrorNumber': error.number if error else 0,
        'ErrorMessage': error.message if error else '',
    })
    return body


def _form(body):
    """The parameters of a urlencoded PUT body, names as sent."""
    if len(body) > MAX_FORM_BYTES:
        raise BadRequest(f'request body over {MAX_FORM_BYTES} bytes')
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest('request body is not UTF-8 application/x-www-form-urlencoded') from None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except ValueError:
        raise BadRequest('request body is not application/x-www-form-urlencoded') from None
    return dict(pairs)


def _single(value):
    """A query parameter given twice counts once (the last)."""
    return value[-1] if isinstance(value, list) else value


def _integer(text):
    """The value of an Alpaca integer's text; None if absent or not one (see INTEGER)."""
    return int(text) if text is not None and INTEGER.fullmatch(text) else None


def _uint32_or_zero(text):
    value = _integer(text)
    return value if value is not None and 0 <= value <= UINT32_MAX else 0
