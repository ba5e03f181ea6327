# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""chronyc output parsing (module_utils/chronyc.py) on real chrony 4.0 (Debian 11, one client),
4.3 (Debian 12) and 4.6.1 (Debian 13) output (fixtures/chrony/README.md): NTS between chrony hosts and with an ntpsec
server, the wrong CA, a plain source, fail-closed selection, chronyc's failures."""

from __future__ import annotations

import re

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import chronyc, ntpq, status
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture

# The servers' addresses in the lab (fixtures/chrony/README.md).
CHRONY_SERVER = {'deb12': '10.89.0.2', 'deb13': '10.89.0.8'}
NTPSEC_SERVER = {'deb12': '10.89.0.7', 'deb13': '10.89.0.13'}


def fixture(name):
    return read_fixture('chrony', name)


def captured(prefix):
    """A transport answering chronyc.collect() from the captures ``<prefix>_<command>.txt``."""
    calls = []

    def run(command):
        calls.append(command)
        return 0, fixture('%s_%s.txt' % (prefix, command)), ''
    return run, calls


def state(prefix, warn=None):
    run, calls = captured(prefix)
    system, associations = chronyc.collect(run, warn=warn)
    assert calls == ['sources', 'authdata', 'tracking']
    return system, associations, status.summarize(system, associations)


NOT_SYNCED = {'synchronized': False, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None,
              'sys_peer': None}


def nts_synced(address):
    return {'synchronized': True, 'authenticated': True, 'identity_verified': False, 'nts': True, 'symmetric': False, 'key_id': None, 'sys_peer': address}


# -- the summary ntp_status_info returns, per captured state -------------------------------------

# (capture, summary, [(address, condition, auth, nts, cookies, state)])
CASES = [
    # chrony client of a chrony NTS server; 4.6 agrees AES-128-GCM-SIV (type 30, 128 bits) with itself
    ('deb11_client', nts_synced('10.89.0.2'), [('10.89.0.2', 'sys.peer', 'ok', True, 8, 'selected')]),
    ('deb12_client', nts_synced('10.89.0.2'), [('10.89.0.2', 'sys.peer', 'ok', True, 8, 'selected')]),
    ('deb13_client', nts_synced('10.89.0.8'), [('10.89.0.8', 'sys.peer', 'ok', True, 8, 'selected')]),
    # chrony client of an ntpsec NTS server
    ('deb12_client_ntpsecsrv', nts_synced('10.89.0.7'), [('10.89.0.7', 'sys.peer', 'ok', True, 8, 'selected')]),
    ('deb13_client_ntpsecsrv', nts_synced('10.89.0.13'), [('10.89.0.13', 'sys.peer', 'ok', True, 8, 'selected')]),
    # the wrong CA: NTS-KE failed, no keys, no cookies, source unusable, clock not synchronised
    ('deb12_wrongca', NOT_SYNCED, [('10.89.0.2', 'reject', 'bad', True, 0, 'unusable')]),
    ('deb13_wrongca', NOT_SYNCED, [('10.89.0.8', 'reject', 'bad', True, 0, 'unusable')]),
    # the wrong CA plus a plain source: authselectmode require makes the plain one unselectable...
    ('deb12_wrongca_plain_require', NOT_SYNCED, [('10.89.0.2', 'reject', 'bad', True, 0, 'unusable'),
                                                 ('10.89.0.7', 'reject', 'none', False, None, 'unusable')]),
    # ... and the default (mix) gives the NTS source "require": the plain one is selectable, never selected
    ('deb12_wrongca_plain_mix', NOT_SYNCED, [('10.89.0.2', 'reject', 'bad', True, 0, 'unusable'),
                                             ('10.89.0.7', 'backup', 'none', False, None, 'not_combined')]),
    # a plain source only: synchronised, not authenticated
    ('deb12_plain', dict(NOT_SYNCED, synchronized=True, sys_peer='10.89.0.7'),
     [('10.89.0.7', 'sys.peer', 'none', False, None, 'selected')]),
    ('deb13_plain', dict(NOT_SYNCED, synchronized=True, sys_peer='10.89.0.13'),
     [('10.89.0.13', 'sys.peer', 'none', False, None, 'selected')]),
    # an NTS server without upstream (local stratum 10 orphan): serves, but has no system peer
    ('deb12_server', NOT_SYNCED, []),
    ('deb13_server', NOT_SYNCED, []),
]


@pytest.mark.parametrize('prefix, summary, sources', CASES, ids=[case[0] for case in CASES])
def test_captured_states(prefix, summary, sources):
    warnings = []
    system, associations, result = state(prefix, warnings.append)
    assert result == summary
    assert [(a['address'], a['condition'], a['auth'], a['nts'], a['cookies'], a['state']) for a in associations] == sources
    assert warnings == []
    assert system['daemon'] == 'chrony'


