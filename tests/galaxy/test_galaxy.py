# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Galaxy round trip: build the collection, install the tarball, use the installed copy.

Run by scripts/test.sh (stage "galaxy"): python -m pytest tests/galaxy -q -p no:cacheprovider
Needs ansible-core on PATH; works offline (the collection has no dependencies).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((REPO / 'galaxy.yml').read_text())
FQCN = '%s.%s' % (GALAXY['namespace'], GALAXY['name'])

# Nothing of these may ship: development trees, tool configuration, venvs, caches, artifacts.
FORBIDDEN_TOP = {'tests', 'molecule', 'scripts', 'benchmarks', '.ci', '.git', '.gitignore', '.venv',
                 '.cache', '.ansible', '.pytest_cache', '.ruff_cache', '.ansible-lint', 'pyproject.toml',
                 'requirements-dev.txt'}
FORBIDDEN_ANYWHERE = {'__pycache__', '.plugin-cache.yaml', 'output', 'venv'}
FORBIDDEN_SUFFIXES = ('.pyc', '.tar.gz', '.retry')
# What the collection is for: it must ship.
REQUIRED = {'MANIFEST.json', 'FILES.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'meta/runtime.yml',
            'changelogs/changelog.yaml', 'plugins/modules/ntp_keygen.py', 'plugins/modules/ntp_iffpar.py',
            'plugins/module_utils/autokey.py', 'plugins/module_utils/keygen.py', 'plugins/module_utils/keymaterial.py',
            'plugins/lookup/ntp_iffpar.py',
            'plugins/filter/ntp_restrict.py', 'playbooks/site.yml',
            'roles/ntp_server/meta/argument_specs.yml', 'roles/ntp_client/meta/argument_specs.yml',
            'roles/ntp_common/templates/ntp.conf.j2'}


