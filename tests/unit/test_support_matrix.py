# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The support matrix (roles/ntp_common/vars/support.yml) against everything that repeats it (issue 28, item 2):
- every tested cell's proof: the named Molecule hosts run that platform (image), daemon and scheme (inventory);
- the refusal messages the preflight shows, generated from it (and the strings molecule/input matches);
- the README's support table and the roles' meta/main.yml platforms;
- no other prose about which platform supports what in roles/."""

from __future__ import annotations

import ast
import glob
import os
import re

import pytest
import yaml

from ansible_collections.timesec.ntp.tests.unit.utils import render_roles as render

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


SUPPORT = yaml.safe_load(read('roles', 'ntp_common', 'vars', 'support.yml'))['__ntp_common_support']
PLATFORMS = SUPPORT['platforms']
DAEMONS = SUPPORT['daemons']
SCHEMES = SUPPORT['schemes']


def cells():
    for key, row in PLATFORMS.items():
        for daemon, schemes in row['daemons'].items():
            for scheme, cell in schemes.items():
                yield key, daemon, scheme, cell


def facts(key):
    if '_' in key:
        distribution, major = key.split('_')
        return {'distribution': distribution, 'distribution_major_version': major,
                'os_family': 'RedHat' if distribution == 'RedHat' else 'Debian'}
    # an os_family row: a distribution of that family the data has no row for (RHEL 9 has one: a rebuild's name)
    return {'distribution': {'RedHat': 'Rocky'}.get(key, key), 'distribution_major_version': '9', 'os_family': key}


# --- the table's own shape

def test_daemons_are_the_platform_data_daemons():
    defaults = yaml.safe_load(read('roles', 'ntp_common', 'vars', 'platform_defaults.yml'))
    assert sorted(DAEMONS) == sorted(defaults['__ntp_common_daemons'])


@pytest.mark.parametrize('role', ['ntp_server', 'ntp_client'])
def test_schemes_and_daemons_are_the_argument_spec_choices(role):
    spec = yaml.safe_load(read('roles', role, 'meta', 'argument_specs.yml'))['argument_specs']
    assert spec['main']['options'][role + '_auth']['choices'] == list(SCHEMES)
    assert spec['main']['options'][role + '_daemon']['choices'] == ['auto'] + list(DAEMONS)
    common = yaml.safe_load(read('roles', 'ntp_common', 'meta', 'argument_specs.yml'))['argument_specs']
    assert common['preflight']['options']['ntp_common_auth']['choices'] == list(SCHEMES)
    assert common['platform']['options']['ntp_common_daemon']['choices'] == ['auto'] + list(DAEMONS)


def test_cells_are_schemes_of_their_daemon_and_marked():
    for key, row in PLATFORMS.items():
        assert row['ships'] in DAEMONS, key
        for daemon, schemes in row['daemons'].items():
            assert daemon in DAEMONS and set(schemes) <= set(DAEMONS[daemon]['schemes']), (key, daemon)
    for key, daemon, scheme, cell in cells():
        assert isinstance(cell['tested'], bool), (key, daemon, scheme)
        assert bool(cell.get('proof')) == cell['tested'], '%s %s %s: a tested cell names its proof, an untested one none' % (
            key, daemon, scheme)


# --- every proof, against the scenarios

def scenario_hosts(scenario):
    config = yaml.safe_load(read('molecule', scenario, 'molecule.yml'))
    inventory = config['provisioner']['inventory']
    group_vars, host_vars = inventory.get('group_vars', {}), inventory.get('host_vars', {})
    hosts = {}
    for platform in config['platforms']:
        groups = platform.get('groups', [])
        values = dict(group_vars.get('all', {}))
        for group in groups:
            values.update(group_vars.get(group, {}) or {})
        values.update(host_vars.get(platform['name'], {}) or {})
        role = 'server' if 'ntp_servers' in groups else 'client' if 'ntp_clients' in groups else None
        hosts[platform['name']] = (platform['image'], role, values)
    return hosts


def settled(key, role, values):
    """(daemon, scheme) of a host as the roles settle them from its inventory."""
    auth = values.get('ntp_%s_auth' % role, values.get('ntp_auth', 'autokey'))
    daemon = values.get('ntp_%s_daemon' % role, values.get('ntp_daemon', 'auto'))
    return (PLATFORMS[key]['ships'] if daemon == 'auto' else daemon), auth


PROOFS = [(key, daemon, scheme, proof) for key, daemon, scheme, cell in cells() for proof in cell.get('proof') or []]


@pytest.mark.parametrize('key, daemon, scheme, proof', PROOFS,
                         ids=['%s-%s-%s-%s' % (k, d, s, p['scenario']) for k, d, s, p in PROOFS])
def test_proof_runs_that_cell(key, daemon, scheme, proof):
    hosts = scenario_hosts(proof['scenario'])
    for name in proof['hosts']:
        assert name in hosts, 'molecule/%s has no host %s' % (proof['scenario'], name)
        image, role, values = hosts[name]
        assert role, '%s is in neither ntp_servers nor ntp_clients' % name
        assert image == 'timesec-ntp/' + key.lower().replace('_', ''), (name, image, key)
        if 'test' in proof:
            # the test moves the host there (its own host variables)
            text = read('molecule', proof['scenario'], 'tests', proof['test'])
            assert "'ntp_auth': '%s'" % scheme in text and "'ntp_daemon': '%s'" % daemon in text and name in text
        else:
            assert settled(key, role, values) == (daemon, scheme), name


def test_the_proofs_cover_what_the_scenarios_run():
    """The other way round: every role host of every scenario runs a cell the table marks tested."""
    tested = {(key, daemon, scheme) for key, daemon, scheme, cell in cells() if cell['tested']}
    for path in glob.glob(os.path.join(ROOT, 'molecule', '*', 'molecule.yml')):
        scenario = os.path.basename(os.path.dirname(path))
        for name, (image, role, values) in scenario_hosts(scenario).items():
            if role:
                key = re.sub(r'^timesec-ntp/debian', 'Debian_', image)
                assert (key,) + settled(key, role, values) in tested, '%s/%s' % (scenario, name)


# --- the messages the preflight shows

def input_test_strings():
    """The strings molecule/input's tests match in the refusals (NTPSEC, AUTOKEY_HOSTS, two daemon cases)."""
    tree = ast.parse(read('molecule', 'input', 'tests', 'test_input.py'))
    constants, expect = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], 'id', None) in ('NTPSEC', 'AUTOKEY_HOSTS'):
            constants[node.targets[0].id] = node.value.value
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'Case' and len(node.args) > 3:
            expect[node.args[0].value] = [item.value for item in node.args[3].elts if isinstance(item, ast.Constant)]
    return constants, expect['client-chrony-autokey'], expect['server-daemon-not-on-platform']


