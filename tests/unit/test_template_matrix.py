# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both configuration templates (roles/ntp_common/templates/ntp.conf.j2, chrony.conf.j2) rendered for every
platform x daemon x scheme cell of the support matrix (vars/support.yml), as the server role and as the client
role (issue 28, item 3): each scheme's own lines are there and no other scheme's. The templates know no scheme: the
roles hand them the scheme's title, lines per daemon and whether the keys file is named (ntp_common_conf.scheme). A
daemon without lines for the scheme (autokey on chrony or ntpsec, nts on classic ntp) fails the render, naming
both; the preflight refuses those cells before any template runs (tests/unit/test_support_matrix.py).

The context is Ansible's Templar on the roles' own files (tests/unit/role_render.py): ntp_common's vars and
platform fact, and ntp_common_conf templated from the calling role's defaults and vars/main.yml. Only what a
play finds at run time is given (the servers the client's lookups return, the server's IFF group plan and its
clients' key IDs), so a change to a role's vars or to a template shows here."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible_collections.timesec.ntp.tests.unit.utils import render_roles as render

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, 'roles', 'ntp_common', 'vars', 'support.yml')) as _handle:
    SUPPORT = yaml.safe_load(_handle)['__ntp_common_support']

# Each scheme's key lines, per template (regular expressions on whole lines), for the server and the client role.
NTP_LINES = {
    'autokey': {'server': [r'crypto pw Pw-Render-1 randfile /dev/urandom host \S+ ident \S+', r'keysdir /etc/ntp',
                           r'server 10\.0\.0\.2 iburst autokey ident \S+ .*'],
                'client': [r'crypto pw Pw-Render-1 randfile /dev/urandom host \S+', r'keysdir /etc/ntp',
                           r'server 10\.0\.0\.1 iburst autokey ident grp .*']},
    'nts': {'server': [r'nts enable', r'nts key /\S+', r'nts cert /\S+', r'nts cookie /\S+'],
            'client': [r'server 10\.0\.0\.1 iburst .* nts( ca /\S+)?']},
    'symmetric': {'server': [r'keys /\S+', r'trustedkey 3 4'],
                  'client': [r'keys /\S+', r'trustedkey 7', r'server 10\.0\.0\.1 iburst key 7 .*']},
}
# {nts_key}, {nts_cert}, {keys_file}: the platform's paths (Debian's /etc/chrony/..., RHEL's /etc/pki/tls/... and
# /etc/chrony.keys), filled in per cell from ntp_common_platform.
CHRONY_LINES = {
    'nts': {'server': [r'ntsserverkey {nts_key}', r'ntsservercert {nts_cert}'],
            'client': [r'ntstrustedcerts /\S+', r'server 10\.0\.0\.1 iburst .* nts']},
    'symmetric': {'server': [r'keyfile {keys_file}'],
                  'client': [r'keyfile {keys_file}', r'server 10\.0\.0\.1 iburst key 7 .*']},
}
with open(os.path.join(ROOT, 'roles', 'ntp_common', 'vars', 'chrony.yml')) as _handle:
    CHRONY_RECORD = yaml.safe_load(_handle)


def chrony_paths(key):
    record = dict(CHRONY_RECORD['__ntp_common_chrony'], **CHRONY_RECORD['__ntp_common_chrony_releases'][key])
    return {name: re.escape(record[name]) for name in ('nts_key', 'nts_cert', 'keys_file')}


# Words of each scheme that no other scheme's file may hold (the first word of a line, or a server line option).
WORDS = {
    'autokey': [r'^crypto\b', r'^keysdir\b', r'\bautokey\b'],
    'nts': [r'^nts\b', r'^ntsserver', r'^ntstrustedcerts\b', r'^nosystemcert\b', r'\snts( ca \S+)?$'],
    'symmetric': [r'^keys\b', r'^trustedkey\b', r'^keyfile\b', r'\skey [0-9]+\b'],
}
HEADERS = {'autokey': '# Autokey (IFF) configuration', 'nts': '# NTS configuration',
           'symmetric': '# Symmetric-key configuration'}


def job(key, daemon, scheme, role):
    distribution, major = key.split('_')
    return {'kind': 'template', 'role': role, 'auth': scheme, 'daemon': daemon,
            'facts': {'distribution': distribution, 'distribution_major_version': major,
                      'os_family': 'RedHat' if distribution == 'RedHat' else 'Debian'}}


