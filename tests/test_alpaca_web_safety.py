# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Only the setup page itself can command the focuser over HTTP; a web page from elsewhere, open
in a control machine's browser, cannot (README, Security: Threat model).

A hostile page, served from another port of 127.0.0.1 by a small http.server, runs in real
headless chromium against the real daemon and tries what a browser lets any page do: a no-cors
fetch POST, a text/plain form POST and a cross-origin PUT to the Alpaca API. The simulated
controller's record shows nothing that could move the axis reached it. Plain HTTP clients check
each rule (Content-Type, Origin, Sec-Fetch-Site, Host) one at a time; the rule itself is a pure
function (alpaca/origin.py), tested here directly.
"""
import http.server
import json
import threading

import pytest
import requests
from selenium.webdriver.common.by import By

from alpaca_support import ALPACA_PORT, BASE_URL, DEVICE_URL, HTTP_TIMEOUT, RAW_CLIENT, connect_raw, put, value
from conftest import wait_until
from rockit.focuser.c863.alpaca.origin import machine_names, refusal
from test_alpaca_page import CHROMEDRIVER, CHROMIUM, SETUP_URL, browser  # noqa: F401 (browser: a fixture)
from testkit.events import motion_commands

pytest_plugins = ['alpaca_support']

COMMAND_PATH = '/setup/v1/focuser/0/command'
COMMAND_URL = BASE_URL + COMMAND_PATH
OWN_HOST = f'127.0.0.1:{ALPACA_PORT}'
# Where the attacks try to send the focuser (steps): well away from where a ready daemon rests.
TARGET = 150000
MOVE = json.dumps({'command': 'move', 'steps': TARGET})
needs_chromium = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                    reason='chromium and chromedriver are needed: run make test-deps as root')


# ---- the rule: Host, Origin, Sec-Fetch-Site (a pure function) ----------------------------------

NAMES = frozenset({'10.2.6.203', 'w1m-das', 'w1m-das.example.org', 'localhost', 'focuser.example.org'})
PORT = 11111


@pytest.mark.parametrize('host, origin, fetch_site', [
    ('10.2.6.203:11111', None, None),                      # a program: no Origin, no Sec-Fetch-Site
    ('w1m-das:11111', 'http://w1m-das:11111', 'same-origin'),
    ('W1M-DAS.example.org.:11111', 'http://w1m-das.example.org.:11111', None),
    ('localhost:11111', 'http://localhost:11111', 'same-origin'),
    ('127.0.0.1:11111', None, 'same-origin'),
    ('127.8.9.10:11111', None, None),                      # every loopback address
    ('[::1]:11111', 'http://[::1]:11111', 'same-origin'),
    ('focuser.example.org:11111', 'http://focuser.example.org:11111', 'same-origin'),  # http_hosts
])
def test_the_page_itself_may_command(host, origin, fetch_site):
    assert refusal(host, origin, fetch_site, NAMES, PORT) is None


@pytest.mark.parametrize('host, origin, fetch_site, status, reason', [
    ('evil.example:11111', None, None, 421, 'does not name this machine'),             # DNS rebinding
    ('evil.example:11111', 'http://evil.example:11111', 'same-origin', 421, 'does not name this machine'),
    ('10.2.6.204:11111', None, None, 421, 'does not name this machine'),
    (None, None, None, 421, 'no Host header'),
    ('10.2.6.203', None, None, 421, "names port 80, not this server's 11111"),
    ('10.2.6.203:11112', None, None, 421, 'names port 11112'),
    ('10.2.6.203:+11111', None, None, 421, 'is not a host name with an optional port'),
    ('::1:11111', None, None, 421, 'is not a host name with an optional port'),
    ('[::1:11111', None, None, 421, 'is not a host name with an optional port'),
    ('10.2.6.203:11111', 'http://evil.example', None, 403, 'Origin http://evil.example is not this server'),
    ('10.2.6.203:11111', 'http://10.2.6.203:8000', None, 403, 'is not this server'),
    ('10.2.6.203:11111', 'https://10.2.6.203:11111', None, 403, 'is not this server'),
    ('10.2.6.203:11111', 'null', None, 403, 'is not this server'),                     # a sandboxed frame
    ('10.2.6.203:11111', None, 'cross-site', 403, 'Sec-Fetch-Site is cross-site'),
    ('10.2.6.203:11111', 'http://10.2.6.203:11111', 'same-site', 403, 'Sec-Fetch-Site is same-site'),
])
def test_anything_else_is_refused_with_one_line(host, origin, fetch_site, status, reason):
    answer = refusal(host, origin, fetch_site, NAMES, PORT)
    assert answer is not None and answer[0] == status and reason in answer[1] and '\n' not in answer[1]


def test_the_machine_names_are_its_address_its_own_names_localhost_and_http_hosts():
    names = machine_names('10.2.6.203', ['Focuser.Example.Org.'])
    assert {'10.2.6.203', 'localhost', 'focuser.example.org'} <= names
    assert refusal(f'localhost:{PORT}', None, None, names, PORT) is None


# ---- plain HTTP clients against the real daemon ------------------------------------------------

def post_command(body=MOVE, content_type='application/json', **headers):
    """POSTs a setup command to 127.0.0.1 (Host headers given in headers are sent as they are)."""
    headers = {'Content-Type': content_type, **{name.replace('_', '-'): text for name, text in headers.items()}}
    return requests.post(COMMAND_URL, data=body, headers=headers, timeout=HTTP_TIMEOUT)


def at_rest(daemon):
    """What must not change when a command is refused."""
    report = daemon.status()
    return report['status_label'], report['current_steps'], report.get('target_steps')


def assert_untouched(daemon, events_before, rest_before):
    assert motion_commands(daemon.simulator, events_before) == []
    assert at_rest(daemon) == rest_before


@pytest.mark.parametrize('body, content_type, headers, status, reason', [
    (MOVE, 'text/plain', {}, 415, 'a setup command is Content-Type: application/json, not text/plain'),
    (MOVE, 'application/x-www-form-urlencoded', {}, 415, 'not application/x-www-form-urlencoded'),
    (MOVE, 'application/json', {'Origin': 'http://127.0.0.1:8000'}, 403, 'is not this server'),
    (MOVE, 'application/json', {'Sec-Fetch-Site': 'same-site'}, 403, 'Sec-Fetch-Site is same-site'),
    (MOVE, 'application/json', {'Host': f'evil.example:{ALPACA_PORT}'}, 421, 'does not name this machine'),
    (MOVE, 'application/json', {'Host': '127.0.0.1:1'}, 421, 'names port 1'),
    ('{"command": "move", "steps": 150000.0}', 'application/json', {}, 400,
     'steps must be a JSON integer such as 1000, not 150000.0'),
    ('{"command": "move", "steps": "150000"}', 'application/json', {}, 400, 'not "150000"'),
    ('{"command": "move", "steps": true}', 'application/json', {}, 400, 'not true'),
    ('{"command": "move", "steps": 1e5}', 'application/json', {}, 400, 'not 100000.0'),
    ('{"command": "move", "steps": NaN}', 'application/json', {}, 400, 'the body is not JSON'),
    ('{"command": "move"}', 'application/json', {}, 400, 'move needs steps'),
    ('{"command": "stop", "steps": "x"}', 'application/json', {}, 400, 'steps must be a JSON integer'),
    ('[1]', 'application/json', {}, 400, 'expected a JSON object'),
])
def test_a_command_not_from_the_page_itself_is_refused(alpaca_daemon, body, content_type, headers, status,
                                                        reason):
    events_before, rest_before = len(alpaca_daemon.simulator.events), at_rest(alpaca_daemon)
    answer = post_command(body, content_type, **headers)
    assert (answer.status_code, answer.headers['Content-Type']) == (status, 'text/plain; charset=utf-8')
    assert reason in answer.text and '\n' not in answer.text
    assert_untouched(alpaca_daemon, events_before, rest_before)


def test_the_page_own_request_still_moves_the_focuser(alpaca_daemon):
    answer = post_command(MOVE, 'application/json; charset=utf-8', Origin=f'http://{OWN_HOST}',
                          Sec_Fetch_Site='same-origin')
    assert answer.status_code == 200 and answer.json() == {'ok': True, 'message': 'started'}, answer.text
    alpaca_daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE'
                                  and report['current_steps'] == TARGET)


def test_http_hosts_lets_a_named_host_through(start_alpaca_daemon):
    daemon = start_alpaca_daemon(http_hosts=['focuser.example.org'])
    events_before, rest_before = len(daemon.simulator.events), at_rest(daemon)
    assert post_command(Host=f'evil.example:{ALPACA_PORT}').status_code == 421
    assert post_command(Host='focuser.example.org:80').status_code == 421
    assert_untouched(daemon, events_before, rest_before)

    answer = post_command(Host=f'focuser.example.org:{ALPACA_PORT}')
    assert answer.status_code == 200 and answer.json()['ok'], answer.text
    daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE' and report['current_steps'] == TARGET)


def test_a_browser_put_to_the_alpaca_api_must_come_from_this_machine_by_name(alpaca_daemon):
    """A page that won a DNS rebinding is same-origin under its own name, so no preflight stops
    its PUT: the Host it must send does. A program (no Origin, no Sec-Fetch-Site) is an Alpaca
    client like any other, whatever Host it names."""
    connect_raw()
    events_before, rest_before = len(alpaca_daemon.simulator.events), at_rest(alpaca_daemon)
    rebound = {'Host': f'evil.example:{ALPACA_PORT}', 'Origin': f'http://evil.example:{ALPACA_PORT}'}
    answer = requests.put(f'{DEVICE_URL}/move', data={'ClientID': RAW_CLIENT, 'Position': TARGET},
                          headers=rebound, timeout=HTTP_TIMEOUT)
    assert answer.status_code == 421, answer.text
    assert 'does not name this machine' in answer.text
    same_site = requests.put(f'{DEVICE_URL}/move', data={'ClientID': RAW_CLIENT, 'Position': TARGET},
                             headers={'Sec-Fetch-Site': 'same-site'}, timeout=HTTP_TIMEOUT)
    assert same_site.status_code == 403, same_site.text
    assert_untouched(alpaca_daemon, events_before, rest_before)
    value(requests.put(f'{DEVICE_URL}/move', data={'ClientID': RAW_CLIENT, 'Position': TARGET},
                       headers={'Host': f'evil.example:{ALPACA_PORT}'}, timeout=HTTP_TIMEOUT))
    alpaca_daemon.wait_for_status(lambda report: report['status_label'] == 'IDLE' and report['current_steps'] == TARGET)


def access_control_headers(response):
    return {name: text for name, text in response.headers.items() if name.lower().startswith('access-control-')}


def test_no_answer_lets_a_browser_page_from_elsewhere_in(alpaca_daemon):
    """No preflight grants anything, and no answer carries Access-Control-Allow-Origin."""
    preflight = {'Origin': 'http://evil.example', 'Access-Control-Request-Method': 'PUT',
                 'Access-Control-Request-Headers': 'content-type'}
    for url in (f'{DEVICE_URL}/move', f'{DEVICE_URL}/halt', f'{BASE_URL}/management/apiversions', COMMAND_URL):
        answer = requests.options(url, headers=preflight, timeout=HTTP_TIMEOUT)
        assert access_control_headers(answer) == {}, (url, answer.status_code, answer.headers)
    origin = {'Origin': 'http://evil.example'}
    answers = [requests.get(f'{DEVICE_URL}/position', headers=origin, timeout=HTTP_TIMEOUT),
               requests.put(f'{DEVICE_URL}/connected', data={'Connected': 'true'}, headers=origin,
                            timeout=HTTP_TIMEOUT),
               requests.get(f'{BASE_URL}/management/v1/description', headers=origin, timeout=HTTP_TIMEOUT),
               requests.get(SETUP_URL, headers=origin, timeout=HTTP_TIMEOUT),
               requests.get(f'{BASE_URL}/setup/v1/focuser/0/state', headers=origin, timeout=HTTP_TIMEOUT),
               post_command(Origin='http://evil.example')]
    for answer in answers:
        assert access_control_headers(answer) == {}, (answer.url, answer.headers)


# ---- a hostile page in a real browser -----------------------------------------------------------

# Tries both scripted attacks at once and writes what the browser let it see into #results.
FETCH_ATTACKS = '''<!doctype html><title>hostile</title><pre id="results"></pre><script>
const target = 'http://%(own)s';
async function attempt(request) {
  try { const answer = await request(); return `answered ${answer.type} ${answer.status}`; }
  catch (error) { return `failed: ${error.name}`; }
}
Promise.all([
  attempt(() => fetch(target + '%(command_path)s', {method: 'POST', mode: 'no-cors',
                      headers: {'Content-Type': 'text/plain'}, body: '%(move)s'})),
  attempt(() => fetch(target + '/api/v1/focuser/0/move', {method: 'PUT',
                      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
                      body: 'ClientID=%(client)d&Position=%(position)d'})),
]).then(([noCors, put]) => {
  document.getElementById('results').textContent = JSON.stringify({noCors, put});
});
</script>'''

# A text/plain form sends `name=value`: this name and value make that the JSON of MOVE.
FORM_ATTACK = '''<!doctype html><title>hostile form</title>
<form method="post" enctype="text/plain" action="http://%(own)s%(command_path)s">
<input type="hidden" name='{"command": "move", "steps": %(target)d, "padding": "' value='"}'></form>
<script>document.forms[0].submit();</script>'''


@pytest.fixture
def hostile_site():
    """Serves the hostile pages (path -> HTML, filled in by the test) from another 127.0.0.1
    port; yields (base URL, pages)."""
    pages = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            page = pages.get(self.path)
            self.send_response(200 if page else 404)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.end_headers()
            self.wfile.write((page or 'not found').encode())

        def log_message(self, *args):
            """Quiet: pytest shows the test's own output."""

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.1}, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}', pages
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def page_text(browser, element_id='results'):
    return browser.find_element(By.ID, element_id).text