# chronyc's own symbols in "sources" (chronyc(1)) for the reader's states.
SOURCE_STATE_SYMBOL = {'selected': '*', 'combined': '+', 'not_combined': '-', 'falseticker': 'x',
                       'too_variable': '~', 'unusable': '?'}


def human(prefix):
    """chronyc's human output of the same capture (``-N authdata``, ``-n sources``, ``-n tracking``), read
    here with lines of our own: [(state symbol, address)], [(mode, cookies)], the leap status."""
    text = fixture(prefix + '_human.txt')
    sources = [(m.group(1), m.group(2)) for m in re.finditer(r'^[\^=#]([*+x~?-]) (\S+)', text, re.M)]
    rows = text.split('=' * 73 + '\n', 1)[1].splitlines()
    auth = [(row.split()[1], int(row.split()[8])) for row in rows[:rows.index('')]]
    leap = re.search(r'^Leap status\s*: (.+)$', text, re.M).group(1)
    return sources, auth, leap


@pytest.mark.parametrize('prefix', [case[0] for case in CASES])
def test_reader_agrees_with_chronycs_human_output(prefix):
    """The reader (the CSV output) and chronyc's human output of the same moment say the same: each
    source's state symbol and address, NTS or not and its cookies, synchronised to a source or not."""
    _system, associations, summary = state(prefix)
    sources, auth, leap = human(prefix)
    assert [(SOURCE_STATE_SYMBOL[a['state']], a['address']) for a in associations] == sources
    assert [(a['nts'], a['cookies'] or 0) for a in associations] == [(mode == 'NTS', cookies) for mode, cookies in auth]
    # synchronised to a source (a server in orphan mode says Normal too, with no source selected)
    assert summary['synchronized'] is (leap == 'Normal' and '*' in dict(sources))


@pytest.mark.parametrize('release', ['deb12', 'deb13'])
def test_association_keys_match_ntpq(release):
    """Every key an ntpsec association has, so that filters and reports work unchanged."""
    rows = ntpq.parse_associations(read_fixture('ntpsec', release + '_client_as.txt'))
    ntpsec = ntpq.association_info(rows[0], read_fixture('ntpsec', '%s_client_rv_17767.txt' % release))
    system, associations, summary = state(release + '_client')
    assert set(ntpsec) <= set(associations[0])
    assert set(ntpq.system_info(read_fixture('ntpsec', release + '_client_rv0.txt'))) <= set(system)


@pytest.mark.parametrize('release, key_type, key_length, cookie_length', [
    ('deb12', 15, 256, 100),   # AEAD_AES_SIV_CMAC_256 (chrony 4.3, GnuTLS 3.7)
    ('deb13', 30, 128, 64),    # AEAD_AES_128_GCM_SIV (chrony 4.6.1 with itself)
])
def test_authdata_of_a_good_nts_key_exchange(release, key_type, key_length, cookie_length):
    entry = chronyc.parse_authdata(fixture(release + '_client_authdata.txt'))[CHRONY_SERVER[release]]
    assert (entry['mode'], entry['key_id'], entry['key_type'], entry['key_length'], entry['attempts'],
            entry['naks'], entry['cookies'], entry['cookie_length']) == ('NTS', 1, key_type, key_length, 0, 0, 8,
                                                                         cookie_length)
    assert entry['last'] is not None


@pytest.mark.parametrize('release', ['deb12', 'deb13'])
def test_authdata_of_the_wrong_ca(release):
    entry = chronyc.parse_authdata(fixture(release + '_wrongca_authdata.txt'))[CHRONY_SERVER[release]]
    assert (entry['mode'], entry['key_length'], entry['last'], entry['attempts'], entry['cookies']) == (
        'NTS', 0, None, 1, 0)


def test_sources_fields():
    (source,) = chronyc.parse_sources(fixture('deb12_client_sources.txt'))
    assert source == {
        'mode': 'server', 'state': '*', 'state_name': 'selected', 'address': '10.89.0.2', 'stratum': 10, 'poll': 6,
        'reach': '37', 'last_rx': 32, 'offset': -0.004922, 'measured_offset': -0.402765, 'error': 0.169503,
        'raw': {'mode': '^', 'state': '*', 'address': '10.89.0.2', 'stratum': '10', 'poll': '6', 'reach': '37',
                'last_rx': '32', 'offset': '-0.000004922', 'measured_offset': '-0.000402765',
                'error': '0.000169503'}}
    (never,) = chronyc.parse_sources(fixture('deb13_wrongca_sources.txt'))
    assert (never['last_rx'], never['reach'], never['state_name']) == (None, '0', 'unusable')


