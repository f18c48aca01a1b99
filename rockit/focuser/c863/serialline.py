# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""One serial line to one controller: the part of the protocol layers that is not protocol.

PI's two command sets for the C-863 (GCS 2.0 in gcs.py, the older native Mercury set in
native.py) frame their requests and replies differently, but reach the controller the same
way: a device path or pyserial URL opened exclusively at 8N1, stale input thrown away before
each request, writes that may come from a second thread (a stop), and reads whose timeout
counts seconds of *silence*, so a long reply at 9600 baud is never cut short while its bytes
keep arriving. SerialLine is that common part; the protocol classes add their framing.

Failures are those of errors.py: LinkLost when the device fails, NoReply when it stays silent;
the protocol layers add GarbledReply and ControllerError.
"""
import errno
import grp
import logging
import math
import os
import threading
import time
from contextlib import contextmanager

import serial

from .errors import LinkLost, NoReply, show


class SerialLine:
    """An exclusively opened serial port (device path or pyserial URL) and its raw exchanges.

    Subclasses frame requests and recognise the end of a reply. Writes take a short lock of
    their own, so one thread may put a stop on the line while another waits for a reply.
    Log messages go to the subclass's module logger.
    """

    def __init__(self, url, baudrate, timeout):
        """Opens a device path or pyserial URL (socket://host:port, rfc2217://...).

        The port is locked exclusively where the transport supports it, so no other program
        can interleave bytes; 8N1, no flow control; stale input is discarded. timeout:
        seconds of silence allowed while waiting for a reply (restarts whenever bytes arrive).
        """
        if isinstance(baudrate, bool) or not isinstance(baudrate, int) or baudrate <= 0:
            raise ValueError(f'invalid baud rate {baudrate!r}')
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
                or not math.isfinite(timeout) or timeout <= 0:
            raise ValueError(f'invalid timeout {timeout!r}: must be a positive number of seconds')
        self.url = url
        self.timeout = timeout
        # Seconds one byte takes on the wire at 8N1 (start bit, 8 data bits, stop bit): a write
        # returns once the bytes are queued, and they leave the UART this much later each.
        self.byte_time = 10 / baudrate
        self._log = logging.getLogger(type(self).__module__)
        self._write_lock = threading.Lock()
        self._written_at = time.monotonic()
        self._serial = self._open(url, baudrate, timeout)

    def _open(self, url, baudrate, timeout):
        try:
            port = serial.serial_for_url(
                url, baudrate=baudrate, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                stopbits=serial.STOPBITS_ONE, xonxoff=False, rtscts=False, dsrdtr=False,
                timeout=timeout, write_timeout=timeout, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as error:
            if getattr(error, 'errno', None) == errno.EACCES:
                # The daemon runs as its own user, which reaches the port through the device's
                # group (dialout, set by the udev rule): say so instead of pyserial's errno text.
                raise LinkLost(url, f"permission denied: is the daemon's user in the "
                                     f'{self._group_of(url)} group?') from error
            raise LinkLost(url, f'cannot open: {error}') from error
        try:
            port.reset_input_buffer()
        except (serial.SerialException, OSError) as error:
            port.close()
            raise LinkLost(url, f'cannot discard stale input: {error}') from error
        return port

    @staticmethod
    def _group_of(device):
        """The group that owns a device node (whose members may open it), dialout if unknown."""
        try:
            return grp.getgrgid(os.stat(device).st_gid).gr_name
        except (OSError, KeyError):
            return 'dialout'

    def close(self):
        """Releases the port. Safe to call twice; later calls on this object raise LinkLost.

        Under the write lock: a stop written from another thread then either goes out before
        the port closes or finds it closed (LinkLost), never a closed or reused descriptor."""
        with self._write_lock:
            try:
                self._serial.close()
            except (serial.SerialException, OSError) as error:
                self._log.debug('error while closing %s: %s', self.url, error)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @contextmanager
    def _device(self, action):
        """Turns every way the device can fail into LinkLost naming what we were doing."""
        if not self._serial.is_open:
            raise LinkLost(self.url, f'cannot {action}: port is closed')
        try:
            yield
        except (serial.SerialException, OSError) as error:
            raise LinkLost(self.url, f'cannot {action}: {error}') from error

    def _write(self, data):
        with self._write_lock, self._device('write'):
            self._serial.write(data)
            previous, self._written_at = self._written_at, time.monotonic()
        self._trace('->', data, previous)

    def _trace(self, direction, data, since=None):
        """The serial trace (c863_focusd --trace): every chunk both ways, at DEBUG level, which
        only the journal receives (daemonlog.py), with the time since the write before it (for a
        write: since the previous write, which shows the pacing)."""
        if self._log.isEnabledFor(logging.DEBUG):
            since = self._written_at if since is None else since
            self._log.debug('%s %s %r (+%.1f ms)', self.url, direction, data, (time.monotonic() - since) * 1000)

    def _discard_stale_input(self):
        """Drops bytes nobody asked for (e.g. a reply that arrived after its timeout),
        so they cannot be taken for the answer to the next request."""
        with self._device('read'):
            waiting = self._serial.in_waiting
            stale = self._serial.read(waiting) if waiting else b''
        if stale:
            self._log.warning('%s: discarded %d unexpected bytes: %s', self.url, len(stale), show(stale))

    def _read_chunk(self, command, received):
        """Whatever bytes arrive next; NoReply after `timeout` seconds of silence."""
        with self._device('read'):
            chunk = self._serial.read(max(1, self._serial.in_waiting))
        if not chunk:
            raise NoReply(command, self.timeout, bytes(received))
        self._trace('<-', chunk)
        return chunk
