# SPDX-License-Identifier: GPL-3.0-only
# Copyright (C) 2026 the rockit-focuser-c863 contributors; see LICENSE.
"""What the telescopes install: the four RPMs, the systemd unit and the udev rule.

The RPMs are built from this working tree with the Makefile, as `make` does on a fresh clone,
into a temporary directory, and read back with rpm the way an administrator would check them
before installing. rpmbuild is required, not optional: CI installs Debian's `rpm` package.
"""
import grp
import hashlib
import json
import os
import re
import shutil
import subprocess
from configparser import ConfigParser
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MODULE_DIR = REPO / 'rockit' / 'focuser' / 'c863'
MODULE_PACKAGE = 'python3-rockit-focuser-c863'
SERVER = 'rockit-focuser-c863-server'
CLIENT = 'rockit-focuser-c863-client'
DATA = 'rockit-focuser-c863-data-onemetre'
UNIT_PATH = '/usr/lib/systemd/system/c863_focusd@.service'
RULE_PATH = '/usr/lib/udev/rules.d/10-onemetre-redfocuser.rules'
SYSUSERS_PATH = '/usr/lib/sysusers.d/c863_focusd.conf'
COMPLETION_PATH = '/usr/share/bash-completion/completions/focus'

# Files copied verbatim into the packages: the packaged bytes must be the repository's.
VERBATIM = {
    UNIT_PATH: 'c863_focusd@.service',
    SYSUSERS_PATH: 'c863_focusd.sysusers',
    COMPLETION_PATH: 'completion/focus',
    '/etc/focusd/onemetre.json': 'config/onemetre.json',
    RULE_PATH: '10-onemetre-redfocuser.rules',
}

# Requirements that rpm's own generators add (library features, the interpreter a script or
# module needs, scriptlet shells, python metadata); everything else must be declared on purpose.
GENERATED_REQUIREMENT = re.compile(
    r'rpmlib\(.+\)( <= \S+)?'
    r'|python\(abi\) = 3\.\d+'
    r'|python3\.\d+dist\(.+\)( .+)?'
    r'|/usr/bin/python3(\.\d+)?'
    r'|/bin/sh'
    r'|config\(.+\) = \S+')

