# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
# Builds the four RPMs (server, client, python module, W1m data) from this working tree, with a
# UTC timestamp as the version (the rockit convention), and installs by hand on a development
# machine.
#
#   make                   the four .noarch.rpm files into RPMDIR (default: this directory)
#   make install           install on this machine (DESTDIR=<dir> to stage it elsewhere)
#   make clean             remove the build directory and the RPMs built here
#   make test              install what the tests need, lint, and run the whole test suite
#                          (PYTHON=python3.9 to run it on another interpreter)
#   make lint              ruff over the whole tree (its rules and exceptions: ruff.toml)
#   make simulate          install what the daemon needs and run it on the built-in simulator
#
# BUILDDIR (default build/) holds the private rpmbuild tree; `make BUILDDIR=/tmp/x RPMDIR=/tmp/y`
# builds without writing into the working tree.

NAME := rockit-focuser-c863
VERSION := $(shell date --utc +%Y%m%d%H%M%S)
BUILDDIR ?= build
RPMDIR ?= .
PYTHON ?= python3
PIP_INSTALL = $(PYTHON) -m pip install --quiet --disable-pip-version-check -e

# What the spec installs, and nothing else (no tests, no caches).
SOURCES := pyproject.toml setup.cfg setup.py VERSION LICENSE README.md rockit c863_focusd focus \
           completion/focus config/onemetre.json c863_focusd@.service c863_focusd.sysusers \
           10-onemetre-redfocuser.rules

TOPDIR = $(abspath $(BUILDDIR))/rpmbuild
TARBALL = $(TOPDIR)/SOURCES/$(NAME)-$(VERSION).tar.gz
STAGE = $(abspath $(BUILDDIR))/python/$(NAME)-$(VERSION)

# Debian's rpm database is empty: it cannot see the python3 and setuptools that dpkg installed,
# so it would reject the spec's BuildRequires. Only there is rpmbuild told not to check them.
RPM_NODEPS := $(shell rpm -q --quiet --whatprovides python3 2> /dev/null || echo --nodeps)

.PHONY: all rpms check-rpmbuild install clean test test-deps lint simulate

all: rpms

rpms: check-rpmbuild $(SOURCES) $(NAME).spec
	rm -rf $(TOPDIR)
	mkdir -p $(TOPDIR)/SOURCES $(RPMDIR)
	tar --create --gzip --file $(TARBALL) --exclude=__pycache__ --exclude='*.pyc' \
	    --transform 's,^,$(NAME)-$(VERSION)/,' $(SOURCES)
	rpmbuild -bb $(RPM_NODEPS) \
	    --define "_topdir $(TOPDIR)" \
	    --define "_rpmdir $(abspath $(RPMDIR))" \
	    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
	    --define "_version $(VERSION)" \
	    $(NAME).spec

check-rpmbuild:
	@command -v rpmbuild > /dev/null || { echo "rpmbuild not found: install the rpm package" \
	    "(Debian: apt-get install rpm; Rocky: dnf install rpm-build)" >&2; exit 1; }

# The same pip install of a wheel as the spec, but the module goes where $(PYTHON) installs
# local packages; it carries this build's version, from a copy of the sources (the working tree
# keeps its development version). The unit starts /usr/bin/c863_focusd, so the scripts, whose
# shebang is $(PYTHON), move to /usr/bin.
install: $(SOURCES)
	@$(PYTHON) -c 'import setuptools, wheel' 2> /dev/null || { echo "make install needs" \
	    "setuptools and wheel for $(PYTHON) ($(PYTHON) -m pip install setuptools wheel;" \
	    "Rocky: dnf install python3-setuptools python3-wheel)" >&2; exit 1; }
	rm -rf $(STAGE)
	mkdir -p $(STAGE)
	tar --create --exclude=__pycache__ --exclude='*.pyc' $(SOURCES) | tar --extract -C $(STAGE)
	echo $(VERSION) > $(STAGE)/VERSION
	$(PYTHON) -m pip install --no-deps --no-index --no-build-isolation --disable-pip-version-check \
	    --no-warn-script-location --root "$(DESTDIR)/" $(STAGE)
	scripts=$$($(PYTHON) -c 'import sysconfig; print(sysconfig.get_path("scripts"))'); \
	if [ "$$scripts" != /usr/bin ]; then \
	    install -d $(DESTDIR)/usr/bin && \
	    mv $(DESTDIR)$$scripts/c863_focusd $(DESTDIR)$$scripts/focus $(DESTDIR)/usr/bin/; \
	fi
	install -D -m 0644 c863_focusd.sysusers $(DESTDIR)/usr/lib/sysusers.d/c863_focusd.conf
	install -D -m 0644 c863_focusd@.service $(DESTDIR)/usr/lib/systemd/system/c863_focusd@.service
	install -D -m 0644 completion/focus $(DESTDIR)/usr/share/bash-completion/completions/focus
	install -d $(DESTDIR)/etc/focusd
	@echo
	@echo "Installed the module, c863_focusd, focus, the systemd unit, its user's sysusers.d file"
	@echo "and the bash completion."
	@echo "It also needs Pyro4, pyserial and jsonschema, and with alpaca_port falcon and waitress"
	@echo "(Rocky: python3-Pyro4 python3-pyserial python3-jsonschema python3-falcon python3-waitress,"
	@echo "the last two from EPEL; Debian: python3-pyro4 python3-serial python3-jsonschema"
	@echo "python3-falcon python3-waitress)."
	@echo "Next: systemd-sysusers (creates the daemon's user c863_focusd, in dialout),"
	@echo "copy a config to /etc/focusd/<name>.json, run systemctl daemon-reload,"
	@echo "then systemctl enable --now c863_focusd@<name>."