def refused_jobs():
    """Every refused cell: each platform row (and one the data does not know) x every daemon x scheme not in its
    cells, with the daemon left to auto when it is the row's default, else chosen by name. One job per
    platform and daemon (the platform fact once), the preflight's check for each refused scheme."""
    jobs = []
    for key in list(PLATFORMS) + ['Ubuntu_20']:
        row = PLATFORMS.get(key, {'daemons': {}, 'ships': 'ntp'})
        for daemon in DAEMONS:
            refused = [scheme for scheme in SCHEMES if scheme not in row['daemons'].get(daemon, {})]
            if refused:
                chosen = 'auto' if daemon == row['ships'] else daemon
                jobs.append(dict(key=key, kind='expression', auth=refused[0], auths=refused, daemon=chosen,
                                 facts=facts(key), prefix='ntp_client', expression=PREFLIGHT))
    return jobs


def preflight_check():
    tasks = yaml.safe_load(read('roles', 'ntp_common', 'tasks', 'preflight.yml'))
    check = [t for t in tasks if 'ntp_common_platform.schemes' in str(t.get('ansible.builtin.assert', {}).get('that'))][0]
    return check['ansible.builtin.assert']


PREFLIGHT = ("{{ {'passes': %s, 'message': (%s)} }}"
             % (preflight_check()['that'], preflight_check()['fail_msg'].strip()[2:-2]))