DIGEST_ALGORITHMS = {1: 'md5', 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224'}


def run(*command, cwd=None):
    """Run a command to completion, returning its CompletedProcess (text output)."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False,
                          env=environment_without_outer_make())


def environment_without_outer_make():
    """This environment minus an enclosing make's settings (e.g. `make test` running pytest),
    so the Makefile under test sees only the variables the test passes."""
    return {key: value for key, value in os.environ.items()
            if key not in ('MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'DESTDIR')}


def rpm_query(rpm_path, *options):
    """Lines printed by `rpm -qp <options> <rpm_path>`; fails the test if rpm does."""
    result = run('rpm', '-qp', *options, str(rpm_path))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


class Package:
    """One built RPM, as rpm reports it."""

    def __init__(self, path):
        self.path = path
        self.name, self.version, self.release, self.arch = rpm_query(
            path, '--qf', '%{NAME} %{VERSION} %{RELEASE} %{ARCH}')[0].split()
        self.requires = set(rpm_query(path, '--requires'))
        header, *rows = rpm_query(
            path, '--qf', '%{FILEDIGESTALGO}\n[%{FILEFLAGS:fflags}\t%{FILEMODES:perms}\t'
                          '%{FILEDIGESTS}\t%{FILENAMES}\n]')
        self.digest_algorithm = DIGEST_ALGORITHMS[int(header)] if header != '(none)' else None
        self.files = {}
        for row in rows:
            flags, perms, digest, name = row.split('\t')
            self.files[name] = {'flags': flags, 'perms': perms, 'digest': digest}

    @property
    def regular_files(self):
        return {name for name, info in self.files.items() if info['perms'].startswith('-')}

    @property
    def directories(self):
        return {name for name, info in self.files.items() if info['perms'].startswith('d')}

    @property
    def installed(self):
        """The files it installs, without its licence and documentation."""
        return {name for name in self.files
                if not name.startswith(('/usr/share/licenses/', '/usr/share/doc/'))}

    @property
    def licences(self):
        return {name for name in self.regular_files if name.startswith('/usr/share/licenses/')}


@pytest.fixture(scope='module')
def packages(tmp_path_factory):
    """Build the RPMs once with `make` and read them back: {package name: Package}."""
    if shutil.which('rpmbuild') is None:
        pytest.fail('rpmbuild not found: install the rpm package '
                    '(Debian: apt-get install rpm; Rocky: dnf install rpm-build)')
    out = tmp_path_factory.mktemp('rpm')
    result = run('make', '-C', str(REPO), f'BUILDDIR={out / "build"}', f'RPMDIR={out / "rpms"}')
    assert result.returncode == 0, f'make failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}'
    built = [Package(path) for path in sorted((out / 'rpms').glob('*.rpm'))]
    return {package.name: package for package in built}


def test_make_builds_the_four_noarch_packages_with_a_utc_timestamp_version(packages):
    assert set(packages) == {SERVER, CLIENT, MODULE_PACKAGE, DATA}
    versions = {(package.version, package.release) for package in packages.values()}
    assert len(versions) == 1, versions
    version, release = versions.pop()
    assert release == '1'
    built_at = datetime.strptime(version, '%Y%m%d%H%M%S').replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - built_at) < timedelta(hours=1), \
        f'version {version} is not the UTC time of the build'
    assert {package.arch for package in packages.values()} == {'noarch'}


def test_server_package_holds_the_daemon_its_unit_and_its_user(packages):
    server = packages[SERVER]
    assert server.installed == {'/usr/bin/c863_focusd', UNIT_PATH, SYSUSERS_PATH}
    assert server.files['/usr/bin/c863_focusd']['perms'] == '-rwxr-xr-x'


def test_client_package_holds_focus_and_its_completion(packages):
    client = packages[CLIENT]
    assert client.installed == {'/usr/bin/focus', COMPLETION_PATH}
    assert client.files['/usr/bin/focus']['perms'] == '-rwxr-xr-x'


def test_data_package_holds_the_onemetre_config_and_udev_rule(packages):
    data = packages[DATA]
    assert data.installed == {'/etc/focusd', '/etc/focusd/onemetre.json', RULE_PATH}
    assert data.directories & data.installed == {'/etc/focusd'}
    assert data.files['/etc/focusd/onemetre.json']['flags'] == 'cn', \
        'onemetre.json must be %config(noreplace), so upgrades keep local edits'


def test_module_package_holds_every_module_and_no_namespace_init(packages):
    """Every file of the module directory: the modules and their data (the Alpaca setup page)."""
    module = packages[MODULE_PACKAGE]
    sitelib = site_packages_of(module)
    sources = {path.relative_to(REPO).as_posix() for path in MODULE_DIR.rglob('*')
               if path.is_file() and '__pycache__' not in path.parts}
    packaged = {name[len(sitelib) + 1:] for name in module.regular_files
                if name.startswith(f'{sitelib}/rockit/') and '/__pycache__/' not in name}
    assert packaged == sources
    assert not {f'{sitelib}/rockit/__init__.py', f'{sitelib}/rockit/focuser/__init__.py'} \
        & set(module.files), 'rockit and rockit.focuser are namespace packages'
    [dist_info] = [name for name in module.directories if name.endswith('.dist-info')]
    outside = {name for name in module.installed
               if not name.startswith((f'{sitelib}/rockit/focuser/c863', dist_info))}
    assert outside == {f'{sitelib}/rockit', f'{sitelib}/rockit/focuser'}, 'co-owned directories'


def test_module_metadata_carries_the_rpm_version(packages):
    """pip and importlib.metadata report the version rpm does (not a dead 1.0.0): the
    dist-info directory is named after the version in its METADATA."""
    module = packages[MODULE_PACKAGE]
    [dist_info] = [name for name in module.directories if name.endswith('.dist-info')]
    sitelib = site_packages_of(module)
    assert re.fullmatch(rf'{sitelib}/rockit[._]focuser[._]c863-{module.version}\.dist-info',
                        dist_info)
    assert f'{dist_info}/METADATA' in module.regular_files


def test_every_package_carries_the_gpl3_licence_the_spec_declares(packages):
    license_text = (REPO / 'LICENSE').read_text()
    assert 'GNU GENERAL PUBLIC LICENSE' in license_text and 'Version 3, 29 June 2007' in license_text
    for package in packages.values():
        [licence] = package.licences
        assert licence.endswith('/LICENSE')
        assert rpm_query(package.path, '--qf', '%{LICENSE}') == ['GPL-3.0-only']


def site_packages_of(module):
    """The site-packages directory the module package installs into (platform dependent)."""
    [init] = [name for name in module.files if name.endswith('/rockit/focuser/c863/__init__.py')]
    sitelib = init[:-len('/rockit/focuser/c863/__init__.py')]
    assert re.fullmatch(r'/usr/lib/python3\.\d+/site-packages', sitelib), sitelib
    return sitelib


def test_packaged_files_are_the_repository_files(packages):
    """Catches a stale or wrong file being packaged: compares digests rpm recorded."""
    for package in packages.values():
        for name in package.regular_files:
            info = package.files[name]
            source = VERBATIM.get(name) or module_source(name)
            if source is None:
                continue
            digest = hashlib.new(package.digest_algorithm, (REPO / source).read_bytes())
            assert info['digest'] == digest.hexdigest(), f'{name} in {package.name} != {source}'


def module_source(installed_name):
    """The repository path of an installed module file, or None for anything else."""
    match = re.search(r'/site-packages/(rockit/focuser/c863/(?:[^/]+/)*[^/]+)$', installed_name)
    return match.group(1) if match and '__pycache__' not in installed_name else None


@pytest.mark.parametrize('name, declared', [
    (SERVER, {f'{MODULE_PACKAGE} = {{version}}-1', 'python3-pyserial', 'systemd'}),
    (CLIENT, {f'{MODULE_PACKAGE} = {{version}}-1'}),
    (MODULE_PACKAGE, {'python3-Pyro4', 'python3-pyserial', 'python3-jsonschema', 'python3-falcon',
                      'python3-waitress'}),
    (DATA, set()),
])
def test_package_requires_what_it_needs_and_nothing_unexpected(packages, name, declared):
    package = packages[name]
    declared = {requirement.format(version=package.version) for requirement in declared}
    assert declared <= package.requires
    unexpected = {requirement for requirement in package.requires - declared
                  if not GENERATED_REQUIREMENT.fullmatch(requirement)}
    assert not unexpected


@pytest.mark.parametrize('name', [SERVER, CLIENT])
def test_scripts_run_with_the_system_python3(packages, name):
    """rpm derives the interpreter requirement from the shebang: it must be the system python3
    (the one whose site-packages holds the module), never env or the build machine's python."""
    interpreters = {requirement for requirement in packages[name].requires
                    if requirement.startswith('/') and requirement != '/bin/sh'}
    assert len(interpreters) == 1 and re.fullmatch(r'/usr/bin/python3(\.\d+)?',
                                                   interpreters.pop())


def read_unit():
    """The unit's [Unit]/[Service]/[Install] settings (last value wins for repeated keys)."""
    parser = ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(REPO / 'c863_focusd@.service')
    return parser


def test_systemd_analyze_accepts_an_instance_of_the_unit(tmp_path):
    analyze = shutil.which('systemd-analyze')
    if analyze is None:
        pytest.fail('systemd-analyze not found: install the systemd package')
    instance = tmp_path / 'c863_focusd@onemetre.service'
    shutil.copyfile(REPO / 'c863_focusd@.service', instance)
    result = run(analyze, 'verify', '--man=no', str(instance))
    complaints = [line for line in (result.stdout + result.stderr).splitlines()
                  if 'c863_focusd@' in line]
    assert result.returncode == 0 and not complaints, result.stdout + result.stderr


def test_unit_starts_the_packaged_daemon_on_the_packaged_config(packages):
    service = read_unit()['Service']
    command = service['ExecStart'].split()
    assert command[:3] == ['/usr/bin/env', 'python3', '-u']
    assert command[3] in packages[SERVER].files
    assert command[4:] == ['/etc/focusd/%i.json']
    assert '/etc/focusd/onemetre.json' in packages[DATA].files


def test_unit_is_notify_type_with_a_watchdog_and_restarts_on_failure():
    unit = read_unit()
    assert unit['Unit']['Description'] == 'PI C-863 focuser daemon (%i)'
    assert unit['Service']['Type'] == 'notify'
    assert unit['Service']['NotifyAccess'] == 'main'
    assert int(unit['Service']['WatchdogSec']) > 0
    assert unit['Service']['Restart'] == 'on-failure'
    assert unit['Install']['WantedBy'] == 'multi-user.target'


def test_sysusers_file_creates_the_units_user_in_the_serial_port_group(tmp_path):
    """What the server RPM's %post does, into an empty root: the user the unit runs as, in
    the group the udev rule gives /dev/focuser, with no login."""
    sysusers = shutil.which('systemd-sysusers')
    if sysusers is None:
        pytest.fail('systemd-sysusers not found: install the systemd package')
    (tmp_path / 'etc').mkdir()
    result = subprocess.run([sysusers, f'--root={tmp_path}', '-'], capture_output=True, text=True,
                            input=(REPO / 'c863_focusd.sysusers').read_text(), check=False)
    assert result.returncode == 0, result.stderr
    service = read_unit()['Service']
    passwd = {line.split(':')[0]: line.split(':') for line in
              (tmp_path / 'etc/passwd').read_text().splitlines()}
    user = passwd[service['User']]
    assert user[6] == '/usr/sbin/nologin'
    groups = {line.split(':')[0]: line.split(':') for line in
              (tmp_path / 'etc/group').read_text().splitlines()}
    assert groups[service['Group']][2] == user[3], 'the unit\'s Group is the user\'s own group'
    [rule] = udev_rules()
    device_group = {key: value for key, _, _, value in parse_udev_rule(rule)}['GROUP']
    assert groups[device_group][3].split(',') == [service['User']]


# udev rule syntax (udev(7)): comma-separated KEY[{attribute}]OPERATOR"value" pairs per line.
UDEV_PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?'    # KEY or KEY{attribute}
                       r'\s*(==|!=|\+=|-=|:=|=)'            # operator
                       r'\s*"((?:[^"\\]|\\.)*)"\s*')       # "value", backslash escapes
