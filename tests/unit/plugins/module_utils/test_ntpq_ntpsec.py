# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntpq parsing on real ntpsec 1.2.2 (Debian 12) and 1.2.3 (Debian 13) output with NTS
(fixtures/ntpsec/README.md): NTS state per association, the summary, ntpsec's format quirks."""

from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import ntpq, status
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture

ASSID = 17767
RELEASES = ['deb12', 'deb13']
SERVER_ADDRESS = {'deb12': '10.89.2.2', 'deb13': '10.89.2.5'}
SERVER_NAME = {'deb12': 'tsn-nts-srv12', 'deb13': 'tsn-nts-srv13'}


def fixture(name):
    return read_fixture('ntpsec', name)


def state(prefix, rv_prefix=None):
    """(system, associations) of one captured state, as the module builds them."""
    rows = ntpq.parse_associations(fixture(prefix + '_as.txt'))
    system = ntpq.system_info(fixture((rv_prefix or prefix) + '_rv0.txt'))
    return system, [ntpq.association_info(row, fixture('%s_rv_%d.txt' % (rv_prefix or prefix, row['assid'])))
                    for row in rows]


# -- format quirks ------------------------------------------------------------------------------

@pytest.mark.parametrize('release', RELEASES)
def test_associations_skip_the_timeout_echo(release):
    assert ntpq.parse_associations(fixture(release + '_client_as.txt')) == [{
        'ind': 1, 'assid': ASSID, 'status': 'f61a', 'conf': 'yes', 'reach': 'yes', 'auth': 'ok',
        'condition': 'sys.peer', 'last_event': 'sys_peer', 'event_count': 1,
    }]


@pytest.mark.parametrize('release', RELEASES)
def test_server_without_associations(release):
    assert ntpq.parse_associations(fixture(release + '_server_as.txt')) == []
    # rv 0 on a server is preceded by the "No association IDs returned" line.
    system = ntpq.system_info(fixture(release + '_server_rv0.txt'))
    assert (system['stratum'], system['refid'], system['peer'], system['daemon']) == (5, '127.0.0.1', 0, 'ntpsec')


def test_clean_output():
    assert ntpq.clean_output('primary timeout 5000 ms\n\nserver=localhost No association IDs returned\n') == ('', True)
    assert ntpq.clean_output("No association ID's returned\n") == ('', True)
    assert ntpq.clean_output('primary timeout 2000 ms\nassocid=0 leap=00\n') == ('associd=0 leap=00', False)


def test_filter_arrays_with_garbage_bytes_are_dropped():
    """Debian 12's ntpq prints uninitialised bytes (here \\x01, \\x04, ESC) in filt* values."""
    text = fixture('deb12_client_rv_17767.txt')
    assert '\x01' in text and '\x04' in text
    var = ntpq.variables(ntpq.parse_readvars(text))
    assert not [name for name in var if name.startswith('filt')]
    assert (var['keyid'], var['pmode'], var['flash'], var['headway']) == ('0', '4', '00 ok', '45')
    assert (var['srchost'], var['ntscookies']) == ('tsn-nts-srv12', '8')
    wrong = ntpq.variables(ntpq.parse_readvars(fixture('deb12_wrongca_rv_17767.txt')))
    assert '\x1b' in fixture('deb12_wrongca_rv_17767.txt')
    assert (wrong['pmode'], wrong['flash'], wrong['ntscookies']) == ('0', '1400 peer_dist peer_unreach', '-1')
    assert not [value for value in wrong.values() if value and any(ord(c) < 32 for c in value)]


@pytest.mark.parametrize('release', RELEASES)
def test_peer_variables_survive_the_filter_arrays(release):
    for kind in ('client', 'wrongca'):
        var = ntpq.variables(ntpq.parse_readvars(fixture('%s_%s_rv_%d.txt' % (release, kind, ASSID))))
        assert sorted(var) == sorted([
            'associd', 'status', 'srcadr', 'srcport', 'dstadr', 'dstport', 'leap', 'hmode', 'stratum', 'ppoll',
            'hpoll', 'precision', 'rootdelay', 'rootdisp', 'refid', 'reftime', 'rec', 'xmt', 'reach', 'unreach',
            'delay', 'offset', 'jitter', 'dispersion', 'keyid', 'pmode', 'flash', 'headway', 'srchost',
            'ntscookies'])


def test_system_variables_of_both_releases():
    old = ntpq.system_info(fixture('deb12_client_rv0.txt'))
    new = ntpq.system_info(fixture('deb13_client_rv0.txt'))
    assert old['version'] == 'ntpd ntpsec-1.2.2' and old['variables']['system'].startswith('Linux/')
    assert new['version'] == 'ntpd ntpsec-1.2.3' and new['variables']['daemon_version'] == 'ntpd ntpsec-1.2.3'
    for system in (old, new):
        assert (system['daemon'], system['sync'], system['leap'], system['stratum'], system['peer']) == (
            'ntpsec', 'unspec', 'none', 6, ASSID)
        assert (system['flags'], system['identity'], system['certificates']) == (None, 'none', [])


