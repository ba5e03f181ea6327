# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The roles' contract (docs/map.md): no role, playbook or test reads another role's private
variables; ntp_common's entry points are its task files, with documented inputs; the roles' results
are documented; the README's variable tables list exactly the argument specs' options; the list of
firewalls has one source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (REPO / 'roles').iterdir() if p.is_dir())
PRIVATE = re.compile(r'\b__(%s)_[a-z0-9_]+' % '|'.join(ROLES))
TEXT_SUFFIXES = {'.yml', '.yaml', '.j2', '.py', '.sh', '.cfg', '.ini'}
# Results the roles register under public names (documented in their argument specs and the README).
RESULTS = {'ntp_server': {'ntp_server_keys', 'ntp_server_iffpar'}, 'ntp_client': {'ntp_client_status'},
           'ntp_common': {'ntp_common_platform'}}


def spec(role):
    return yaml.safe_load((REPO / 'roles' / role / 'meta' / 'argument_specs.yml').read_text())['argument_specs']


def files_outside(role):
    for top in ('roles', 'playbooks', 'molecule', 'benchmarks', 'scripts', 'plugins'):
        for path in sorted((REPO / top).rglob('*')):
            if path.is_file() and path.suffix in TEXT_SUFFIXES and not path.is_relative_to(REPO / 'roles' / role):
                yield path


@pytest.mark.parametrize('role', ROLES)
def test_no_one_reads_a_roles_private_variables(role):
    readers = []
    for path in files_outside(role):
        for match in PRIVATE.finditer(path.read_text(errors='replace')):
            if match.group(1) == role:
                readers.append('%s: %s' % (path.relative_to(REPO), match.group(0)))
    assert readers == [], 'private variables of %s read elsewhere' % role


def test_common_entry_points_are_its_task_files():
    imported = set()
    for path in (REPO / 'roles').rglob('*.yml'):
        text = path.read_text()
        for block in re.finditer(r'name: timesec\.ntp\.ntp_common\s+tasks_from: ([a-z_]+)(?:\.yml)?', text):
            imported.add(block.group(1))
    entry_points = set(spec('ntp_common')) - {'main'}
    tasks = {p.stem for p in (REPO / 'roles' / 'ntp_common' / 'tasks').glob('*.yml')}
    assert imported, 'no role imports ntp_common'
    assert imported <= entry_points, 'imported without an entry point: %s' % sorted(imported - entry_points)
    assert entry_points <= tasks, 'entry points without a task file: %s' % sorted(entry_points - tasks)


def test_common_inputs_are_documented():
    """Every ntp_common_* variable the callers pass is an input of some entry point, and back."""
    documented = set()
    for entry in spec('ntp_common').values():
        documented |= set(entry.get('options') or {})
    passed = set()
    for role in ('ntp_server', 'ntp_client'):
        for path in (REPO / 'roles' / role / 'tasks').glob('*.yml'):
            passed |= set(re.findall(r'^\s+(ntp_common_[a-z_]+):', path.read_text(), re.M))
    assert passed - RESULTS['ntp_common'] == documented


@pytest.mark.parametrize('role', ['ntp_server', 'ntp_client'])
def test_registered_results_are_private_or_documented(role):
    registered = set()
    for path in (REPO / 'roles' / role / 'tasks').glob('*.yml'):
        registered |= set(re.findall(r'^\s+register: ([a-z0-9_]+)', path.read_text(), re.M))
    public = {name for name in registered if not name.startswith('__')}
    assert public == RESULTS[role]
    description = ' '.join(spec(role)['main']['description'])
    readme = (REPO / 'README.md').read_text()
    for name in public:
        assert name in description, '%s is not described in its argument spec' % name
        assert '`%s`' % name in readme, '%s is not in the README' % name


def readme_variables(role):
    """The variables of the README's '### <role> variables' table, with 'a` / `_b' shorthand expanded."""
    text = (REPO / 'README.md').read_text()
    section = text.split('### %s variables' % role, 1)[1].split('\n#', 1)[0]
    names = set()
    for line in section.splitlines():
        if not line.startswith('| `'):
            continue
        first_cell = line.split('|')[1]
        for name in re.findall(r'`([a-z_]+)`', first_cell):
            names.add(role + name if name.startswith('_') else name)
    return names


@pytest.mark.parametrize('role', ['ntp_server', 'ntp_client'])
def test_readme_tables_list_the_argument_specs(role):
    assert readme_variables(role) == set(spec(role)['main']['options'])


def test_one_list_of_firewalls():
    source = (REPO / 'plugins' / 'module_utils' / 'firewall.py').read_text()
    firewalls = ast.literal_eval(re.search(r'^FIREWALLS = (\(.*?\))$', source, re.M).group(1))
    expected = ['auto'] + sorted(firewalls) + ['none']
    for role in ('ntp_server', 'ntp_client'):
        choices = spec(role)['main']['options'][role + '_firewall']['choices']
        assert ['auto'] + sorted(choices[1:-1]) + ['none'] == expected and choices[0] == 'auto' and choices[-1] == 'none'
