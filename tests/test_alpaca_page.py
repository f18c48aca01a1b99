# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca setup page in a real headless browser (Debian's chromium and chromium-driver,
driven with selenium), on the real daemon: it shows the live state and its controls work.
"""
import shutil
import tempfile

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from alpaca_support import ALPACA, BASE_URL
from conftest import wait_until
from rockit.focuser.c863.constants import CommandStatus, FocuserStatus
from testkit.events import motion_commands

SETUP_URL = f'{BASE_URL}/setup/v1/focuser/0/setup'
CHROMIUM, CHROMEDRIVER = shutil.which('chromium'), shutil.which('chromedriver')
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--window-size=1200,900']
OTHER_MACHINE = '192.0.2.10'

pytest_plugins = ['alpaca_support']  # its slow_alpaca_daemon: a move spans several page updates

pytestmark = pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER),
                                reason='chromium and chromedriver are needed: run make test-deps as root')


@pytest.fixture
def browser():
    """Headless chromium with a fresh profile, driven by the system's chromedriver (never one
    that selenium would download)."""
    with tempfile.TemporaryDirectory(prefix='chromium-profile-') as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS + [f'--user-data-dir={profile}']:
            options.add_argument(flag)
        options.set_capability('goog:loggingPrefs', {'browser': 'ALL'})  # the console, for 404s
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def text(browser, element_id):
    return browser.find_element(By.ID, element_id).text


def shown(browser, element_id, expected):
    """Until the element shows the expected text (the page updates about once a second)."""
    wait_until(lambda: text(browser, element_id) == expected, 10,
               f'#{element_id} showed {text(browser, element_id)!r}, not {expected!r}')


def record_command_results(browser):
    """From now on the page keeps every text #command-result shows in window.commandResults, so a
    test sees a result that a later change of state has already cleared."""
    browser.execute_script("""
        const element = document.getElementById('command-result');
        window.commandResults = [];
        new MutationObserver(() => window.commandResults.push(element.textContent))
            .observe(element, {childList: true, characterData: true, subtree: true});""")


def command_results(browser):
    return browser.execute_script('return window.commandResults')


def test_page_shows_the_live_state_and_stop_stops_a_move(browser, slow_alpaca_daemon, tmp_path):
    browser.get(SETUP_URL)
    record_command_results(browser)
    report = slow_alpaca_daemon.status()
    shown(browser, 'status', 'IDLE')
    shown(browser, 'position', str(report['current_steps']))
    assert text(browser, 'min') == str(report['min_steps']) and text(browser, 'max') == str(report['max_steps'])
    assert text(browser, 'referenced') == 'yes' and text(browser, 'servo') == 'on'
    assert browser.find_element(By.ID, 'controls').is_displayed()

    target = report['min_steps'] if report['current_steps'] > 100000 else report['max_steps']
    browser.find_element(By.ID, 'move-steps').send_keys(str(target))
    browser.find_element(By.ID, 'move-button').click()
    shown(browser, 'status', 'MOVING')
    positions_seen = set()

    def position_changed_twice():
        positions_seen.add(text(browser, 'position'))
        return len(positions_seen) >= 3
    wait_until(position_changed_twice, 15, 'the page did not follow the move')
    assert text(browser, 'target') == str(target)
    browser.save_screenshot(str(tmp_path / 'setup-page-moving.png'))

    browser.find_element(By.ID, 'stop-button').click()
    stopped = slow_alpaca_daemon.wait_for_status(lambda r: r['status'] == FocuserStatus.Idle, timeout=10)
    assert abs(stopped['current_steps'] - target) > 10000  # stopped well short of the target
    shown(browser, 'status', 'IDLE')
    shown(browser, 'position', str(stopped['current_steps']))
    assert 'stop: command succeeded' in command_results(browser)


def test_page_offers_no_controls_to_a_machine_outside_control_machines(browser, daemon_factory, simulator):
    daemon_factory(control_machines=[OTHER_MACHINE], **ALPACA)
    browser.get(f'{BASE_URL}/setup')
    shown(browser, 'status', 'OFFLINE')
    assert not browser.find_element(By.ID, 'controls').is_displayed()
    assert not browser.find_element(By.ID, 'init-button').is_displayed()
    assert browser.find_element(By.ID, 'read-only').is_displayed()
    assert '127.0.0.1' in text(browser, 'read-only')


def test_page_loads_nothing_from_elsewhere(browser, slow_alpaca_daemon):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert resources and all(url.startswith(BASE_URL + '/') for url in resources), resources


def submit_steps(browser, field, typed):
    """Types into the field (clearing it first) and presses its button."""
    element = browser.find_element(By.ID, f'{field}-steps')
    element.clear()
    element.send_keys(typed)
    browser.find_element(By.ID, f'{field}-button').click()


def target_of(daemon, field, steps):
    """Where typing steps into the field should send the focuser: offsets count from the target."""
    return steps + (daemon.status()['target_steps'] if field == 'offset' else 0)


@pytest.mark.parametrize('field, typed, steps', [
    ('move', '2.5e5', 250000), ('move', '1e3', 1000), ('move', '-0', 0), ('move', ' 120000 ', 120000),
    ('offset', '-5e4', -50000)])
def test_a_typed_whole_number_moves_to_exactly_that(browser, alpaca_daemon, field, typed, steps):
    """The number as the browser reads it (parseInt read '2.5e5' as 2)."""
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    target = target_of(alpaca_daemon, field, steps)
    submit_steps(browser, field, typed)
    report = alpaca_daemon.wait_for_status(
        lambda r: r['target_steps'] == target and r['status'] == FocuserStatus.Idle and r['current_steps'] == target)
    assert report['current_steps'] == target
    assert text(browser, f'{field}-steps-why') == ''


@pytest.mark.parametrize('field, typed, why', [
    ('move', '1.5', '1.5 is not a whole number of steps'),
    ('move', '250001', 'target 250001 is outside the limits (0 to 250000)'),
    ('move', '-1', 'target -1 is outside the limits (0 to 250000)'),
    ('move', '1e', 'enter a number of steps'),
    ('offset', '2e5', 'target {} is outside the limits (0 to 250000)')])
def test_a_typed_number_that_is_not_a_reachable_whole_number_moves_nothing_and_says_why(
        browser, alpaca_daemon, field, typed, why):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    before = len(alpaca_daemon.simulator.events)
    submit_steps(browser, field, typed)
    shown(browser, f'{field}-steps-why', why.format(target_of(alpaca_daemon, field, 200000)))
    assert text(browser, 'command-result') == ''  # no command went out
    assert motion_commands(alpaca_daemon.simulator, since=before) == []
    browser.find_element(By.ID, f'{field}-steps').send_keys('0')
    shown(browser, f'{field}-steps-why', '')  # a change to the field clears the reason


def test_a_command_result_clears_on_the_next_change_of_state(browser, slow_alpaca_daemon):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    record_command_results(browser)
    report = slow_alpaca_daemon.status()
    submit_steps(browser, 'move', str(report['current_steps'] + 40000))
    shown(browser, 'status', 'MOVING')
    shown(browser, 'status', 'IDLE')
    shown(browser, 'command-result', '')
    assert 'move: started' in command_results(browser)


def test_a_control_machine_gets_an_init_button_that_sends_initialize(browser, slow_alpaca_daemon):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    record_command_results(browser)
    button = browser.find_element(By.ID, 'init-button')
    assert button.is_displayed() and button.text == 'Init'
    button.click()
    # The daemon is connected already: initialize answers as `focus init` would.
    expected = f'initialize: {CommandStatus.message(CommandStatus.NotDisconnected)}'
    wait_until(lambda: expected in command_results(browser), 10, f'the Init button to show {expected!r}')


def test_the_favicon_is_served_and_linked(browser, slow_alpaca_daemon):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    href = browser.find_element(By.CSS_SELECTOR, 'link[rel=icon]').get_attribute('href')
    response = requests.get(href, timeout=5)
    assert response.status_code == 200 and response.headers['Content-Type'] == 'image/svg+xml'
    assert response.content.rstrip().endswith(b'</svg>')
    failures = [entry['message'] for entry in browser.get_log('browser') if entry['level'] == 'SEVERE']
    assert failures == []  # a missing favicon is logged here as a 404


# The longest daemon name in site.py and the longest status: the header at its widest.
WIDEST_HEADER = {'daemon': 'onemetre_red_focuser', 'status': 'INITIALIZING'}


def test_at_390_px_wide_the_status_badge_clears_the_title(browser, slow_alpaca_daemon, tmp_path):
    browser.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                            {'width': 390, 'height': 844, 'deviceScaleFactor': 1, 'mobile': True})
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    browser.save_screenshot(str(tmp_path / 'setup-page-390.png'))
    # Set and measured in one script, so no page update comes between.
    title, badge = browser.execute_script("""
        for (const [id, text] of Object.entries(arguments[0])) document.getElementById(id).textContent = text;
        return ['header h1', '#status'].map(selector => document.querySelector(selector).getBoundingClientRect());
        """, WIDEST_HEADER)
    apart = (badge['left'] >= title['right'] or title['left'] >= badge['right']
             or badge['top'] >= title['bottom'] or title['top'] >= badge['bottom'])
    assert apart, (title, badge)
    assert badge['right'] <= 390 and title['right'] <= 390