def run(args, cwd, env=None):
    proc = subprocess.run(args, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, '%s failed (rc %d)\nstdout:\n%s\nstderr:\n%s' % (
        ' '.join(args), proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope='module')
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp('galaxy')


@pytest.fixture(scope='module')
def tarball(workdir):
    out = workdir / 'dist'
    out.mkdir()
    run(['ansible-galaxy', 'collection', 'build', str(REPO), '--output-path', str(out)], cwd=workdir)
    built = sorted(out.glob('*.tar.gz'))
    assert [p.name for p in built] == ['%s-%s-%s.tar.gz' % (GALAXY['namespace'], GALAXY['name'], GALAXY['version'])]
    return built[0]


@pytest.fixture(scope='module')
def installed_env(workdir, tarball):
    """Environment in which the only timesec.ntp is the one installed from the tarball."""
    dest = workdir / 'installed'
    env = {k: v for k, v in os.environ.items() if not k.startswith('ANSIBLE_')}
    # Only the install directory (the venv's bundled collections stay visible through sys.path).
    env.update(ANSIBLE_COLLECTIONS_PATH=str(dest), ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_PAGER='cat', PAGER='cat', ANSIBLE_HOME=str(workdir / 'ansible-home'))
    proc = run(['ansible-galaxy', 'collection', 'install', str(tarball), '-p', str(dest)], cwd=workdir, env=env)
    assert (dest / 'ansible_collections' / GALAXY['namespace'] / GALAXY['name'] / 'MANIFEST.json').is_file(), proc.stdout
    return env


@pytest.fixture(scope='module')
def outside(workdir):
    """A working directory outside the repository (no adjacent collections, no ansible.cfg)."""
    cwd = workdir / 'cwd'
    cwd.mkdir()
    assert REPO not in cwd.resolve().parents
    return cwd


def test_tarball_contents(tarball, report_line):
    with tarfile.open(tarball) as tar:
        members = [m.name[2:] if m.name.startswith('./') else m.name for m in tar.getmembers()]
    size = tarball.stat().st_size
    report_line('%s: %d bytes (%.1f KiB), %d members' % (tarball.name, size, size / 1024.0, len(members)))
    bad = sorted(
        name for name in members
        if name.split('/')[0] in FORBIDDEN_TOP
        or FORBIDDEN_ANYWHERE.intersection(name.split('/'))
        or name.endswith(FORBIDDEN_SUFFIXES)
    )
    assert bad == [], 'the tarball ships files that build_ignore should keep out: %s' % bad
    missing = sorted(REQUIRED.difference(members))
    assert missing == [], 'the tarball lacks %s' % missing
    assert size < 1024 * 1024, 'the tarball is suspiciously large (%d bytes)' % size


def test_installed_copy_is_the_only_one(installed_env, outside, workdir):
    proc = run(['ansible-galaxy', 'collection', 'list', FQCN, '--format', 'yaml'], cwd=outside, env=installed_env)
    listing = yaml.safe_load(proc.stdout)
    assert list(listing) == [str(workdir / 'installed' / 'ansible_collections')], listing
    assert listing[str(workdir / 'installed' / 'ansible_collections')][FQCN]['version'] == GALAXY['version']


def plugins_of_this_checkout():
    """Every plugin that ansible-doc documents, found in the tree rather than listed by hand:
    (type, FQCN) for each module and lookup file and for each filter a filter file declares."""
    found = []
    for kind, directory in (('module', 'modules'), ('lookup', 'lookup')):
        for path in sorted((REPO / 'plugins' / directory).glob('*.py')):
            if path.name != '__init__.py':
                found.append((kind, '%s.%s' % (FQCN, path.stem)))
    # Filters and tests: one per file, the file named as the plugin (Galaxy lists them by file name).
    for kind, directory in (('filter', 'filter'), ('test', 'test')):
        for path in sorted((REPO / 'plugins' / directory).glob('*.py')):
            names = re.findall(r"'(ntp_[a-z_]+)': ntp_[a-z_]+", path.read_text())
            assert names == [path.stem], '%s declares %s: one plugin per file, named as the file' % (path, names)
            found.append((kind, '%s.%s' % (FQCN, path.stem)))
    return found


PLUGINS = plugins_of_this_checkout()
# What each page must say beyond the generic sections (a sentence only that plugin's docs carry).
SPECIFIC = {
    ('module', 'timesec.ntp.ntp_keygen'): ['Autokey key material', 'autokey_group'],
    ('module', 'timesec.ntp.ntp_iffpar'): ['IFF group key'],
    ('module', 'timesec.ntp.ntp_status_info'): ['config_file', 'chronyc'],
    ('module', 'timesec.ntp.ntp_firewall_info'): ['firewalld'],
    ('lookup', 'timesec.ntp.ntp_iffpar'): ['export_dir', 'default_export_dir'],
    ('lookup', 'timesec.ntp.ntp_nts_ca'): ['nts-ca.pem'],
    ('filter', 'timesec.ntp.ntp_restrict'): ['restrict'],
}


def test_every_plugin_is_documented(installed_env, outside):
    """The plugins found in the tree are exactly those ansible-doc lists for the installed copy."""
    listed = []
    for kind in ('module', 'lookup', 'filter', 'test'):
        proc = run(['ansible-doc', '-t', kind, '-l', FQCN, '--json'], cwd=outside, env=installed_env)
        listed += [(kind, name) for name in json.loads(proc.stdout)]
    assert sorted(listed) == sorted(PLUGINS)
    assert len(PLUGINS) >= 9


@pytest.mark.parametrize('kind, name', PLUGINS, ids=['%s-%s' % (k, n.split('.')[-1]) for k, n in PLUGINS])
def test_ansible_doc_plugin(installed_env, outside, workdir, kind, name):
    proc = run(['ansible-doc', '-t', kind, name], cwd=outside, env=installed_env)
    text = proc.stdout
    for needle in ['> %s %s' % (kind.upper(), name), 'EXAMPLES:', 'RETURN VALUES:'] + SPECIFIC.get((kind, name), []):
        assert needle in text, '%r not in ansible-doc -t %s %s output:\n%s' % (needle, kind, name, text)
    # The plugin's source path: the installed copy, not the checkout.
    assert str(workdir / 'installed') in text, text
    assert 'WARNING' not in proc.stderr and 'ERROR' not in proc.stderr, proc.stderr


@pytest.mark.parametrize('role, needles', [
    ('timesec.ntp.ntp_server', ['ENTRY POINT: *main*', 'ntp_server_crypto_password', 'ntp_server_allowed_networks']),
    ('timesec.ntp.ntp_client', ['ENTRY POINT: *main*', 'ntp_client_crypto_password', 'ntp_client_servers']),
], ids=['ntp_server', 'ntp_client'])
def test_ansible_doc_role(installed_env, outside, role, needles):
    proc = run(['ansible-doc', '-t', 'role', role], cwd=outside, env=installed_env)
    for needle in needles:
        assert needle in proc.stdout, '%r not in ansible-doc -t role %s output:\n%s' % (needle, role, proc.stdout)
    assert 'WARNING' not in proc.stderr and 'ERROR' not in proc.stderr, proc.stderr


def test_site_playbook_syntax(installed_env, outside):
    inventory = outside / 'hosts.yml'
    inventory.write_text(yaml.safe_dump({'all': {
        'vars': {'ansible_connection': 'local'},
        'children': {'ntp_servers': {'hosts': {'ntp1': None}}, 'ntp_clients': {'hosts': {'client1': None}}},
    }}))
    proc = run(['ansible-playbook', 'timesec.ntp.site', '--syntax-check', '-i', str(inventory)],
               cwd=outside, env=installed_env)
    # Resolved from the installed copy, not from the checkout.
    assert 'playbook: %s/' % (outside.parent / 'installed' / 'ansible_collections' / 'timesec' / 'ntp') in proc.stdout, proc.stdout


def test_tools_on_path():
    for tool in ('ansible-galaxy', 'ansible-doc', 'ansible-playbook'):
        assert shutil.which(tool), '%s is not on PATH (source scripts/env.sh)' % tool
