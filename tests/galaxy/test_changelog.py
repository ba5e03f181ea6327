# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The release of galaxy.yml's version in changelogs/changelog.yaml: once released the checkout's own entry;
before that, the entry antsibull-changelog makes in a scratch copy of the checkout (a dry run: the checkout's
changelogs/ stay as they are). galaxy.yml holds the next release's version (0.4.0) from the day after a release
(0.3.0 was released on 2026-12-07).

- version_added is consistent: a plugin says the first release that lists it in changelogs/changelog.yaml (0.1.0,
  0.3.0), and galaxy.yml's version when no release lists it yet; nothing says 0.2.0 (never released).
- ``antsibull-changelog release --version <galaxy.yml version>`` lists every new module, plugin (lookup,
  filter, test) and playbook under New Modules/Plugins/Playbooks, and its change entries name every role
  option that is new since 0.1.0 (``version_added`` in the roles' meta/argument_specs.yml).

Releasing: ``antsibull-changelog release --version <version>`` in the checkout (docs/tooling.md, "Releasing"),
then galaxy.yml's version goes to the next one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((REPO / 'galaxy.yml').read_text())
VERSION = GALAXY['version']
CHANGELOG = yaml.safe_load((REPO / 'changelogs' / 'changelog.yaml').read_text())
RELEASED = CHANGELOG['releases']
# Role options of the 0.1.0 release (roles/*/meta/argument_specs.yml at 659b754, the last commit of 0.1.0's
# changelog): the options without version_added. A release never changes, so the list is fixed here.
OPTIONS_0_1_0 = {
    'ntp_server': {
        'allowed_networks', 'cert_lifetime', 'cert_renew_before_days', 'crypto_password', 'digest', 'export_dir',
        'firewall', 'group_name', 'host_name', 'identity_modulus', 'key_modulus', 'keysdir', 'orphan_stratum',
        'orphan_wait', 'regenerate', 'upstream_servers'},
    'ntp_client': {
        'cert_lifetime', 'cert_renew_before_days', 'crypto_password', 'digest', 'export_dir', 'firewall',
        'host_name', 'key_modulus', 'keysdir', 'maxpoll', 'minpoll', 'regenerate', 'servers', 'step_clock',
        'verify', 'verify_delay', 'verify_timeout'},
}
PLUGIN_DIRS = {'module': 'modules', 'lookup': 'lookup', 'filter': 'filter', 'test': 'test'}


def released_in(version):
    """(type, name) of every module and plugin a released version of changelog.yaml lists."""
    release = RELEASED.get(version, {})
    found = {('module', m['name']) for m in release.get('modules', [])}
    for kind, plugins in release.get('plugins', {}).items():
        found |= {(kind, p['name']) for p in plugins}
    return found


def plugin_versions():
    """{(type, name): the plugin's version_added} from the plugin files."""
    versions = {}
    for kind, directory in PLUGIN_DIRS.items():
        for path in sorted((REPO / 'plugins' / directory).glob('*.py')):
            match = re.search(r'(?m)^version_added: *"?([0-9.]+)"?$', path.read_text())
            versions[(kind, path.stem)] = match.group(1) if match else None
    return versions


def new_role_options():
    """{role: [options with version_added VERSION]} and the options without version_added, per role."""
    new, old = {}, {}
    for role in OPTIONS_0_1_0:
        options = yaml.safe_load((REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())
        options = options['argument_specs']['main']['options']
        new[role] = sorted(n for n, spec in options.items() if str(spec.get('version_added', '')) == VERSION)
        old[role] = sorted(n[len(role) + 1:] for n, spec in options.items() if 'version_added' not in spec)
    return new, old


def first_release(key):
    """The first released version that lists a (type, name), else galaxy.yml's version (the next release)."""
    for version in sorted(RELEASED, key=lambda v: tuple(int(part) for part in v.split('.'))):
        if key in released_in(version):
            return version
    return VERSION


def test_released_versions():
    """0.1.0 and 0.3.0 (0.2.0 never was), and galaxy.yml's version once it is released."""
    assert sorted(RELEASED) in (['0.1.0', '0.3.0'], ['0.1.0', '0.3.0', VERSION]), sorted(RELEASED)


def test_version_added_is_consistent():
    versions = plugin_versions()
    for key, version in sorted(versions.items()):
        expected = first_release(key)
        assert version == expected, '%s %s: version_added %s, expected %s' % (key[0], key[1], version, expected)
    for path in sorted((REPO / 'plugins').rglob('*.py')):
        assert 'version_added: 0.2.0' not in path.read_text(), '%s names 0.2.0, which was never released' % path
    new, old = new_role_options()
    for role, names in old.items():
        assert set(names) == OPTIONS_0_1_0[role], (
            '%s: options without version_added must be those of 0.1.0; give the others version_added: %s: %s'
            % (role, VERSION, sorted(set(names) ^ OPTIONS_0_1_0[role])))
    for role in new:
        text = (REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text()
        assert 'version_added: 0.2.0' not in text


@pytest.fixture(scope='module')
def release(tmp_path_factory):
    """changelog.yaml's entry for VERSION: the checkout's own once released, else the one antsibull-changelog
    release makes in a scratch copy."""
    if VERSION in RELEASED:
        assert (REPO / 'CHANGELOG.md').read_text().count('v%s' % VERSION.replace('.', r'\.')) > 0
        return RELEASED[VERSION]
    copy = tmp_path_factory.mktemp('changelog') / 'ntp'
    files = subprocess.run(['git', 'ls-files', '-co', '--exclude-standard', '-z'], cwd=str(REPO), check=True,
                           capture_output=True, text=True).stdout.split('\0')
    for name in filter(None, files):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(str(source), str(copy / name))
    proc = subprocess.run(['antsibull-changelog', 'release', '--version', VERSION, '--date', '2026-12-31'],
                          cwd=str(copy), capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    releases = yaml.safe_load((copy / 'changelogs' / 'changelog.yaml').read_text())['releases']
    assert VERSION in releases, sorted(releases)
    assert (copy / 'CHANGELOG.md').read_text().count('v%s' % VERSION.replace('.', r'\.')) > 0
    return releases[VERSION]


def test_release_lists_every_new_plugin(release):
    new = {key for key, version in plugin_versions().items() if version == VERSION}
    listed = {('module', m['name']) for m in release.get('modules', [])}
    for kind, plugins in release.get('plugins', {}).items():
        listed |= {(kind, p['name']) for p in plugins}
    assert sorted(new - listed) == [], 'new in %s but not in its changelog' % VERSION
    assert sorted(listed - new) == []
    playbooks = {p.stem for p in (REPO / 'playbooks').glob('*.yml')}
    announced = {o['name'] for r in RELEASED.values() for o in r.get('objects', {}).get('playbook', [])}
    announced |= {o['name'] for o in release.get('objects', {}).get('playbook', [])}
    assert sorted(playbooks - announced) == [], 'playbooks no release announces (changelog fragment "add object.playbook")'


def test_release_names_every_new_role_option(release):
    text = yaml.safe_dump(release.get('changes', {}), width=100000)
    assert release.get('changes', {}).get('release_summary'), 'no release_summary fragment'
    new, _old = new_role_options()
    missing = []
    for role, names in new.items():
        for name in names:
            # a fragment may name the option for both roles at once: ``*_firewall_state``
            wildcard = '*_' + name[len(role) + 1:]
            if not re.search(r'(?<![a-z_])(%s|%s)(?![a-z_])' % (re.escape(name), re.escape(wildcard)), text):
                missing.append(name)
    assert missing == [], 'role options new in %s that no changelog fragment names: %s' % (VERSION, missing)