@pytest.mark.parametrize('prefix, refid, stratum, leap, offset', [
    ('deb12_client', '10.89.0.2', 11, 'none', -0.397847),
    ('deb13_client_ntpsecsrv', '10.89.0.13', 6, 'none', 0.042269),
    ('deb12_server', '127.127.1.1', 10, 'none', 0.0),     # chrony's "local" reference, 0x7F7F0101
    ('deb13_wrongca', '0.0.0.0', 0, 'alarm', 0.0),         # "Not synchronised"
])
def test_tracking(prefix, refid, stratum, leap, offset):
    system = chronyc.system_info(fixture(prefix + '_tracking.txt'))
    assert (system['refid'], system['stratum'], system['leap'], system['offset']) == (refid, stratum, leap, offset)
    assert system['variables']['leap_status'] in ('Normal', 'Not synchronised')
    assert (system['certificates'], system['identity'], system['peer']) == ([], 'none', None)


# -- chronyc's failures and unexpected output ---------------------------------------------------

@pytest.mark.parametrize('prefix, start', [
    ('deb12_stopped', 'chronyd is not running on localhost, or does not answer'),
    ('deb13_stopped', 'chronyd is not running on localhost, or does not answer'),
    # a remote chronyd: its command port listens on localhost only, so it looks stopped
    ('deb12_remote_denied', 'chronyd is not running on localhost, or does not answer'),
    ('deb13_remote_denied', 'chronyd is not running on localhost, or does not answer'),
    ('deb12_unknown_host', 'chronyc cannot reach host localhost: Could not open connection to daemon'),
    ('deb13_unknown_host', 'chronyc cannot reach host localhost: Could not open connection to daemon'),
])
def test_chronyc_errors(prefix, start):
    message = chronyc.chronyc_error(1, fixture(prefix + '_stdout.txt'), fixture(prefix + '_stderr.txt'))
    assert message.startswith(start), message

    def run(command):
        return 1, fixture(prefix + '_stdout.txt'), fixture(prefix + '_stderr.txt')
    with pytest.raises(chronyc.ChronycError, match='^' + start):
        chronyc.collect(run)


def test_other_failures():
    assert chronyc.chronyc_error(1, '501 Not authorised\n', '') == 'chronyc failed with exit code 1: 501 Not authorised'
    assert chronyc.chronyc_error(0, fixture('deb12_client_sources.txt'), '') is None


@pytest.mark.parametrize('command, text, match', [
    ('sources', '^,*,10.89.0.2,10,6,17\n', 'unexpected line in chronyc sources output'),
    ('sources', '^,!,10.89.0.2,10,6,17,0,0.1,0.1,0.1\n', 'unknown source mode/state'),
    ('sources', '^,*,10.89.0.2,ten,6,17,0,0.1,0.1,0.1\n', 'is not a number'),
    ('sources', '^,*,10.89.0.2,10,6,19,0,0.1,0.1,0.1\n', 'is not octal'),
    ('authdata', '10.89.0.2,NTS,1,15,256,6,0,0,8\n', 'unexpected line in chronyc authdata output'),
    ('tracking', '', 'chronyc tracking printed 0 records'),
    ('tracking', fixture('deb12_client_tracking.txt').replace('Normal', 'Maybe'), 'unknown leap status'),
])
def test_unparsable_output(command, text, match):
    def run(name):
        return 0, text if name == command else fixture('deb12_client_%s.txt' % name), ''
    with pytest.raises(chronyc.ChronycParseError, match=match):
        chronyc.collect(run)
    # the module catches the readers' common classes (module_utils/status.py)
    assert issubclass(chronyc.ChronycParseError, status.StatusParseError)


def test_source_without_authdata_is_reported():
    def run(name):
        return 0, '' if name == 'authdata' else fixture('deb12_client_%s.txt' % name), ''
    warnings = []
    system, associations = chronyc.collect(run, warn=warnings.append)
    assert warnings == ['chronyd reported no authentication data for source 10.89.0.2']
    assert (associations[0]['auth'], associations[0]['nts'], associations[0]['cookies']) == ('none', False, None)
    assert status.summarize(system, associations)['authenticated'] is False


def test_symmetric_key_source():
    sources = '^,*,10.89.0.2,10,6,377,3,0.000001,0.000001,0.0001\n'
    (source,) = chronyc.parse_sources(sources)
    auth = chronyc.parse_authdata('10.89.0.2,SK,7,2,160,4294967295,0,0,0,0\n')['10.89.0.2']
    info = chronyc.association_info(1, source, auth)
    assert (info['auth'], info['nts'], info['cookies'], info['key_length']) == ('ok', False, None, 160)
    unreached = chronyc.association_info(1, dict(source, reach='0'), auth)
    assert unreached['auth'] == 'bad'


@pytest.mark.parametrize('argv, config', [
    (['/usr/sbin/chronyd', '-F', '1', '-x'], '/etc/chrony/chrony.conf'),
    (['/usr/sbin/chronyd', '-f', '/etc/chrony.conf', '-F', '1'], '/etc/chrony.conf'),
    (['/usr/sbin/chronyd', '-f/a.conf', '-f', '/b.conf'], '/b.conf'),
])
def test_config_file(argv, config):
    assert chronyc.config_file(argv) == config
