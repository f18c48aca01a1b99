# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the daemon assumes about a controller it has never met, one statement each: the probe
tells for each whether a real controller confirms it, contradicts it, or was not asked.

This table is the one place the statements live in code; doc/probe.md prints it (a test checks
that the two agree, so a statement holds nothing Markdown would change: no <, and no backslash
before punctuation). `kind` is how the statement is known: from the manual's page (MS176E for
the native set, MS249E for GCS), from a driver proven on the hardware (EPICS motorPI and
motorPIGCS2, labtools, the telescope's previous rockit daemon), or a guess nobody has checked.
`motion` marks a statement that only --motion can test.
"""
from collections import namedtuple

MANUAL = 'manual page'
DRIVER = 'driver proven on hardware'
GUESS = 'guess'

Guess = namedtuple('Guess', 'id statement kind source motion')

NATIVE = (
    Guess('deaf-until-selected',
          'Before its address selection code the controller answers nothing: a % sent first gets no report.',
          MANUAL, 'MS176E p. 7, 8, 13', False),
    Guess('tb-board-number',
          'After selection TB reports the selected board number, controller_address - 1 (B:0 for board 0).',
          MANUAL, 'MS176E p. 9, 36', False),
    Guess('ve-names-c863',
          "VE's copyright and firmware line names the model C-863.",
          MANUAL, 'MS176E p. 42', False),
    Guess('ve-lines',
          "VE's report has one or two lines (informational: the manual prints it on two).",
          MANUAL, 'MS176E p. 42', False),
    Guess('status-six-bytes',
          'TS reports six bytes, the layout the C-862/C-863 hardware drivers read (the manual tabulates three, '
          'its example shows six).',
          DRIVER, 'EPICS motorPI drvPIC862, labtools pi/conf.py; MS176E p. 40 example', False),
    Guess('at-rest-bits',
          'At rest the status says so: six-byte byte 1 bit 2 (trajectory complete) set and bit 0 (busy) clear; '
          'three-byte byte 1 bit 1 (on target) set.',
          DRIVER, 'six: EPICS drvPIC862; three: MS176E p. 40', False),
    Guess('echo-off',
          'The controller does not echo commands: six-byte byte 2 bit 0 (echo on) is clear.',
          DRIVER, 'EPICS drvPIC862, labtools', False),
    Guess('error-number-byte',
          'After a bad command (XX) the error number shows in byte 6 of a six-byte report, byte 3 of a '
          'three-byte one.',
          DRIVER, 'six: labtools pi/conf.py; three: MS176E p. 40', False),
    Guess('error-cleared-by-reading',
          'Reading TS clears the error number: the second TS after the bad command shows none.',
          GUESS, 'the manual does not say; the simulator assumes it', False),
    Guess('motor-off-bit',
          'After MN the motor-off bit is clear (six-byte byte 1 bit 7; three-byte byte 1 bit 5).',
          DRIVER, 'six: EPICS drvPIC862; three: MS176E p. 40', True),
    Guess('moving-flag',
          '\\ answers 1 while an MR leg runs and 0 once it has ended.',
          DRIVER, "the telescope's previous rockit daemon; MS176E p. 21", True),
    Guess('busy-bit',
          'Six-byte byte 1 bit 0 (busy) follows \\ (set while the axis moves, clear at rest).',
          DRIVER, 'EPICS drvPIC862', True),
    Guess('direction-bit',
          'Six-byte byte 3 bit 2 (move direction) is set for a positive MR leg and clear for a negative one.',
          DRIVER, 'EPICS drvPIC862', True),
    Guess('settles-within-window',
          'After each MR leg the position comes to rest within settle_window counts of the target (TT).',
          GUESS, "the config's settle_window (default 10)", True),
    Guess('dh-does-not-move',
          'DH-900000000 (nine digits, the most an argument may have) sets the count and moves nothing.',
          MANUAL, 'MS176E p. 18, 24, 25', True),
    Guess('find-edge-bit',
          'While FE runs the find-edge bit is set (six-byte byte 4 bit 2; three-byte byte 1 bit 2, reference '
          'drive active), and it is clear once FE has ended.',
          DRIVER, 'six: EPICS drvPIC862; three: MS176E p. 40', True),
    Guess('find-edge-moving-flag',
          '\\ is 1 while FE runs and 0 once it has ended (the daemon ends reference runs on it).',
          GUESS, 'the manual does not say', True),
    Guess('abort-stops',
          '! stops the axis: \\ falls to 0 within 0.5 s, and afterwards TT equals TP.',
          MANUAL, 'MS176E p. 21, 22', True),
)

GCS = (
    Guess('idn-c863',
          '*IDN? names a C-863.11 or C-863.12 in its second comma-separated field.',
          MANUAL, 'MS249E; doc/gcs-c863.md section 2.1', False),
    Guess('status-register-format',
          '#4 answers 0x and four hex digits (one axis).',
          DRIVER, 'EPICS motorPIGCS2; doc/gcs-c863.md section 1.5', False),
    Guess('status-register-cross-check',
          '#4 equals SRG? 1 1, and its bits 12 (servo on) and 15 (on target) agree with SVO? 1 and ONT? 1.',
          MANUAL, 'MS249E p. 126', False),
    Guess('counts-per-unit',
          'SPA? 1 0xE and SPA? 1 0xF answer positive numbers (counts per unit = 0xE / 0xF).',
          DRIVER, 'EPICS motorPIGCS2; doc/gcs-c863.md section 2.7', False),
    Guess('optional-parameters',
          'SPA? 1 answers for 0xB, 0xC (acceleration, deceleration), 0x36, 0x3F (settle window, settle time), '
          'and VEL? 1 answers.',
          GUESS, 'doc/gcs-c863.md sections 2.8, 2.9', False),
    Guess('travel-range',
          'TMN? 1 and TMX? 1 answer, TMN? below TMX?.',
          MANUAL, 'MS249E; doc/gcs-c863.md section 2.7', False),
    Guess('addressed-query',
          'The controller answers a query prefixed with its address (1 POS? 1 at address 1, the reply prefixed '
          '0 1); at address 1 it answers unaddressed queries too.',
          MANUAL, 'MS249E; doc/gcs-c863.md section 1.6', False),
    Guess('referencing-bit',
          '#4 bit 14 (referencing) is set while the reference run (FRF/FNL/FPL) runs and clear once it has ended.',
          MANUAL, 'MS249E p. 126', True),
    Guess('referenced-after-run',
          'FRF? 1 answers 1 after the reference run.',
          MANUAL, 'MS249E; doc/gcs-c863.md section 2.4', True),
    Guess('moving-bit',
          '#4 bit 13 (in motion) is set while an MVR leg runs and clear once it has ended.',
          MANUAL, 'MS249E p. 126', True),
    Guess('on-target-after-move',
          'After each MVR leg #4 bit 15 (on target) comes, and ONT? 1 answers 1.',
          MANUAL, 'MS249E p. 126, 181', True),
    Guess('bit8-after-stop',
          'After #24 stopped a move, #4 bit 8 (error) is set until ERR? reads the error.',
          MANUAL, 'MS249E p. 126', True),
    Guess('error-10-after-stop',
          'After #24 stopped a move, ERR? answers 10 (stopped by command).',
          DRIVER, 'PIPython, EPICS motorPIGCS2, Odemis; doc/gcs-c863.md section 2.6', True),
)

GUESSES = {'native': NATIVE, 'gcs': GCS}
