# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""The wire between the simulated controller and its client: a pseudo-terminal or a TCP port.

Protocol-free: bytes go in and out at the pace of a real serial line. Every byte costs 10 bit
times (8N1) in each direction, modelled with virtual clocks rather than sleeps:

* a byte read from the port at time r "arrives" at max(r, previous arrival) + byte time, and
  the controller sees it only then;
* a reply is ready at the arrival of the byte that completed its request (+ reply_delay); it
  goes on the wire when the transmitter is free (replies are serial) and is written to the
  port when its last byte would have left the wire.

One thread serves everything with select() and a timeout to the next due moment, so a stop
byte is handled at its own arrival time even while a long reply is still "on the wire".
Faults that touch the port (unplug, replug, garbage) run inside that thread.
"""
import os
import select
import socket
import threading
import time
import tty
from collections import deque

BITS_PER_BYTE = 10          # start bit, 8 data bits, stop bit
MAX_UNREAD_OUTPUT = 65536   # bytes; beyond this nobody is reading, and the rest is lost


class Wire:
    """Virtual clocks of one serial line in both directions."""

    def __init__(self, baud):
        self.byte_time = BITS_PER_BYTE / baud
        self._incoming = deque()  # (arrival time, byte)
        self._last_arrival = 0.0
        self._outgoing = deque()  # (time the last byte has left, data)
        self._transmitter_free = 0.0

    def receive(self, data, read_time):
        """Bytes read from the port at read_time start their journey down the wire."""
        for byte in data:
            self._last_arrival = max(read_time, self._last_arrival) + self.byte_time
            self._incoming.append((self._last_arrival, byte))

    def arrived(self, now):
        """Takes the (arrival, byte) pairs that have arrived by now, in order."""
        while self._incoming and self._incoming[0][0] <= now:
            yield self._incoming.popleft()

    def transmit(self, data, ready):
        """Queues a reply that is ready at time ready."""
        start = max(ready, self._transmitter_free)
        self._transmitter_free = start + len(data) * self.byte_time
        self._outgoing.append((self._transmitter_free, data))

    def sent(self, now):
        """Takes the replies whose last byte has left the wire by now, in order."""
        while self._outgoing and self._outgoing[0][0] <= now:
            yield self._outgoing.popleft()[1]

    def next_due(self):
        times = [queue[0][0] for queue in (self._incoming, self._outgoing) if queue]
        return min(times) if times else None

    def cut(self):
        """The cable is pulled: whatever was on the wire is lost."""
        self._incoming.clear()
        self._outgoing.clear()


class PtyPort:
    """A pseudo-terminal: clients open the slave like a serial device.

    With link, a symbolic link PATH -> slave is kept (replaced atomically), so a client
    configured with PATH finds the device again after an unplug and re-plug, as udev does for
    /dev/focuser. The simulator keeps the slave open itself, so the pty lives while no client
    has it open.
    """

    def __init__(self, link=None):
        self.link = link
        self.slave_path = None
        self._master = None
        self._slave = None

    @property
    def device(self):
        return self.link or self.slave_path

    @property
    def plugged(self):
        return self._master is not None

    def open(self):
        if self.link and os.path.lexists(self.link) and not os.path.islink(self.link):
            raise FileExistsError(f'{self.link} exists and is not a symbolic link')
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)  # no echo, no line editing, no CR/LF translation
        os.set_blocking(self._master, False)
        self.slave_path = os.ttyname(self._slave)
        if self.link:
            temporary = f'{self.link}.{os.getpid()}.tmp'
            if os.path.lexists(temporary):
                os.unlink(temporary)
            os.symlink(self.slave_path, temporary)
            os.replace(temporary, self.link)

    def close(self):
        """The device disappears: clients holding it open get errors, and the link goes."""
        if self.link and os.path.islink(self.link) and os.readlink(self.link) == self.slave_path:
            os.unlink(self.link)
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def read_fds(self):
        return [self._master] if self._master is not None else []

    def write_fd(self):
        return self._master

    def read(self, fd):
        try:
            return os.read(fd, 4096)
        except (BlockingIOError, InterruptedError):
            return b''

    def write(self, data):
        """Writes what the pty takes now; returns how many bytes were taken."""
        try:
            return os.write(self._master, data)
        except BlockingIOError:
            return 0


class TcpPort:
    """A TCP listener on 127.0.0.1, like a serial-over-LAN terminal server: one client at a
    time (a second connection is closed at once); bytes sent while nobody is connected are
    lost. Port 0 picks a free port."""

    def __init__(self, port):
        self.port = port
        self._listener = None
        self._client = None

    @property
    def device(self):
        return f'socket://127.0.0.1:{self.port}'

    @property
    def plugged(self):
        return self._listener is not None

    def open(self):
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(('127.0.0.1', self.port))
        listener.listen(1)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener

    def close(self):
        for sock in (self._client, self._listener):
            if sock is not None:
                sock.close()
        self._client = self._listener = None

    def read_fds(self):
        return [sock.fileno() for sock in (self._listener, self._client) if sock is not None]

    def write_fd(self):
        return self._client.fileno() if self._client is not None else None

    def read(self, fd):
        if fd == self._listener.fileno():
            self._accept()
            return b''
        try:
            data = self._client.recv(4096)
        except (BlockingIOError, InterruptedError):
            return b''
        except OSError:
            data = b''
        if not data:  # the client hung up
            self._client.close()
            self._client = None
        return data

    def _accept(self):
        try:
            connection, _ = self._listener.accept()
        except BlockingIOError:
            return
        if self._client is not None:
            connection.close()
            return
        connection.setblocking(False)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._client = connection

    def write(self, data):
        if self._client is None:
            return len(data)
        try:
            return self._client.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            return len(data)


class Transport:
    """Serves one port for one controller, in one thread, at the pace of the wire.

    controller: receive(byte, t) -> reply bytes or None; next_due() -> time or None;
    advance(t). Every call into it is made holding lock, which the owner also holds when it
    touches the controller from other threads.
    """

    def __init__(self, port, controller, baud, lock):
        self.port = port
        self.controller = controller
        self.wire = Wire(baud)
        self.muted = False
        self.garble = None       # None, 'flip' (bytes corrupted) or 'truncate' (final LF lost)
        self.reply_delay = 0.0   # extra controller turnaround per reply, seconds
        self.bytes_received = 0
        self.bytes_sent = 0
        self._lock = lock
        self._unwritten = bytearray()
        self._tasks = deque()
        self._wake_read, self._wake_write = os.pipe()
        self._thread = None
        self._running = False

    # --- life cycle -------------------------------------------------------------------------------

    def start(self):
        self.port.open()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name='c863-simulator', daemon=True)
        self._thread.start()

    def close(self):
        """Stops the thread and closes everything; closing twice is harmless."""
        if self._thread is not None:
            self._running = False
            self._wake()
            self._thread.join()
            self._thread = None
        if self.port.plugged:
            self.port.close()
        if self._wake_read is not None:
            os.close(self._wake_read)
            os.close(self._wake_write)
            self._wake_read = self._wake_write = None

    # --- faults -----------------------------------------------------------------------------------

    def unplug(self):
        self._in_serving_thread(self._unplug)

    def _unplug(self):
        if self.port.plugged:
            self.port.close()
            self.wire.cut()
            self._unwritten.clear()

    def replug(self):
        self._in_serving_thread(self._replug)

    def _replug(self):
        if not self.port.plugged:
            self.port.open()

    def send_garbage(self, data):
        """Raw bytes to the client at once, unpaced, after whatever is already written."""
        self._in_serving_thread(lambda: self._unwritten.extend(data))

    def _in_serving_thread(self, task):
        """Runs task in the serving thread (which owns the port's file descriptors) and waits."""
        if self._thread is None or threading.current_thread() is self._thread:
            task()
            return
        done = threading.Event()
        failure = []

        def run():
            try:
                task()
            except Exception as e:  # handed to the caller, re-raised below
                failure.append(e)
            finally:
                done.set()
        self._tasks.append(run)
        self._wake()
        if not done.wait(10):
            raise TimeoutError('the simulator thread did not respond')
        if failure:
            raise failure[0]

    def _wake(self):
        os.write(self._wake_write, b'x')

    # --- the serving thread -----------------------------------------------------------------------

    def _serve(self):
        while self._running:
            with self._lock:
                timeout = self._service(time.monotonic())
            write_fd = self.port.write_fd() if self._unwritten else None
            readable, _, _ = select.select(self.port.read_fds() + [self._wake_read],
                                           [write_fd] if write_fd is not None else [], [], timeout)
            read_time = time.monotonic()
            for fd in readable:
                if fd == self._wake_read:
                    os.read(fd, 4096)
                else:
                    data = self.port.read(fd)
                    self.bytes_received += len(data)
                    self.wire.receive(data, read_time)
            while self._tasks:
                self._tasks.popleft()()

    def _service(self, now):
        """Delivers arrived bytes, fires due controller events, writes finished replies.
        Returns the select timeout: the time to the next due moment (None: nothing due)."""
        for arrival, byte in self.wire.arrived(now):
            self._advance(arrival)  # what the axis did before the byte came, first, in time order
            reply = self.controller.receive(byte, arrival)
            if reply and not self.muted:
                self.wire.transmit(self._garbled(reply), arrival + self.reply_delay)
        self._advance(now)
        for data in self.wire.sent(now):
            self._unwritten.extend(data)
        self._write()
        due = [time for time in (self.wire.next_due(), self.controller.next_due())
               if time is not None]
        return max(0.0, min(due) - now) if due else None

    def _advance(self, t):
        """Applies what the controller did by t (axis events, with their own times), and sends
        the report of a command that waited for it (native WS), if one became due."""
        deferred = self.controller.advance(t)
        if deferred and not self.muted:
            self.wire.transmit(self._garbled(deferred), t + self.reply_delay)

    def _garbled(self, reply):
        if self.garble == 'truncate':
            return reply[:-1]
        if self.garble == 'flip':
            return bytes(byte ^ 0x80 for byte in reply[:-1]) + reply[-1:]
        return reply

    def _write(self):
        if not self.port.plugged:
            self._unwritten.clear()  # nobody to hear it
        if not self._unwritten:
            return
        written = self.port.write(bytes(self._unwritten))
        self.bytes_sent += written
        del self._unwritten[:written]
        if len(self._unwritten) > MAX_UNREAD_OUTPUT:
            self._unwritten.clear()