# Every cell of a release row (the os_family rows have no daemon the roles set up), as both roles.
CELLS = [(key, daemon, scheme, role) for key, row in SUPPORT['platforms'].items() if '_' in key
         for daemon, schemes in row['daemons'].items() for scheme in schemes for role in ('server', 'client')]


@pytest.fixture(scope='module')
def rendered():
    results = render([job(*cell) for cell in CELLS])
    return dict(zip(CELLS, results))


def test_every_daemon_of_the_table_has_a_cell_here():
    assert {daemon for _key, daemon, _scheme, _role in CELLS} == set(SUPPORT['daemons'])
    assert {scheme for _key, _daemon, scheme, _role in CELLS} == set(SUPPORT['schemes'])


@pytest.mark.parametrize('cell', CELLS, ids=['-'.join(cell) for cell in CELLS])
def test_cell_has_its_scheme_lines_and_no_others(rendered, cell):
    key, daemon, scheme, role = cell
    result = rendered[cell]
    assert result['ok'], result
    text = result['value']
    lines = text.splitlines()
    expected = ([pattern.format(**chrony_paths(key)) for pattern in CHRONY_LINES[scheme][role]] if daemon == 'chrony'
                else NTP_LINES[scheme][role])
    for pattern in expected:
        assert any(re.fullmatch(pattern, line) for line in lines), '%s: no line %r in\n%s' % (cell, pattern, text)
    header = HEADERS[scheme] + (' for chrony' if daemon == 'chrony' else '')
    assert any(line.startswith(header) for line in lines), (cell, text)
    for other, patterns in WORDS.items():
        if other == scheme:
            continue
        for pattern in patterns:
            leaked = [line for line in lines if not line.startswith('#') and re.search(pattern, line)]
            assert not leaked, '%s: %s lines in a %s file: %s' % (cell, other, scheme, leaked)
    # nothing left untemplated
    assert '{{' not in text and '{%' not in text


# Every cell the support matrix refuses: a daemon of the table without the scheme, on a release that offers the daemon.
REFUSED = sorted({(next(key for key, row in SUPPORT['platforms'].items() if '_' in key and daemon in row['daemons']),
                   daemon, scheme, role)
                  for daemon, info in SUPPORT['daemons'].items() for scheme in SUPPORT['schemes']
                  if scheme not in info['schemes'] for role in ('server', 'client')})
TITLES = {'autokey': 'Autokey (IFF)', 'nts': 'NTS', 'symmetric': 'Symmetric-key'}


def test_every_refused_cell_fails_the_render_naming_the_daemon_and_the_scheme():
    """The roles hand the scheme's lines per daemon (ntp_common_conf.scheme.lines); a daemon without an entry fails
    the render, naming both (the preflight refuses those cells before any template runs: test_support_matrix.py).
    Before (issue 28): an unknown scheme rendered silently as an "NTS configuration" (the templates' else branches),
    and autokey rendered a chrony.conf with Autokey server options."""
    assert {(daemon, scheme) for _key, daemon, scheme, _role in REFUSED} >= {('chrony', 'autokey'), ('ntpsec', 'autokey')}
    for cell, result in zip(REFUSED, render([job(*cell) for cell in REFUSED])):
        _key, daemon, scheme, _role = cell
        assert not result['ok'], '%s rendered:\n%s' % (cell, result.get('value'))
        assert ('ntp_common_conf.scheme.lines has no entry %s: the %s scheme has no %s lines'
                % (daemon, TITLES[scheme], daemon)) in result['error'], (cell, result)


def test_a_scheme_no_role_knows_fails_naming_it():
    # the client's servers as its lookups found them (ansible-core 2.16 templates the whole dict on first use)
    found = {'__ntp_client_found': [{'name': 'srv1', 'address': '10.0.0.1', 'present': True, 'key_id': 7}]}
    jobs = [job('Debian_12', 'ntpsec', 'rot13', 'server'), dict(job('Debian_12', 'ntpsec', 'rot13', 'client'), role_vars=found)]
    for result in render(jobs):
        assert not result['ok'] and 'rot13' in result['error'], result


SCHEME_BRANCH = re.compile(r'ntp_common_auth\s*(?:==|!=|\bin\b|\bnot\s+in\b)|\bauth\s*(?:==|!=)')