UDEV_MATCH_ONLY = {'ACTION', 'DEVPATH', 'KERNEL', 'KERNELS', 'SUBSYSTEM', 'SUBSYSTEMS', 'DRIVER',
                   'DRIVERS', 'ATTRS', 'TAGS', 'TEST', 'PROGRAM', 'RESULT', 'CONST'}
UDEV_ASSIGN_ONLY = {'OWNER', 'GROUP', 'MODE', 'SECLABEL', 'RUN', 'LABEL', 'GOTO', 'IMPORT',
                    'OPTIONS'}
UDEV_EITHER = {'NAME', 'SYMLINK', 'ATTR', 'SYSCTL', 'ENV', 'TAG'}


def parse_udev_rule(line):
    """[(key, attribute, operator, value)] of one rule line; fails the test on bad syntax."""
    pairs, position = [], 0
    while position < len(line):
        match = UDEV_PAIR.match(line, position)
        assert match, f'unparsable udev rule text at: {line[position:]!r}'
        pairs.append(match.groups())
        position = match.end()
        if position < len(line):
            assert line[position] == ',', f'expected "," at: {line[position:]!r}'
            position += 1
    for key, _, operator, _ in pairs:
        assert key in UDEV_MATCH_ONLY | UDEV_ASSIGN_ONLY | UDEV_EITHER, f'unknown key {key}'
        is_match = operator in ('==', '!=')
        assert not (is_match and key in UDEV_ASSIGN_ONLY), f'{key} cannot be matched'
        assert is_match or key not in UDEV_MATCH_ONLY, f'{key} cannot be assigned'
    return pairs


