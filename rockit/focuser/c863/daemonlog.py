# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The daemon's log, written by a thread of its own so that logging never delays anything else.

On a telescope, site.log (rockit.common.log) prints each message and then makes a synchronous
network call to the observatory log daemon: seconds, if that daemon is slow or unreachable.
The daemon logs while it holds its state lock, from the poll thread and around a stop, so the
records only go into a bounded queue there (logging.handlers.QueueHandler) and a
QueueListener thread hands them to site.log. When the queue is full, records are dropped and
counted, never waited for, and one line "N log messages dropped" follows when there is room.

With --trace (config trace_serial), every serial exchange is logged at DEBUG: those records go
to the journal (stdout) only, never to the observatory log, which is no place for bytes.
"""
import contextlib
import logging
import logging.handlers
import queue
import sys
import threading
import time

from . import site

# Records waiting for the observatory log. A home or a move logs about 20; a trace a few per
# poll. At 0.5 s a message this is an hour of backlog: enough, and bounded (~10 MB at worst).
QUEUE_LENGTH = 10000
# How long the records still queued at exit may take to go out before the daemon exits anyway.
FLUSH_AT_EXIT = 3.0
# The loggers whose records are the daemon's: its own, and the package's modules (the serial
# line's trace and its warnings about stray bytes).
DAEMON_LOGGERS = ('c863_focusd', 'rockit.focuser.c863')


class DroppingQueueHandler(logging.handlers.QueueHandler):
    """A QueueHandler that never blocks: a record that finds the queue full is counted and
    dropped, and the count is logged (as a warning) ahead of the next record that fits."""

    def __init__(self, records):
        super().__init__(records)
        self._count_lock = threading.Lock()
        self.dropped = 0

    def enqueue(self, record):
        with self._count_lock:
            try:
                if self.dropped:
                    self.queue.put_nowait(self._dropped_record(record))
                    self.dropped = 0
                self.queue.put_nowait(record)
            except queue.Full:
                self.dropped += 1

    def _dropped_record(self, record):
        return logging.LogRecord(record.name, logging.WARNING, __file__, 0,
                                 f'{self.dropped} log messages dropped (the observatory log is too slow)',
                                 None, None)


class ObservatoryLogHandler(logging.Handler):
    """Writes records to site.log under the config's log_name: rockit.common.log on a telescope
    (the journal and the observatory log), the journal alone elsewhere."""

    def __init__(self, table):
        super().__init__(logging.INFO)
        self._table = table

    def emit(self, record):
        try:
            if record.levelno >= logging.ERROR:
                write = site.log.error
            elif record.levelno >= logging.WARNING:
                write = site.log.warning
            else:
                write = site.log.info
            write(self._table, self.format(record))
        except Exception:
            self.handleError(record)


class JournalOnlyHandler(logging.StreamHandler):
    """Writes the records below INFO (the serial trace) to stdout, which systemd puts in the
    journal, in the same shape as site.log's lines."""

    def __init__(self, table):
        super().__init__(sys.stdout)
        self.setFormatter(logging.Formatter(f'%(levelname)s {table}: %(message)s'))
        self.addFilter(lambda record: record.levelno < logging.INFO)


class BoundedQueueListener(logging.handlers.QueueListener):
    """A QueueListener whose stop gives up after a deadline: at exit the records still queued
    get a few seconds, and a dead observatory log cannot hold the daemon up any longer."""

    def stop_within(self, seconds):
        deadline = time.monotonic() + seconds
        try:
            self.queue.put(self._sentinel, timeout=seconds)
        except queue.Full:
            return
        self._thread.join(max(0.0, deadline - time.monotonic()))


@contextlib.contextmanager
def queued_log(table, trace=False):
    """Routes the daemon's records through the queue for as long as the block runs, then gives
    the queued ones FLUSH_AT_EXIT seconds to go out."""
    records = queue.Queue(QUEUE_LENGTH)
    listener = BoundedQueueListener(records, ObservatoryLogHandler(table), JournalOnlyHandler(table),
                                    respect_handler_level=True)
    handler = DroppingQueueHandler(records)
    loggers = [logging.getLogger(name) for name in DAEMON_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if trace else logging.INFO)
        logger.propagate = False
    listener.start()
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        listener.stop_within(FLUSH_AT_EXIT)
