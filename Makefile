# Builds the four RPMs (server, client, python module, W1m data) from this working tree, with a
# UTC timestamp as the version (the rockit convention), and installs by hand on a development
# machine.
#
#   make                   the four .noarch.rpm files into RPMDIR (default: this directory)
#   make install           install on this machine (DESTDIR=<dir> to stage it elsewhere)
#   make clean             remove the build directory and the RPMs built here
#   make test              install what the tests need and run the whole test suite
#                          (PYTHON=python3.9 to run it on another interpreter)
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
SOURCES := setup.py rockit c863_focusd focus completion/focus config/onemetre.json \
           c863_focusd@.service 10-onemetre-redfocuser.rules

TOPDIR = $(abspath $(BUILDDIR))/rpmbuild
TARBALL = $(TOPDIR)/SOURCES/$(NAME)-$(VERSION).tar.gz

# Debian's rpm database is empty: it cannot see the python3 and setuptools that dpkg installed,
# so it would reject the spec's BuildRequires. Only there is rpmbuild told not to check them.
RPM_NODEPS := $(shell rpm -q --quiet --whatprovides python3 2> /dev/null || echo --nodeps)

.PHONY: all rpms check-rpmbuild install clean test test-deps simulate

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

# The same setuptools install as the spec, but the module goes where $(PYTHON) installs local
# packages. The unit starts /usr/bin/c863_focusd, so the scripts go to /usr/bin regardless.
# --root (even "/") makes setuptools install plain files rather than an egg.
install: $(SOURCES)
	mkdir -p $(BUILDDIR)/python
	$(PYTHON) setup.py egg_info --egg-base $(BUILDDIR)/python build --build-base $(BUILDDIR)/python \
	    install --root "$(DESTDIR)/" --install-scripts /usr/bin
	install -D -m 0644 c863_focusd@.service $(DESTDIR)/usr/lib/systemd/system/c863_focusd@.service
	install -D -m 0644 completion/focus $(DESTDIR)/etc/bash_completion.d/focus
	install -d $(DESTDIR)/etc/focusd
	@echo
	@echo "Installed the module, c863_focusd, focus, the systemd unit and the bash completion."
	@echo "It also needs Pyro4, pyserial and jsonschema"
	@echo "(Rocky: python3-Pyro4 python3-pyserial python3-jsonschema)."
	@echo "Next: copy a config to /etc/focusd/<name>.json, run systemctl daemon-reload,"
	@echo "then systemctl enable --now c863_focusd@<name>."

clean:
	rm -rf $(BUILDDIR)
	rm -f $(RPMDIR)/$(NAME)-*.noarch.rpm $(RPMDIR)/python3-$(NAME)-*.noarch.rpm

# The README's test command, and what CI runs. The RPM check needs rpmbuild: as root it is
# installed from the distribution (Debian: rpm, Rocky: rpm-build); otherwise we say how.
test: test-deps
	$(PYTHON) -m pytest

test-deps:
	@command -v rpmbuild > /dev/null || [ "$$(id -u)" != 0 ] || \
	    if command -v apt-get > /dev/null; then apt-get update -qq && apt-get install -y -qq rpm; \
	    else dnf install -y -q rpm-build; fi
	@command -v rpmbuild > /dev/null || { echo "rpmbuild not found: as root, install the rpm" \
	    "package (Debian) or rpm-build (Rocky), then run make test again" >&2; exit 1; }
	$(PIP_INSTALL) '.[test]'

# The README's first command: what the daemon and focus need (test-deps' install without the
# test tools, skipped when they are there already), then the daemon on the built-in simulator
# with config/test.json in the foreground until Ctrl-C. focus needs the same Python: in a
# virtual environment, the hint says to activate it in the other shell.
simulate:
	@$(PYTHON) -c 'import Pyro4, serial, jsonschema' 2> /dev/null || $(PIP_INSTALL) .
	@venv=$$($(PYTHON) -c 'import sys; print(sys.prefix if sys.prefix != sys.base_prefix else "")'); \
	echo "c863_focusd on the built-in simulator (config/test.json); Ctrl-C stops it."; \
	echo "Talk to it from another shell, in $(CURDIR):"; \
	if [ -n "$$venv" ]; then echo "    . $$venv/bin/activate"; fi; \
	echo "    FOCUSD_CONFIG_PATH=config/test.json ./focus status"; \
	echo "and likewise focus init, home, set 120000, offset -500, stop, json, kill."
	$(PYTHON) c863_focusd --simulate config/test.json