def test_ntp_common_has_no_scheme_branch():
    """Issue 28 item 3: the callers hand ntp_common what their scheme needs (ntp_common_conf_secret, ntp_common_keysdir,
    ntp_common_apparmor_paths, ntp_common_conf.scheme); ntp_common's tasks and templates never test the scheme's name.
    The one exception is the refusal of a scheme the daemon lacks (preflight.yml)."""
    found = []
    for sub in ('tasks', 'templates'):
        folder = os.path.join(ROOT, 'roles', 'ntp_common', sub)
        for name in sorted(os.listdir(folder)):
            with open(os.path.join(folder, name)) as handle:
                for number, line in enumerate(handle, 1):
                    if SCHEME_BRANCH.search(line) and 'ntp_common_auth in ntp_common_platform.schemes' not in line:
                        found.append('%s/%s:%d: %s' % (sub, name, number, line.strip()))
            if sub == 'templates':
                with open(os.path.join(folder, name)) as handle:
                    assert '{% else %}' not in handle.read() or name not in ('ntp.conf.j2', 'chrony.conf.j2'), name
    assert not found, found


UPSTREAMS = [{'host': 'nts.example.net', 'auth': 'nts', 'minpoll': 3, 'maxpoll': 4}]


def test_servers_with_upstreams_turn_to_their_own_clock_in_bounded_time():
    """Issue 25: with upstreams, chrony gets maxclockerror and a distance computed from their maxpoll (or the user's),
    ntpsec the orphan wait and stratum 10; without upstreams, the orphan lines of old."""
    chrony, chosen, ntpsec, alone = render([
        dict(job('Debian_13', 'chrony', 'nts', 'server'), role_vars={'ntp_server_upstream_servers': UPSTREAMS}),
        dict(job('Debian_13', 'chrony', 'nts', 'server'),
             role_vars={'ntp_server_upstream_servers': UPSTREAMS, 'ntp_server_upstream_orphan_distance': 0.003}),
        dict(job('Debian_12', 'ntpsec', 'nts', 'server'), role_vars={'ntp_server_upstream_servers': UPSTREAMS}),
        job('Debian_13', 'chrony', 'nts', 'server')])
    for result in (chrony, chosen, ntpsec, alone):
        assert result['ok'], result
    lines = chrony['value'].splitlines()
    assert 'maxclockerror 15' in lines and 'local stratum 10 orphan distance 0.0505' in lines, chrony['value']
    assert 'server nts.example.net iburst minpoll 3 maxpoll 4 nts' in lines
    assert 'local stratum 10 orphan distance 0.003' in chosen['value'].splitlines(), chosen['value']
    assert 'tos orphan 10 orphanwait 300' in ntpsec['value'].splitlines() and 'maxclockerror' not in ntpsec['value']
    lines = alone['value'].splitlines()
    assert 'local stratum 5 orphan' in lines and not [line for line in lines if line.startswith('maxclockerror')], lines


def test_apparmor_rules_cover_the_paths_the_profile_does_not_allow():
    """tasks/apparmor.yml as it is: ntp_common_apparmor_paths (Autokey's keys directory) become read rules in the
    profile's local include, except under the directory the profile allows (/etc/ntp/); no paths - the block goes."""
    with open(os.path.join(ROOT, 'roles', 'ntp_common', 'tasks', 'apparmor.yml')) as handle:
        task = yaml.safe_load(handle)[0]
    module = task['ansible.builtin.blockinfile']
    expression = '{{ [__block, __state] }}'
    cases = {'elsewhere': ['/etc/timesec-ntp/keys'], 'allowed': ['/etc/ntp'], 'none': []}
    jobs = [{'kind': 'expression', 'expression': expression, 'auth': 'autokey', 'daemon': 'ntp',
             'facts': {'distribution': 'Debian', 'distribution_major_version': '11'},
             'vars': dict(task['vars'], ntp_common_apparmor_paths=paths, __block=module['block'], __state=module['state'])}
            for paths in cases.values()]
    results = dict(zip(cases, render(jobs)))
    for result in results.values():
        assert result['ok'], result
    assert results['elsewhere']['value'] == ['/etc/timesec-ntp/keys/ r,\n/etc/timesec-ntp/keys/** r,\n', 'present']
    for case in ('allowed', 'none'):
        block, state = results[case]['value']
        assert not block and state == 'absent', (case, results[case])