def udev_rules():
    """Rule lines of the repository's rule file, without comments and blank lines."""
    text = (REPO / '10-onemetre-redfocuser.rules').read_text().replace('\\\n', '')
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


def test_udev_rule_names_the_pi_controller_dev_focuser_without_world_access():
    [rule] = udev_rules()
    pairs = parse_udev_rule(rule)
    matches = {(key, attribute, value) for key, attribute, operator, value in pairs
               if operator == '=='}
    assert matches == {('SUBSYSTEM', None, 'tty'), ('ATTRS', 'idVendor', '1a72'),
                       ('ATTRS', 'idProduct', '1007')}
    assignments = {key: (operator, value) for key, _, operator, value in pairs
                   if operator not in ('==', '!=')}
    config = json.loads((REPO / 'config' / 'onemetre.json').read_text())
    assert assignments['SYMLINK'] == ('+=', config['serial_port'][len('/dev/'):])
    operator, mode = assignments['MODE']
    assert operator == '=' and re.fullmatch(r'0[0-7]{3}', mode)
    assert int(mode, 8) & 0o007 == 0, 'the focuser port must not be world-accessible'
    operator, group = assignments['GROUP']
    assert operator == '=' and group in {entry.gr_name for entry in grp.getgrall()}, \
        f'group {group} does not exist here'
    assert_udevadm_verify_accepts_the_rule()


