# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Falcon application: Alpaca device and management routes, and the setup pages.

Routing, request parsing and JSON are Falcon's; the rules of Alpaca (protocol.py) and the
meaning of each member (device.py, management.py, setuppage.py) live beside this file.
"""
import json
import logging
from pathlib import Path

import falcon

from .protocol import MAX_FORM_BYTES, AlpacaError, AlpacaRequest, BadRequest, Transactions, response

log = logging.getLogger('c863_focusd.alpaca')

STATIC = Path(__file__).resolve().parent / 'static'
STATIC_TYPES = {'.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
                '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml'}
SETUP_PAGE = 'setup.html'
MAX_COMMAND_BYTES = 4096


class DeviceResource:
    """/api/v1/{device_type}/{device_number}/{member}: the one device, focuser 0.

    Any Alpaca client may PUT, as the standard says; a browser can only through a page of this
    server's own origin (no CORS preflight is answered). A page that won a DNS rebinding is that
    origin under its own name: so a PUT that shows it comes from a browser (Origin or
    Sec-Fetch-Site, which programs do not send) must pass the setup page's own checks (Host
    naming this machine, same origin)."""

    def __init__(self, device, transactions, browser_refusal):
        self._device = device
        self._transactions = transactions
        self._browser_refusal = browser_refusal

    def on_get(self, req, resp, device_type, device_number, member):
        self._serve(req, resp, device_type, device_number, member, self._device.get_members)

    def on_put(self, req, resp, device_type, device_number, member):
        origin, fetch_site = req.get_header('Origin'), req.get_header('Sec-Fetch-Site')
        refusal = (origin or fetch_site) and self._browser_refusal(req.get_header('Host'), origin, fetch_site)
        if refusal:
            _answer_text(resp, *refusal)
            return
        self._serve(req, resp, device_type, device_number, member, self._device.put_members)

    def _serve(self, req, resp, device_type, device_number, member, members):
        if device_type != 'focuser' or device_number != '0':
            raise BadRequest(f'no device {device_type}/{device_number}: this server has focuser/0')
        if member not in members:
            other = self._device.put_members if members is self._device.get_members else self._device.get_members
            if member in other:
                raise falcon.HTTPMethodNotAllowed(['GET'] if other is self._device.get_members else ['PUT'])
            raise BadRequest(f'focuser has no member {member!r} (member names are lower case)')
        serve_alpaca(req, resp, self._transactions, members[member])


class ManagementResource:
    """/management/apiversions and /management/v1/{description,configureddevices}."""

    def __init__(self, management, transactions, member):
        self._member = management.members[member]
        self._transactions = transactions

    def on_get(self, req, resp):
        serve_alpaca(req, resp, self._transactions, self._member)


def serve_alpaca(req, resp, transactions, member):
    """Parses the request, runs member(request) and answers the Alpaca way."""
    request = AlpacaRequest(req.method, req.params, _body(req) if req.method == 'PUT' else b'', req.remote_addr)
    transaction = transactions.next()
    try:
        resp.media = response(request, transaction, value=member(request))
    except AlpacaError as error:
        resp.media = response(request, transaction, error=error)


class StaticResource:
    """The setup page and its stylesheet and script, from the package (no CDN)."""

    def __init__(self, name=None):
        self._name = name

    def on_get(self, _req, resp, name=None):
        path = STATIC / (self._name or name)
        if path.parent != STATIC or path.suffix not in STATIC_TYPES or not path.is_file():
            raise falcon.HTTPNotFound()
        resp.content_type = STATIC_TYPES[path.suffix]
        resp.data = path.read_bytes()
        resp.cache_control = ['no-cache']


class SetupStateResource:
    def __init__(self, setup):
        self._setup = setup

    def on_get(self, req, resp):
        resp.media = self._setup.state(req.remote_addr)
        resp.cache_control = ['no-store']


class SetupCommandResource:
    """POST /setup/v1/focuser/0/command: the page's controls, taken from the page itself only.

    A browser sends a cross-site form or no-cors fetch only as text/plain, form or multipart, so
    requiring application/json makes such a request fail here; the headers a browser cannot
    forge (SetupPage.refusal) catch the rest, DNS rebinding included.
    """

    def __init__(self, setup):
        self._setup = setup

    def on_post(self, req, resp):
        refusal = (self._setup.refusal(req.get_header('Host'), req.get_header('Origin'),
                                       req.get_header('Sec-Fetch-Site'))
                   or _json_refusal(req.content_type))
        if refusal:
            _answer_text(resp, *refusal)
            return
        resp.media = self._setup.command(req.remote_addr, _json_document(req))


def _json_refusal(content_type):
    """(415, why) unless the body is declared application/json (parameters such as charset may follow)."""
    if (content_type or '').partition(';')[0].strip().lower() != 'application/json':
        return 415, f'a setup command is Content-Type: application/json, not {content_type or "none"}'
    return None


def _json_document(req):
    """The parsed JSON body; NaN and Infinity are not JSON and are refused like any other non-JSON."""
    body = req.bounded_stream.read(MAX_COMMAND_BYTES + 1)
    if len(body) > MAX_COMMAND_BYTES:
        raise BadRequest(f'a setup command is at most {MAX_COMMAND_BYTES} bytes')
    try:
        return json.loads(body or b'null', parse_constant=_not_json)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest('the body is not JSON') from None


def _not_json(constant):
    raise ValueError(f'{constant} is not JSON')


def _body(req):
    """The PUT body, read no further than a form may be long (protocol.py refuses a longer one)."""
    return req.bounded_stream.read(MAX_FORM_BYTES + 1)


def _answer_text(resp, status, text):
    """An HTTP error as one line of text; nosniff, as the line may quote a header the caller sent."""
    resp.status = falcon.code_to_http_status(status)
    resp.content_type = falcon.MEDIA_TEXT
    resp.set_header('X-Content-Type-Options', 'nosniff')
    resp.text = text


def _bad_request(_req, resp, error, _params):
    _answer_text(resp, 400, str(error))


def _unexpected(req, resp, error, _params):
    """A bug: logged with its traceback, answered 500 with a line of text (Alpaca's rule).
    Falcon's own HTTP errors keep their handlers, which are more specific than Exception."""
    log.exception('alpaca %s %s failed', req.method, req.path)
    _answer_text(resp, 500, f'internal error: {type(error).__name__}: {error}')


def make_app(device, management, setup):
    # No CORS, on purpose: Alpaca clients are programs, which need none, and the setup page is
    # same-origin. Falcon then answers a preflight OPTIONS without Access-Control-Allow-*, so no
    # page from elsewhere gets a browser to PUT to the device API.
    app = falcon.App(cors_enable=False)
    app.req_options.keep_blank_qs_values = True
    app.add_error_handler(Exception, _unexpected)
    app.add_error_handler(BadRequest, _bad_request)
    transactions = Transactions()
    app.add_route('/api/v1/{device_type}/{device_number}/{member}', DeviceResource(device, transactions, setup.refusal))
    for member in management.members:
        app.add_route(f'/management/{member}', ManagementResource(management, transactions, member))
    app.add_route('/setup', StaticResource(SETUP_PAGE))
    app.add_route('/setup/v1/focuser/0/setup', StaticResource(SETUP_PAGE))
    app.add_route('/setup/static/{name}', StaticResource())
    app.add_route('/setup/v1/focuser/0/state', SetupStateResource(setup))
    app.add_route('/setup/v1/focuser/0/command', SetupCommandResource(setup))
    return app
