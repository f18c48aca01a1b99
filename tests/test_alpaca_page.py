# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The Alpaca setup page in a real headless browser (Debian's chromium and chromium-driver,
driven with selenium), on the real daemon: it shows the live state and its controls work.
"""
import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from alpaca_support import ALPACA, BASE_URL
from conftest import wait_until
from rockit.focuser.c863.constants import FocuserStatus

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


def test_page_shows_the_live_state_and_stop_stops_a_move(browser, slow_alpaca_daemon, tmp_path):
    browser.get(SETUP_URL)
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
    assert text(browser, 'command-result') == 'stop: command succeeded'


def test_page_offers_no_controls_to_a_machine_outside_control_machines(browser, daemon_factory, simulator):
    daemon_factory(control_machines=[OTHER_MACHINE], **ALPACA)
    browser.get(f'{BASE_URL}/setup')
    shown(browser, 'status', 'OFFLINE')
    assert not browser.find_element(By.ID, 'controls').is_displayed()
    assert browser.find_element(By.ID, 'read-only').is_displayed()
    assert '127.0.0.1' in text(browser, 'read-only')


def test_page_loads_nothing_from_elsewhere(browser, slow_alpaca_daemon):
    browser.get(SETUP_URL)
    shown(browser, 'status', 'IDLE')
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert resources and all(url.startswith(BASE_URL + '/') for url in resources), resources