@needs_chromium
def test_a_hostile_page_cannot_move_the_focuser_but_the_setup_page_can(browser, alpaca_daemon, hostile_site):
    site, pages = hostile_site
    connect_raw()  # an Alpaca client is connected, so a PUT move that got through would move
    report = alpaca_daemon.status()
    fill = {'own': OWN_HOST, 'command_path': COMMAND_PATH, 'move': MOVE, 'target': TARGET,
            'client': RAW_CLIENT, 'position': TARGET - report['min_steps']}
    pages.update({'/fetch.html': FETCH_ATTACKS % fill, '/form.html': FORM_ATTACK % fill})
    events_before, rest_before = len(alpaca_daemon.simulator.events), at_rest(alpaca_daemon)

    browser.get(f'{site}/fetch.html')
    wait_until(lambda: page_text(browser), 15, 'the hostile page never finished its attempts')
    results = json.loads(page_text(browser))
    assert results == {'noCors': 'answered opaque 0', 'put': 'failed: TypeError'}, results
    assert_untouched(alpaca_daemon, events_before, rest_before)

    browser.get(f'{site}/form.html')
    wait_until(lambda: browser.current_url == COMMAND_URL, 15, f'the form went to {browser.current_url}')
    refused = browser.find_element(By.TAG_NAME, 'body').text
    assert 'only the setup page itself may command' in refused, refused
    assert_untouched(alpaca_daemon, events_before, rest_before)

    browser.get(SETUP_URL)
    answer = browser.execute_async_script(
        '''const done = arguments[arguments.length - 1];
        fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/json'}, body: arguments[1]})
          .then((response) => response.text()).then(done, (error) => done(String(error)));''',
        COMMAND_PATH, MOVE)
    assert json.loads(answer) == {'ok': True, 'message': 'started'}, answer
    alpaca_daemon.wait_for_status(lambda r: r['status_label'] == 'IDLE' and r['current_steps'] == TARGET)
    assert motion_commands(alpaca_daemon.simulator, events_before)

    # The Alpaca API stays open to programs: the PUT the page could not send works from one.
    value(put('move', Position=report['current_steps'] - report['min_steps']))
    alpaca_daemon.wait_for_status(lambda r: r['status_label'] == 'IDLE'
                                  and r['current_steps'] == report['current_steps'])
