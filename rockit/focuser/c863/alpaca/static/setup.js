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

let report = {}; // the daemon's report last shown: the limits a typed target is checked against
let resultLabel = null; // the badge when the last command's result was shown: a change clears it

function render(state) {
  report = state.report;
  $('daemon').textContent = state.daemon;
  const label = state.is_moving && report.status_label === 'IDLE' ? 'MOVING' : report.status_label;
  if (resultLabel !== null && label !== resultLabel) {
    $('command-result').textContent = '';
    resultLabel = null;
  }
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

async function refresh() {
  try {
    const response = await fetch(STATE_URL, { cache: 'no-store' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    render(await response.json());
  } catch (error) {
    $('status').textContent = 'UNREACHABLE';
    $('status').className = 'badge UNREACHABLE';
    $('updated').textContent = `cannot reach the daemon: ${error.message}`;
  }
}

function poll() {
  refresh().finally(() => setTimeout(poll, POLL_MS));
}

// Shows the daemon's answer until the state next changes. The state is read afresh once the
// answer is in, so the change the command itself made does not clear its own answer at once.
async function command(body) {
  resultLabel = null;
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
  await refresh();
  resultLabel = $('status').textContent;
}

// The target a move or offset of `steps` would ask for: offsets count from the current target,
// as the daemon's relative moves do.
function targetOf(name, steps) {
  return name === 'offset' ? (report.target_steps ?? report.current_steps) + steps : steps;
}

// The steps to send, or why none: the number as the browser read the field (2.5e5 is 250000,
// where parseInt read 2), only if whole and its target lies within the limits shown.
function typedSteps(name, input) {
  const number = input.valueAsNumber; // NaN when the field holds no number the browser can read
  if (Number.isNaN(number)) return { why: 'enter a number of steps' };
  if (!Number.isInteger(number)) return { why: `${number} is not a whole number of steps` };
  const steps = number === 0 ? 0 : number; // -0 is sent as 0
  const target = targetOf(name, steps);
  if (Number.isNaN(target)) return { why: 'the position is not known yet' };
  if (!(target >= report.min_steps && target <= report.max_steps)) {
    const limits = report.min_steps === undefined ? 'not known yet' : `${report.min_steps} to ${report.max_steps}`;
    return { why: `target ${target} is outside the limits (${limits})` };
  }
  return { steps };
}

function stepsCommand(name, input) {
  const why = $(input.getAttribute('aria-describedby'));
  input.addEventListener('input', () => { why.textContent = ''; });
  return (event) => {
    event.preventDefault();
    const typed = typedSteps(name, input);
    why.textContent = typed.why || '';
    if (typed.why === undefined) command({ command: name, steps: typed.steps });
  };
}

$('move-form').addEventListener('submit', stepsCommand('move', $('move-steps')));
$('offset-form').addEventListener('submit', stepsCommand('offset', $('offset-steps')));
$('stop-button').addEventListener('click', () => command({ command: 'stop' }));
$('home-button').addEventListener('click', () => command({ command: 'home' }));
$('init-button').addEventListener('click', () => command({ command: 'initialize' }));
poll();