def test_every_refused_cell_is_refused_by_the_preflight_with_a_message():
    jobs = refused_jobs()
    results = render([{k: v for k, v in job.items() if k != 'key'} for job in jobs])
    assert sum(len(job['auths']) for job in jobs) > 30
    for job, result in zip(jobs, results):
        assert result['ok'], (job, result)
        for auth, check in result['value'].items():
            label = '%s %s %s' % (job['key'], job['daemon'], auth)
            assert check['passes'] is False, label
            assert '\n' not in check['message'] and '{' not in check['message'], (label, check['message'])
            assert SCHEMES[auth] in check['message'], (label, check['message'])


def untested_check():
    tasks = yaml.safe_load(read('roles', 'ntp_common', 'tasks', 'preflight.yml'))
    return [t for t in tasks if 'ansible.builtin.debug' in t and 'untested' in str(t['ansible.builtin.debug'])][0]


def test_every_cell_warns_exactly_when_untested_naming_it():
    """Item 6: an untested cell is set up, with a warning the table words (platform, daemon and scheme names); a
    tested cell is set up without one. One job per platform and daemon, the preflight's condition and message for
    each of its schemes."""
    task = untested_check()
    expression = "{{ {'warns': not (%s), 'message': %s} }}" % (task['when'].replace('not ', '', 1),
                                                               task['ansible.builtin.debug']['msg'].strip()[2:-2])
    jobs = []
    for key, row in PLATFORMS.items():
        for daemon, schemes in row['daemons'].items():
            jobs.append(dict(kind='expression', auth=list(schemes)[0], auths=list(schemes),
                             daemon='auto' if daemon == row['ships'] else daemon, facts=facts(key),
                             prefix='ntp_client', expression=expression, key=key, name=daemon))
    results = render([{k: v for k, v in job.items() if k not in ('key', 'name')} for job in jobs])
    warned = 0
    for job, result in zip(jobs, results):
        assert result['ok'], (job, result)
        row = PLATFORMS[job['key']]
        for scheme, check in result['value'].items():
            label = '%s %s %s' % (job['key'], job['name'], scheme)
            assert check['warns'] is (not row['daemons'][job['name']][scheme]['tested']), label
            message = ' '.join(check['message'].split())
            assert message.startswith('UNTESTED: %s with %s on %s is a cell' % (
                DAEMONS[job['name']]['name'], SCHEMES[scheme], row['name'])), (label, message)
            assert '{' not in message, (label, message)
            warned += check['warns']
    # the Ubuntu rows and the untested Debian cells
    assert warned == sum(not cell['tested'] for _key, _daemon, _scheme, cell in cells()) >= 10


def test_refusals_keep_the_strings_molecule_input_matches():
    constants, chrony_autokey, not_on_platform = input_test_strings()
    assert constants and chrony_autokey and not_on_platform
    tasks = yaml.safe_load(read('roles', 'ntp_common', 'tasks', 'platform.yml'))
    daemon_check = [t for t in tasks if 'daemon_choices' in str(t.get('ansible.builtin.assert', {}).get('that'))][0]
    jobs = [
        # Debian 12, ntpsec with Autokey (the ntpsec cases of molecule/input)
        dict(kind='expression', auth='autokey', facts=facts('Debian_12'), prefix='ntp_server', expression=PREFLIGHT),
        # Debian 11, chrony chosen with Autokey
        dict(kind='expression', auth='autokey', daemon='chrony', facts=facts('Debian_11'), prefix='ntp_client',
             expression=PREFLIGHT),
        # Debian 11, ntpsec chosen
        dict(kind='expression', auth='autokey', daemon='ntpsec', facts=facts('Debian_11'), prefix='ntp_server',
             expression=daemon_check['ansible.builtin.assert']['fail_msg']),
    ]
    ntpsec, chrony, platform = (result['value'] for result in render(jobs))
    # as molecule/input matches them (labkit's Run.says: whitespace-insensitive)
    ntpsec, chrony, platform = (' '.join(text.split()) for text in (ntpsec['message'], chrony['message'], platform))
    assert all(text in ntpsec for text in constants.values()), ntpsec
    assert all(text in chrony for text in chrony_autokey), chrony
    assert all(text in platform for text in not_on_platform), platform


# --- the README and meta/main.yml

