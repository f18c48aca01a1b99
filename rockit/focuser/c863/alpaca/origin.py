# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""Whether a setup command comes from the setup page itself: the Host, Origin and
Sec-Fetch-Site rule.

The caller's IP address alone does not say who sent a request: a page from any web site, open in
a browser on a control machine, can make that browser POST to the daemon (a form, or a no-cors
fetch), and DNS rebinding can even make such a page same-origin under a name of the attacker's.
A browser cannot forge these headers, so a command is taken only when
- Host names this machine (so a rebound name is refused), on alpaca_port;
- Origin, if sent, is this server's own origin (http://<that Host>);
- Sec-Fetch-Site, if sent, is same-origin.
Clients that are not browsers send no Origin or Sec-Fetch-Site and pass on Host alone.
"""
import ipaddress
import socket

HTTP_DEFAULT_PORT = 80


def machine_names(daemon_host, http_hosts=()):
    """The host names this machine answers to in Host: its configured address, its own names,
    localhost and the config's http_hosts (loopback addresses pass in refusal() itself)."""
    names = {daemon_host, socket.gethostname(), socket.getfqdn(), 'localhost', *http_hosts}
    return frozenset(_normal(name) for name in names)


def refusal(host, origin, fetch_site, names, port):
    """(HTTP status code, one line of text) refusing the request, or None to take it.

    host, origin and fetch_site are the header values (None when absent); names are
    machine_names(); port is the port the server listens on. A pure function.
    """
    problem = host_problem(host, names, port)
    if problem:
        return 421, problem
    if origin is not None and origin.lower() != f'http://{host.lower()}':
        return 403, f'Origin {origin} is not this server (http://{host}): only the setup page itself may command'
    if fetch_site is not None and fetch_site.lower() != 'same-origin':
        return 403, f'Sec-Fetch-Site is {fetch_site}: only the setup page itself may command'
    return None


def host_problem(host, names, port):
    """Why the Host header does not name this machine on port, or None if it does."""
    if not host:
        return 'no Host header: a setup command must name this machine'
    parsed = _split(host)
    if parsed is None:
        return f'Host {host!r} is not a host name with an optional port'
    name, host_port = parsed
    if host_port != port:
        return f'Host {host} names port {host_port}, not this server\'s {port}'
    if name not in names and not _is_loopback(name):
        return (f'Host {host} does not name this machine (add the name to http_hosts in the config '
                f'if it should)')
    return None


def _split(host):
    """(normalised name, port) of a Host header value, or None if it is not one."""
    if host.startswith('['):
        name, bracket, rest = host[1:].partition(']')
        if not bracket:
            return None
    else:
        name, colon, port = host.partition(':')
        rest = colon + port
    digits = rest[1:]
    if not name or (rest and not (rest.startswith(':') and digits.isascii() and digits.isdigit())):
        return None
    return _normal(name), int(digits) if rest else HTTP_DEFAULT_PORT


def _normal(name):
    """A host name as compared: lower case, without the root's trailing dot."""
    return name.lower().rstrip('.')


def _is_loopback(name):
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
