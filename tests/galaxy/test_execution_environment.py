# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment (AWX, Automation Platform; README "Running it from AWX / Automation Platform").

- ansible-builder introspects the installed tarball's meta/execution-environment.yml and finds the controller's
  Python packages (requirements.txt) and system packages (bindep.txt) of the collection.
- ``ansible-builder create`` turns docs/awx/execution-environment.yml into a build context whose Containerfile
  installs timesec.ntp from its requirements.yml and runs that introspection. Building the image needs a registry
  and Galaxy, unreachable here: not tested.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((REPO / 'galaxy.yml').read_text())
DEFINITION = REPO / 'docs' / 'awx' / 'execution-environment.yml'


def run(args, cwd, env=None):
    proc = subprocess.run([str(a) for a in args], cwd=str(cwd), env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    command = ' '.join(map(str, args))
    assert proc.returncode == 0, '%s failed (rc %d)\n%s\n%s' % (command, proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A collections tree holding only the collection installed from its built tarball."""
    work = tmp_path_factory.mktemp('ee')
    run(['ansible-galaxy', 'collection', 'build', REPO, '--output-path', work], cwd=work)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(work / 'tree'))
    run(['ansible-galaxy', 'collection', 'install', '--no-deps', '--offline', '--force',
         next(work.glob('*.tar.gz')), '-p', work / 'tree'], cwd=work, env=env)
    return work / 'tree'


def test_builder_finds_the_controller_dependencies(installed):
    meta = yaml.safe_load((installed / 'ansible_collections' / 'timesec' / 'ntp' / 'meta' /
                           'execution-environment.yml').read_text())
    assert meta['dependencies'] == {'python': 'requirements.txt', 'system': 'bindep.txt'}
    proc = run(['ansible-builder', 'introspect', installed], cwd=installed)
    data = yaml.safe_load(proc.stdout[proc.stdout.index('---'):])
    python = [re.split(r'\s+#', line)[0] for line in data['python'] if 'timesec.ntp' in line]
    system = [re.split(r'\s+#', line)[0] for line in data['system'] if 'timesec.ntp' in line]
    assert python == ['cryptography>=3.3'], data
    assert system == ['openssh-clients [platform:rpm]', 'openssh-client [platform:dpkg]'], data


def test_builder_creates_a_build_context(tmp_path):
    run(['ansible-builder', 'create', '-f', DEFINITION, '--context', tmp_path / 'context'], cwd=tmp_path)
    containerfile = (tmp_path / 'context' / 'Containerfile').read_text()
    assert 'ansible-galaxy collection install' in containerfile and 'introspect.py introspect' in containerfile
    requirements = yaml.safe_load((tmp_path / 'context' / '_build' / 'requirements.yml').read_text())
    assert [c['name'] for c in requirements['collections']] == ['%s.%s' % (GALAXY['namespace'], GALAXY['name'])]
    # the collection versions and the ansible-core range it promises (meta/runtime.yml)
    version = requirements['collections'][0]['version']
    assert GALAXY['version'].rsplit('.', 1)[0] in version and '>=%s' % GALAXY['version'] in version, version
    runtime = yaml.safe_load((REPO / 'meta' / 'runtime.yml').read_text())['requires_ansible']
    core = yaml.safe_load(DEFINITION.read_text())['dependencies']['ansible_core']['package_pip']
    assert core == 'ansible-core' + runtime.replace('.0', ''), (core, runtime)