def assert_udevadm_verify_accepts_the_rule():
    """`udevadm verify` exists from systemd 254; on older hosts the parser above is the check."""
    udevadm = shutil.which('udevadm')
    if udevadm is None or run(udevadm, 'verify', '--help').returncode != 0:
        return
    result = run(udevadm, 'verify', str(REPO / '10-onemetre-redfocuser.rules'))
    assert result.returncode == 0, result.stdout + result.stderr


def test_make_install_stages_scripts_unit_completion_and_module(tmp_path):
    stage = tmp_path / 'stage'
    result = run('make', '-C', str(REPO), 'install', f'DESTDIR={stage}',
                 f'BUILDDIR={tmp_path / "build"}')
    assert result.returncode == 0, f'{result.stdout[-3000:]}\n{result.stderr[-3000:]}'
    for script in ('usr/bin/c863_focusd', 'usr/bin/focus'):
        assert os.access(stage / script, os.X_OK), script
    for installed, source in VERBATIM.items():
        if source not in ('config/onemetre.json', '10-onemetre-redfocuser.rules'):
            assert (stage / installed.lstrip('/')).read_bytes() == (REPO / source).read_bytes()
    assert (stage / 'etc/focusd').is_dir()
    installed = list(stage.rglob('rockit/focuser/c863/__init__.py'))
    assert len(installed) == 1
    [metadata] = stage.rglob('rockit[._]focuser[._]c863-*.dist-info/METADATA')
    [version] = re.findall(r'^Version: (.+)$', metadata.read_text(), re.MULTILINE)
    built_at = datetime.strptime(version, '%Y%m%d%H%M%S').replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - built_at) < timedelta(hours=1), \
        f'make install gave the module version {version}, not the UTC time of the build'
    assert (REPO / 'VERSION').read_text().strip() == '0.dev0', \
        'make install must not change the checkout, whose version says it is a development one'


def test_make_clean_removes_only_what_make_built(tmp_path):
    build, rpms = tmp_path / 'build', tmp_path / 'rpms'
    (build / 'rpmbuild').mkdir(parents=True)
    rpms.mkdir()
    ours = [rpms / f'{name}-20260101000000-1.noarch.rpm'
            for name in (SERVER, CLIENT, MODULE_PACKAGE, DATA)]
    someone_elses = rpms / 'python3-Pyro4-4.82-1.noarch.rpm'
    for path in ours + [someone_elses]:
        path.touch()
    result = run('make', '-C', str(REPO), 'clean', f'BUILDDIR={build}', f'RPMDIR={rpms}')
    assert result.returncode == 0, result.stderr
    assert not build.exists()
    assert [path.name for path in rpms.iterdir()] == [someone_elses.name]


SOURCE_SUFFIXES = ('.py', '.js', '.css', '.html')


def test_every_source_file_carries_the_licence_the_packages_declare():
    tracked = subprocess.run(['git', 'ls-files'], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    sources = [name for name in tracked
               if name.endswith(SOURCE_SUFFIXES) or (REPO / name).read_bytes().startswith(b'#!')]
    assert len(sources) > 50
    unlicensed = [name for name in sources if 'SPDX-License-Identifier: GPL-3.0-only' not in (REPO / name).read_text()]
    assert unlicensed == []
    metadata = ConfigParser()
    metadata.read(REPO / 'setup.cfg')
    assert metadata['metadata']['license'] == 'GPL-3.0-only'