def support_table():
    """The README's support table, as the table says it."""
    lines = ['| Platform | Daemon (default first) | ' + ' | '.join(SCHEMES.values()) + ' |',
             '|---|---|' + '---|' * len(SCHEMES)]
    for row in PLATFORMS.values():
        if not row['daemons']:
            lines.append('| %s | %s (none set up by the roles) |%s' % (row['name'], row['ships'], ' – |' * len(SCHEMES)))
            continue
        for daemon, schemes in sorted(row['daemons'].items(), key=lambda item: item[0] != row['ships']):
            marks = [('tested' if schemes[s]['tested'] else 'untested') if s in schemes else '–' for s in SCHEMES]
            lines.append('| %s | %s | %s |' % (row['name'], daemon, ' | '.join(marks)))
    return '\n'.join(lines)


def test_readme_support_table_is_the_table():
    readme = read('README.md')
    found = re.search(r'<!-- support matrix: tests/unit/test_support_matrix.py -->\n(.*?)\n<!-- end of support matrix -->',
                      readme, re.DOTALL)
    assert found, 'README.md has no support matrix block'
    assert found.group(1) == support_table(), 'README.md support matrix, as the table says it:\n' + support_table()


@pytest.mark.parametrize('role', ['ntp_server', 'ntp_client', 'ntp_common'])
def test_meta_platforms_are_the_tested_platforms(role):
    meta = yaml.safe_load(read('roles', role, 'meta', 'main.yml'))['galaxy_info']['platforms']
    listed = sorted((platform['name'], version) for platform in meta for version in platform['versions'])
    tested_keys = {key for key, daemon, scheme, cell in cells() if cell['tested']}
    tested = sorted((PLATFORMS[key]['galaxy']['name'], PLATFORMS[key]['galaxy']['version']) for key in tested_keys)
    assert listed == tested
    # a galaxy platform only where a cell is tested: meta/main.yml claims what runs here
    assert all(key in tested_keys for key, row in PLATFORMS.items() if 'galaxy' in row)


# --- no other prose about support in roles/

PLATFORM_NAME = re.compile(r'\b(Debian[ _]?1[0-9]|Ubuntu|RHEL|RedHat|Red Hat|bullseye|bookworm|trixie|jammy|noble)\b')
# Files that may name platforms: the table, chrony's per-release package data (docs/chrony.md repeats it),
# the metrics' package versions (measured), and meta/main.yml (checked above).
ALLOWED = {'roles/ntp_common/vars/support.yml', 'roles/ntp_common/vars/chrony.yml', 'roles/ntp_common/vars/metrics.yml',
           'roles/ntp_server/meta/main.yml', 'roles/ntp_client/meta/main.yml', 'roles/ntp_common/meta/main.yml'}
# "Debian 11's 4.2.8p15": a measurement of a platform's package, not a claim of what runs where.
MEASURED = re.compile(r"\bDebian 1[0-9]'s\b")


def test_no_support_prose_outside_the_table():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '**', '*'), recursive=True)):
        relative = os.path.relpath(path, ROOT)
        if os.path.isdir(path) or relative in ALLOWED:
            continue
        with open(path, errors='replace') as handle:
            for number, line in enumerate(handle, 1):
                if PLATFORM_NAME.search(MEASURED.sub('', line)):
                    found.append('%s:%d: %s' % (relative, number, line.strip()))
    assert not found, 'platforms named outside vars/support.yml (say it there, or point to the README support matrix):\n' + \
        '\n'.join(found)


def test_every_platform_with_chrony_has_its_release_data():
    """A platform offering chrony has an entry in __ntp_common_chrony_releases: without one, platform.yml refuses the
    host before any change (the record would lack its leap second line and fail at template time)."""
    releases = yaml.safe_load(read('roles', 'ntp_common', 'vars', 'chrony.yml'))['__ntp_common_chrony_releases']
    offering = sorted(key for key, row in PLATFORMS.items() if 'chrony' in (row.get('daemons') or {}))
    assert offering and [key for key in offering if key not in releases] == [], (offering, sorted(releases))
    assert "__ntp_common_release in __ntp_common_chrony_releases" in read('roles', 'ntp_common', 'tasks', 'platform.yml')
