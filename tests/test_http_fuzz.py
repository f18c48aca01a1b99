# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""A seeded fuzz of the Alpaca server's HTTP surface and of its discovery responder.

A real daemon serving Alpaca (alpaca_support) gets thousands of requests of random method,
path, headers, query and body, on raw sockets (so that methods, lengths and headers can lie),
each a connection of its own. They come from two loopback addresses: 127.0.0.1, a control
machine in the test config, and 127.0.0.2, which is not one. Only the HTTP interface is used, so
the fuzz holds for whichever WSGI server serves it.

What must hold: no answer is a 500, the daemon logs no traceback, it still answers
report_status, and the focuser never moves. The fuzzer knows which of its requests could be a
valid motion command: from the control machine it never sends one (a motion member's values
are never numbers, never "home"), from the other address it sends them freely, and they must
all be refused. So any motion command the simulated controller receives is a failure.

FOCUSD_FUZZ_REQUESTS and FOCUSD_FUZZ_SEED set the count and the seed for a longer run:
FOCUSD_FUZZ_REQUESTS=50000 python3 -m pytest -n 0 -s tests/test_http_fuzz.py
"""
import collections
import json
import os
import random
import socket
import time
from urllib.parse import quote, urlencode

from alpaca_support import ALPACA_PORT, discovery_port
from rockit.focuser.c863.alpaca.device import FocuserDevice
from testkit.events import motion_commands

pytest_plugins = ['alpaca_support']  # its fixtures: start_alpaca_daemon

REQUESTS = int(os.environ.get('FOCUSD_FUZZ_REQUESTS', '3000'))
SEED = int(os.environ.get('FOCUSD_FUZZ_SEED', '20'))
DATAGRAMS = max(1, REQUESTS // 3)
CONTROL = '127.0.0.1'  # LocalHost: the test config's control machine
OUTSIDE = '127.0.0.2'  # loopback too, but not a control machine
SERVER = ('127.0.0.1', ALPACA_PORT)
REPLY_TIMEOUT = 10.0  # seconds a request may take to be answered (or closed) on a loaded machine
MAX_REPLY_BYTES = 1 << 20

# The members the device serves (FocuserDevice lists them without needing a daemon).
_MEMBERS = FocuserDevice(None, None)
MEMBERS = sorted(set(_MEMBERS.get_members) | set(_MEMBERS.put_members))
MOTION_MEMBERS = ('move', 'action')
SETUP_COMMAND = '/setup/v1/focuser/0/command'
PATHS = ['/management/apiversions', '/management/v1/description', '/management/v1/configureddevices',
         '/setup', '/setup/v1/focuser/0/setup', '/setup/v1/focuser/0/state', SETUP_COMMAND,
         '/setup/static/setup.js', '/setup/static/setup.css', '/setup/static/../app.py',
         '/setup/static/%2e%2e%2fdevice.py', '/', '/api/v1', '/api/v1/focuser/0/', '//']
METHODS = ['GET', 'PUT', 'POST', 'OPTIONS', 'DELETE', 'HEAD']
GARBAGE_METHODS = ['get', 'PATCH', 'TRACE', 'CONNECT', 'G\x00T', 'PUT PUT', '', '\u00e9T']
PARAMETERS = ['ClientID', 'ClientTransactionID', 'Connected', 'Position', 'Action', 'Parameters',
              'TempComp', 'Command', 'Raw', 'clientid', 'position', '', 'x' * 300]
# Values that a motion member must never be given from the control machine (see is_motion_value).
MOTION_WORDS = ('home', 'move', 'offset')
CONTENT_TYPES = ['application/x-www-form-urlencoded', 'application/json', 'text/plain',
                 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin-1',
                 '\u00e9/\u00e9', '']
ORIGINS = ['http://127.0.0.1', 'http://evil.example', 'null', 'file://', '\u2603']
HOSTS = [f'127.0.0.1:{ALPACA_PORT}', 'localhost', 'evil.example', '', '[::1]:1', 'a' * 300]


def is_motion_value(text):
    """True for a text some parser could take as a position or a motion's name: any number
    (int() and float() are more lenient than the server's parser), home, move or offset."""
    for parse in (int, float):
        try:
            parse(text)
            return True
        except (ValueError, OverflowError):
            pass
    return text.strip().lower() in MOTION_WORDS


def could_be_steps(value):
    """True for a JSON value some parser could take as a step count (see is_motion_value)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return abs(value) < 2 ** 31
    return isinstance(value, str) and is_motion_value(value)


class RequestMaker:
    """Random requests as raw bytes, from a seeded random.Random.

    control: the request goes out from the control machine, so it must not be a valid motion
    command (the fuzzer's promise, which the test's no-motion check relies on)."""

    def __init__(self, seed):
        self.random = random.Random(seed)

    def value(self, control, motion):
        """A parameter value: numbers (huge, negative, padded), booleans, unicode, empty, long."""
        r = self.random
        pick = r.randrange(9)
        if pick == 0:
            text = str(r.randint(-2 ** 70, 2 ** 70))
        elif pick == 1:
            text = str(r.randint(-10, 300000))
        elif pick == 2:
            text = r.choice(['true', 'false', 'True', ' TRUE ', 'yes', '1', '0', 'home', 'Home ', 'move'])
        elif pick == 3:
            text = ''.join(chr(r.randrange(1, 0x3000)) for _ in range(r.randrange(12)))
        elif pick == 4:
            text = r.choice(['', ' ', '1_000', '\uff11\uff10', '1e3', '0x10', 'nan', '-inf', '1.5', '+-1'])
        elif pick == 5:
            text = 'z' * r.randrange(5000)
        else:
            text = ''.join(r.choice('abcHOME019 -+_.%&=;') for _ in range(r.randrange(10)))
        if control and motion and is_motion_value(text):
            return 'q' + text.strip() + 'q'  # no longer a number, nor a motion's name
        return text

    def params(self, control, motion):
        r = self.random
        names = r.sample(PARAMETERS, r.randrange(len(PARAMETERS) // 2))
        if r.random() < 0.5:
            names.append('ClientID')
        return [(name, self.value(control, motion)) for name in names]

    def path(self):
        """(path, whether it may reach a motion command)."""
        r = self.random
        pick = r.randrange(6)
        if pick <= 2:
            member = r.choice(MEMBERS)
            return f'/api/v1/focuser/0/{member}', member in MOTION_MEMBERS
        if pick == 3:
            path = r.choice(PATHS)
            return path, path == SETUP_COMMAND
        if pick == 4:
            device = r.choice(['focuser', 'camera', 'FOCUSER', '', '..'])
            number = r.choice(['0', '1', '-1', '00', '99999999999999999999', '%30'])
            member = r.choice(MEMBERS + ['Position', 'MOVE', '%6dove', 'x' * 3000])
            return f'/api/v1/{device}/{number}/{member}', True  # %6dove is move
        segments = [''.join(chr(r.randrange(32, 0x2000)) for _ in range(r.randrange(20))) for _ in range(3)]
        return '/' + '/'.join(quote(segment, safe='') for segment in segments), False

    def setup_command(self, control):
        """A JSON body for the setup page's command route; from the control machine never a
        motion it could accept (home, or move/offset with a valid step count)."""
        r = self.random
        command = r.choice(['stop', 'move', 'offset', 'home', 'Home', '', None, 7, ['move']])
        steps = r.choice([100000, -5, 2 ** 31, 2 ** 80, 1.5, True, '100', None, [1], {'a': 1}])
        if control and isinstance(command, str) and command.lower() == 'home':
            command = 'stop'
        if control and could_be_steps(steps):
            steps = 2 ** 31  # one past the largest step count
        document = r.choice([{'command': command, 'steps': steps}, {'command': command}, [command], command, {}])
        return json.dumps(document).encode()

    def body(self, control, motion, path):
        r = self.random
        pick = r.randrange(5)
        if path == SETUP_COMMAND and pick <= 2:
            return self.setup_command(control)
        if pick <= 1:
            return urlencode(self.params(control, motion)).encode()
        if pick == 2:
            return json.dumps(dict(self.params(control, motion))).encode()
        if pick == 3:
            return bytes(r.randrange(256) for _ in range(r.randrange(2000)))
        return b''

    def headers(self, body):
        r = self.random
        headers = []
        if r.random() < 0.9:
            headers.append(('Host', r.choice(HOSTS)))
        if r.random() < 0.7:
            headers.append(('Content-Type', r.choice(CONTENT_TYPES)))
        if r.random() < 0.3:
            headers.append(('Origin', r.choice(ORIGINS)))
        length = r.choice([len(body)] * 4 + [0, len(body) // 2, len(body) + 100, 10 ** 12, -1, 'abc', None])
        if length is not None:
            headers.append(('Content-Length', str(length)))
        return headers

    def well_formed_motion(self):
        """A motion command as a client would send it (for the machine outside control_machines):
        Move, the home action, Connected=true, or the setup page's move or home."""
        r = self.random
        client = r.randrange(1, 4)
        form = r.choice([{'Position': str(r.randint(0, 250000))}, {'Action': 'home', 'Parameters': ''},
                         {'Connected': 'true'}])
        member = {'Position': 'move', 'Action': 'action', 'Connected': 'connected'}[next(iter(form))]
        if r.random() < 0.3:
            body = json.dumps(r.choice([{'command': 'move', 'steps': r.randint(0, 250000)}, {'command': 'home'}]))
            return 'POST', SETUP_COMMAND, body.encode(), 'application/json'
        body = urlencode({'ClientID': client, 'ClientTransactionID': 1, **form}).encode()
        return 'PUT', f'/api/v1/focuser/0/{member}', body, 'application/x-www-form-urlencoded'

    def make(self):
        """(source address, raw request bytes)."""
        r = self.random
        if r.random() < 0.1:
            method, path, body, content_type = self.well_formed_motion()
            return OUTSIDE, request_bytes(method, path, [('Host', HOSTS[0]), ('Content-Type', content_type),
                                                         ('Content-Length', str(len(body)))], body)
        source = r.choice([CONTROL, OUTSIDE])
        control = source == CONTROL
        method = r.choice(METHODS * 3 + GARBAGE_METHODS)
        path, motion = self.path()
        query = urlencode(self.params(control, motion)) if r.random() < 0.7 else ''
        target = f'{path}?{query}' if query else path
        body = self.body(control, motion, path) if r.random() < 0.8 else b''
        return source, request_bytes(method, target, self.headers(body), body)


def request_bytes(method, target, headers, body):
    head = [f'{method} {target} HTTP/1.1'] + [f'{name}: {value}' for name, value in headers]
    return ('\r\n'.join(head) + '\r\n\r\n').encode('utf-8', 'surrogateescape') + body


def send(source, raw):
    """Sends one request from source and returns the answer's status code (None: no answer)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(REPLY_TIMEOUT)
        sock.bind((source, 0))
        sock.connect(SERVER)
        try:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)  # a body shorter than its Content-Length ends here
        except OSError:
            pass  # the server answered and closed before reading it all
        reply = bytearray()
        while len(reply) < MAX_REPLY_BYTES:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
    status_line = bytes(reply).split(b'\r\n', 1)[0].split()
    return int(status_line[1]) if len(status_line) >= 2 and status_line[1].isdigit() else None


def test_random_http_requests_never_fail_the_server_nor_move_the_focuser(start_alpaca_daemon):
    daemon = start_alpaca_daemon()
    before = daemon.status()
    events_before = len(daemon.simulator.events)
    maker = RequestMaker(SEED)
    statuses = collections.Counter()
    server_errors = []
    started = time.monotonic()
    for _ in range(REQUESTS):
        source, raw = maker.make()
        status = send(source, raw)
        statuses[status] += 1
        if status is not None and status >= 500:
            server_errors.append((source, raw[:300]))
    elapsed = time.monotonic() - started
    print(f'HTTP fuzz: {REQUESTS} requests, seed {SEED}, {elapsed:.1f} s; statuses {dict(statuses)}')

    assert server_errors == [], server_errors[:5]
    # A motion accepted by a request shows in the status before the request is answered.
    after = daemon.wait_for_status(lambda report: not report['moving'], timeout=60)
    assert motion_commands(daemon.simulator, events_before) == []
    assert (after['status'], after['current_steps']) == (before['status'], before['current_steps'])
    assert 'Traceback' not in daemon.output()


def test_random_datagrams_leave_discovery_answering(start_alpaca_daemon):
    daemon = start_alpaca_daemon()
    port = discovery_port(daemon)
    r = random.Random(SEED)
    prefixes = [b'', b'alpacadiscovery', b'alpacadiscovery1', b'ALPACADISCOVERY1', b'alpacadiscovery2']
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        for _ in range(DATAGRAMS):
            junk = bytes(r.randrange(256) for _ in range(r.choice([0, 1, 15, 16, 17, 1023, 1024, 1025, 4000])))
            client.sendto(r.choice(prefixes) + junk, ('127.0.0.1', port))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(REPLY_TIMEOUT)
        client.sendto(b'alpacadiscovery1', ('127.0.0.1', port))
        reply, _ = client.recvfrom(1024)
    assert json.loads(reply) == {'AlpacaPort': ALPACA_PORT}
    assert 'Traceback' not in daemon.output()
    print(f'discovery fuzz: {DATAGRAMS} datagrams, seed {SEED}')