def test_classic_ntpd_is_not_ntpsec():
    assert ntpq.system_info(read_fixture('ntpq', 'client1_rv0.txt'))['daemon'] == 'ntp'
    assert ntpq.daemon_flavour(None) == 'ntp'


# -- NTS state ----------------------------------------------------------------------------------

@pytest.mark.parametrize('release', RELEASES)
def test_nts_authenticated_client(release):
    system, (peer,) = state(release + '_client')
    assert (peer['nts'], peer['cookies'], peer['name'], peer['auth'], peer['condition'], peer['selection']) == (
        True, 8, SERVER_NAME[release], 'ok', 'sys.peer', 'sys.peer')
    assert (peer['address'], peer['stratum'], peer['flags'], peer['identity']) == (
        SERVER_ADDRESS[release], 5, None, 'none')
    assert status.summarize(system, [peer]) == {
        'synchronized': True, 'authenticated': True, 'identity_verified': False, 'nts': True, 'symmetric': False, 'key_id': None,
        'sys_peer': SERVER_ADDRESS[release]}


@pytest.mark.parametrize('release', RELEASES)
def test_wrong_ca_client(release):
    system, (peer,) = state(release + '_wrongca')
    assert (peer['nts'], peer['cookies'], peer['auth'], peer['condition'], peer['address'], peer['refid']) == (
        True, -1, 'bad', 'reject', '0.0.0.0', 'NTS')
    assert peer['variables']['hpoll'] == '12'   # next NTS-KE attempt in 2^12 s
    assert (system['leap'], system['stratum'], system['refid']) == ('alarm', 16, 'INIT')
    assert status.summarize(system, [peer]) == {
        'synchronized': False, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None, 'sys_peer': None}


def test_client_before_nts_ke():
    (row,) = ntpq.parse_associations(fixture('deb12_client_starting_as.txt'))
    peer = ntpq.association_info(row, fixture('deb12_client_starting_rv_17767.txt'))
    assert (peer['nts'], peer['cookies'], peer['auth'], peer['refid']) == (True, -1, 'bad', 'NTS')
    assert peer['variables']['hpoll'] == '4'


def test_client_after_nts_ke_before_selection():
    """Auth is ok from the first authenticated reply, seconds before sys.peer."""
    system, _peers = state('deb12_client')
    (row,) = ntpq.parse_associations(fixture('deb12_client_kedone_as.txt'))
    assert (row['status'], row['auth'], row['condition']) == ('f014', 'ok', 'reject')
    peer = ntpq.association_info(row, fixture('deb12_client_rv_17767.txt'))
    assert status.summarize(system, [peer])['nts'] is False


@pytest.mark.parametrize('change, nts', [
    ({}, True),
    ({'cookies': 0}, False),          # cookies used up: NTS-KE pending
    ({'auth': 'bad'}, False),
    ({'nts': False}, False),          # an association without NTS
])
def test_nts_summary_rules(change, nts):
    system, (peer,) = state('deb13_client')
    summary = status.summarize(system, [dict(peer, **change)])
    assert (summary['nts'], summary['authenticated'], summary['synchronized']) == (nts, nts, True)


def test_ntpsec_synchronized_needs_a_stratum():
    system, peers = state('deb12_client')
    assert status.summarize(dict(system, stratum=16), peers)['synchronized'] is False
    assert status.summarize(dict(system, leap='alarm'), peers)['synchronized'] is False


@pytest.mark.parametrize('var, expected', [
    ('ntscookies=8, keyid=0', True),
    ('ntscookies=0, keyid=0', True),
    ('ntscookies=0, keyid=7', False),     # symmetric key
    ('keyid=0', False),                   # classic ntpd: no ntscookies
])
def test_nts_detection(var, expected):
    text = 'associd=1 status=f61a conf, authenb, auth, reach, sel_sys.peer, 1 event, sys_peer, ' + var
    row = {'ind': 1, 'assid': 1, 'status': 'f61a', 'conf': 'yes', 'reach': 'yes', 'auth': 'ok',
           'condition': 'sys.peer', 'last_event': None, 'event_count': 1}
    assert ntpq.association_info(row, text)['nts'] is expected
    plain = text.replace('authenb, auth, ', '')
    assert ntpq.association_info(row, plain)['nts'] is False


# -- diagnostics --------------------------------------------------------------------------------

@pytest.mark.parametrize('release', RELEASES)
def test_errors(release):
    def error(name, host='localhost'):
        return ntpq.ntpq_error(0, fixture('%s_%s_stdout.txt' % (release, name)),
                               fixture('%s_%s_stderr.txt' % (release, name)), host)

    assert error('refused') == ('ntpd is not running on localhost: ntpq got "Socket error" '
                                '(***Socket error; probably ntpd is not running)')
    assert error('unknown_assid') == 'ntpq reported an error from ntpd on localhost: Unknown associd.'
    assert ntpq.is_unknown_association(fixture(release + '_unknown_assid_stderr.txt'))
    assert error('unknown_host', 'no-such-host.invalid') == (
        'ntpq cannot resolve host no-such-host.invalid: ntpq: standard-mode lookup of no-such-host.invalid '
        'failed, Name or service not known')
