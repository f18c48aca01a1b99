/* SPDX-License-Identifier: GPL-3.0-only */
/* Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE. */
// The setup page: polls the daemon's state about once a second and sends the controls'
// commands. Everything comes from this server; nothing from the internet.
'use strict';

const STATE_URL = '/setup/v1/focuser/0/state';
const COMMAND_URL = '/setup/v1/focuser/0/command';
const POLL_MS = 1000;

const $ = (id) => document.getElementById(id);
const show = (value) => (value === undefined || value === null ? '–' : String(value));
const yesNo = (value) => (value === undefined ? '–' : value ? 'yes' : 'no');

function render(state) {
  const report = state.report;
  $('daemon').textContent = state.daemon;
  const label = state.is_moving && report.status_label === 'IDLE' ? 'MOVING' : report.status_label;
  $('status').textContent = label;
  $('status').className = 'badge ' + label;
  $('position').textContent = show(report.current_steps);
  $('target').textContent = show(report.target_steps);
  $('min').textContent = show(report.min_steps);
  $('max').textContent = show(report.max_steps);
  $('message').textContent = report.message || '';
  $('referenced').textContent = yesNo(report.referenced);
  $('servo').textContent = report.servo === undefined ? '–' : report.servo ? 'on' : 'off';
  $('moving').textContent = yesNo(report.moving);
  const error = report.last_error;
  $('last-error').textContent = error ? `${error.code === null ? '' : error.code + ': '}${error.text} (${error.date})` : 'none';
  $('controller').textContent = show(report.controller);
  $('nominal').textContent = show(report.nominal_steps);
  drawBar(report);

  $('controls').hidden = !state.control;
  $('read-only').hidden = state.control;
  $('address').textContent = state.address;
  $('alpaca-port').textContent = state.alpaca_port;
  $('discovery').textContent = state.discovery_port ? `UDP ${state.discovery_port}` : 'off (port unavailable)';
  $('clients').textContent = state.alpaca_clients;
  const last = state.last_command;
  $('last-command').textContent = last ? `${last.command}: ${last.result} (${last.date})` : 'none';
  $('updated').textContent = 'updated ' + report.date;
}

function drawBar(report) {
  const span = report.max_steps - report.min_steps;
  const fraction = (steps) => Math.min(1, Math.max(0, (steps - report.min_steps) / span));
  const known = span > 0 && report.current_steps !== undefined;
  $('bar-fill').style.width = known ? `${100 * fraction(report.current_steps)}%` : '0';
  const target = $('bar-target');
  target.style.display = known && report.target_steps !== undefined ? 'block' : 'none';
  if (known) target.style.left = `${100 * fraction(report.target_steps)}%`;
}

async function poll() {
  try {
    const response = await fetch(STATE_URL, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    $('status').textContent = 'UNREACHABLE';
    $('status').className = 'badge UNREACHABLE';
    $('updated').textContent = `cannot reach the daemon: ${error.message}`;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

async function command(body) {
  $('command-result').textContent = `${body.command}…`;
  try {
    const response = await fetch(COMMAND_URL, { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                body: JSON.stringify(body) });
    const text = await response.text();
    const result = response.ok ? JSON.parse(text) : { ok: false, message: text };
    $('command-result').textContent = `${body.command}: ${result.message}`;
  } catch (error) {
    $('command-result').textContent = `${body.command}: ${error.message}`;
  }
}

function stepsCommand(name, inputId) {
  return (event) => {
    event.preventDefault();
    command({ command: name, steps: parseInt($(inputId).value, 10) });
  };
}

$('move-form').addEventListener('submit', stepsCommand('move', 'move-steps'));
$('offset-form').addEventListener('submit', stepsCommand('offset', 'offset-steps'));
$('stop-button').addEventListener('click', () => command({ command: 'stop' }));
$('home-button').addEventListener('click', () => command({ command: 'home' }));
poll();
