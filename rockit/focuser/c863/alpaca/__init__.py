# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""ASCOM Alpaca for c863_focusd: the focuser as Alpaca device focuser/0, UDP discovery and the
live setup pages, served beside Pyro when the config sets alpaca_port (doc/design.md section 3.3).

The protocol facts it relies on are in doc/alpaca.md. Imported as rockit.focuser.c863.alpaca
only: the alpyca client library's top-level package is also called `alpaca`.

  protocol.py    what every Alpaca request and response carries: parameters, transaction IDs, errors
  device.py      the IFocuserV4 members, mapped onto the daemon's public methods and its report
  management.py  the management API: versions, server description, configured devices
  setuppage.py   the setup pages' live state and controls (a small JSON API)
  origin.py      whether a request comes from the setup page itself (Host, Origin, Sec-Fetch-Site)
  app.py         the Falcon application: routes to the resources above
  discovery.py   the UDP discovery responder
  server.py      the WSGI server (waitress: bounded workers) and its life cycle
"""
from .server import AlpacaServer

__all__ = ['AlpacaServer']