clean:
	rm -rf $(BUILDDIR)
	rm -f $(RPMDIR)/$(NAME)-*.noarch.rpm $(RPMDIR)/python3-$(NAME)-*.noarch.rpm

# The README's test command, and what CI runs. The packaging checks need rpmbuild, the system
# python3 that the spec builds with (pip, setuptools, wheel), systemd's tools (systemd-analyze,
# systemd-sysusers) and rpmlint: as root they are installed from the distribution when missing;
# otherwise we say what to install.
test: lint
	$(PYTHON) -m pytest

lint: test-deps
	$(PYTHON) -m ruff check .

HAVE_PACKAGING_TOOLS = command -v rpmbuild && command -v systemd-analyze && \
    command -v systemd-sysusers && command -v rpmlint && /usr/bin/python3 -c 'import setuptools, wheel, pip'
DEBIAN_PACKAGING_TOOLS = rpm systemd rpmlint python3-pip python3-setuptools python3-wheel
ROCKY_PACKAGING_TOOLS = rpm-build systemd rpmlint python3-pip python3-setuptools python3-wheel

test-deps:
	@{ $(HAVE_PACKAGING_TOOLS); } > /dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
	    if command -v apt-get > /dev/null; then \
	        apt-get update -qq && apt-get install -y -qq $(DEBIAN_PACKAGING_TOOLS); \
	    else dnf install -y -q $(ROCKY_PACKAGING_TOOLS); fi
	@{ $(HAVE_PACKAGING_TOOLS); } > /dev/null 2>&1 || { echo "the packaging checks need" \
	    "rpmbuild, systemd-analyze, rpmlint and pip, setuptools and wheel for /usr/bin/python3:" \
	    "as root, install $(DEBIAN_PACKAGING_TOOLS) (Debian) or $(ROCKY_PACKAGING_TOOLS) (Rocky)," \
	    "then run make test again" >&2; exit 1; }
	@command -v chromium > /dev/null && command -v chromedriver > /dev/null || [ "$$(id -u)" != 0 ] || \
	    if command -v apt-get > /dev/null; then \
	        apt-get update -qq && apt-get install -y -qq chromium chromium-driver; \
	    else dnf install -y -q chromium chromedriver; fi
	$(PIP_INSTALL) '.[test]'

# The README's first command: what the daemon and focus need, alpaca_port's falcon and waitress
# included (test-deps' install without the test tools, skipped when they are there already),
# then the daemon on the built-in simulator with config/test.json in the foreground until Ctrl-C. A distribution's own Python outside a
# virtual environment may refuse pip (PEP 668, Debian 12): as root the distribution's packages
# are installed instead. focus needs the same Python: in a virtual environment, the hint says to
# activate it in the other shell.
simulate:
	@if $(PYTHON) -c 'import Pyro4, serial, jsonschema, falcon, waitress' 2> /dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get > /dev/null && $(PYTHON) -c 'import os, sys, \
	        sysconfig; sys.exit(sys.prefix != sys.base_prefix or not os.path.exists(os.path.join( \
	        sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")))'; then \
	    apt-get update -qq && apt-get install -y -qq python3-pyro4 python3-serial python3-jsonschema \
	        python3-falcon python3-waitress; \
	else $(PIP_INSTALL) .; fi
	@venv=$$($(PYTHON) -c 'import sys; print(sys.prefix if sys.prefix != sys.base_prefix else "")'); \
	echo "c863_focusd on the built-in simulator (config/test.json); Ctrl-C stops it."; \
	echo "Talk to it from another shell, in $(CURDIR):"; \
	if [ -n "$$venv" ]; then echo "    . $$venv/bin/activate"; fi; \
	echo "    FOCUSD_CONFIG_PATH=config/test.json ./focus status"; \
	echo "and likewise focus init, home, set 120000, offset -500, stop, json, kill."
	$(PYTHON) c863_focusd --simulate config/test.json
