# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntpq output parsing (module_utils/ntpq.py), on real ntpq 4.2.8 output (fixtures/ntpq/README.md)."""

from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import ntpq, status
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture

ASSID = 17683
PEER_FLAGS_NAMES = ['ENAB', 'TAI', 'IFF', 'CERT', 'VRFY', 'PROV', 'COOK', 'AUTO', 'SIGN', 'LEAP']
CLIENT_CERTS = [
    {'subject': 'lab-client1@lab-ntp1', 'issuer': 'lab-ntp1@lab-ntp1',
     'flags': {'value': 4, 'names': ['VALID']}, 'expires': '2027-11-26T12:21:00+00:00'},
    {'subject': 'lab-ntp1@lab-ntp1', 'issuer': 'lab-ntp1@lab-ntp1',
     'flags': {'value': 5, 'names': ['TRUST', 'VALID']}, 'expires': '2027-11-26T12:20:00+00:00'},
    {'subject': 'lab-client1@lab-ntp1', 'issuer': 'lab-client1@lab-ntp1',
     'flags': {'value': 0, 'names': []}, 'expires': '2027-11-26T12:20:00+00:00'},
]


def fixture(name):
    return read_fixture('ntpq', name)


def state(prefix):
    """(system, associations) of one captured state, as the module builds them."""
    rows = ntpq.parse_associations(fixture(prefix + '_as.txt'))
    system = ntpq.system_info(fixture(prefix + '_rv0.txt'))
    return system, [ntpq.association_info(row, fixture('%s_rv_%d.txt' % (prefix, row['assid']))) for row in rows]


# -- ntpq -c as -------------------------------------------------------------------------------

def test_associations_authenticated_client():
    assert ntpq.parse_associations(fixture('client1_as.txt')) == [{
        'ind': 1, 'assid': ASSID, 'status': 'f61e', 'conf': 'yes', 'reach': 'yes', 'auth': 'ok',
        'condition': 'sys.peer', 'last_event': None, 'event_count': 1,
    }]


def test_associations_starting_client():
    assert ntpq.parse_associations(fixture('client1_starting_as.txt')) == [{
        'ind': 1, 'assid': ASSID, 'status': 'e011', 'conf': 'yes', 'reach': 'no', 'auth': 'ok',
        'condition': 'reject', 'last_event': 'mobilize', 'event_count': 1,
    }]


def test_associations_none():
    assert ntpq.parse_associations(fixture('ntp1_as.txt')) == []


def test_associations_several_rows_keep_order():
    rows = fixture('client1_as.txt').rstrip('\n').splitlines()
    text = '\n'.join(rows + ['  2 17684  8011   yes    no  none    reject    mobilize  1',
                             '  3 17685  961a   yes   yes  none  candidate   sys_peer  2'])
    parsed = ntpq.parse_associations(text)
    assert [(r['assid'], r['auth'], r['condition'], r['last_event'], r['event_count']) for r in parsed] == [
        (ASSID, 'ok', 'sys.peer', None, 1), (17684, 'none', 'reject', 'mobilize', 1),
        (17685, 'none', 'candidate', 'sys_peer', 2)]


@pytest.mark.parametrize('text', ['', '\n', 'ntpq: read: Connection refused\n',
                                  fixture('client1_rv0.txt'),
                                  fixture('client1_as.txt') + '  1 garbage\n'])
def test_associations_unparsable(text):
    with pytest.raises(ntpq.NtpqParseError):
        ntpq.parse_associations(text)


# -- ntpq -c "rv ..." -------------------------------------------------------------------------

def test_readvars_system_header_and_quoted_values():
    pairs = ntpq.parse_readvars(fixture('client1_rv0.txt'))
    assert pairs[:4] == [
        ('associd', '0'),
        ('status', '0614 leap_none, sync_ntp, 1 event, freq_mode'),
        ('version', 'ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)'),
        ('processor', 'x86_64'),
    ]
    var = dict(pairs)
    # an unquoted value with a comma, and a quoted one after a line break
    assert var['clock'] == 'eeb2a2f7.cc9ac352  Thu, Nov 26 2026 12:22:15.799'
    assert var['host'] == 'lab-client1@lab-ntp1'
    assert var['flags'] == '0x29c0003'
    assert [p for p in pairs if p[0] in ('cert', 'until')] == [
        ('cert', 'lab-client1@lab-ntp1 lab-ntp1@lab-ntp1 0x4'), ('until', '202711261221'),
        ('cert', 'lab-ntp1@lab-ntp1 lab-ntp1@lab-ntp1 0x5'), ('until', '202711261220'),
        ('cert', 'lab-client1@lab-ntp1 lab-client1@lab-ntp1 0x0'), ('until', '202711261220'),
    ]
    assert len(pairs) == 32


def test_readvars_peer_with_status_and_flash_words():
    var = dict(ntpq.parse_readvars(fixture('client1_starting_rv_17683.txt')))
    assert var['associd'] == str(ASSID)
    assert var['status'] == 'e011 conf, authenb, auth, sel_reject, 1 event, mobilize'
    assert var['flash'] == '1680 pkt_autokey, peer_stratum, peer_dist, peer_unreach'
    assert var['keyid'] == '0xc011263'
    assert var['reftime'] == '(no time)'
    assert var['filtdisp'] == '16000.0 16000.0 16000.0 16000.0 16000.0 16000.0 16000.0 16000.0'
    assert var['ident'] == 'lab-ntp1'


def test_readvars_without_header():
    assert ntpq.parse_readvars(fixture('ntp1_rv0_cert.txt')) == [
        ('cert', 'lab-ntp1@lab-ntp1 lab-ntp1@lab-ntp1 0x1'), ('until', '202711261220')]


def test_readvars_synthetic_edge_cases():
    text = 'a="x, y=1 z", b=2,\nlong="first half\nsecond half", bare, c=,\nd=4'
    assert ntpq.parse_readvars(text) == [
        ('a', 'x, y=1 z'), ('b', '2'), ('long', 'first half second half'), ('bare', None), ('c', ''), ('d', '4')]
    # the blank line ntpq's "timeout" command prints first
    assert ntpq.parse_readvars(fixture('timeout_stdout.txt')) == []


@pytest.mark.parametrize('text', ['a="open, b=1', 'a="x"junk, b=1', '=1', ', a=1'])
def test_readvars_unparsable(text):
    with pytest.raises(ntpq.NtpqParseError):
        ntpq.parse_readvars(text)


# -- flags ------------------------------------------------------------------------------------

def test_decode_flags_rsa_sha256_iff_peer():
    assert ntpq.decode_flags('0x29c7f23') == {
        'value': 0x29c7f23, 'hex': '0x29c7f23', 'names': PEER_FLAGS_NAMES,
        'nid': 668, 'nid_name': 'sha256WithRSAEncryption'}


def test_decode_flags_rsa_md5():
    flags = ntpq.decode_flags('0x87f23')
    assert (flags['nid'], flags['nid_name']) == (8, 'md5WithRSAEncryption')
    assert flags['names'] == PEER_FLAGS_NAMES


def test_decode_flags_starting_peer_and_servers():
    assert ntpq.decode_flags('0x29c1023')['names'] == ['ENAB', 'TAI', 'IFF', 'AUTO']
    assert ntpq.decode_flags(0x29c0023)['names'] == ['ENAB', 'TAI', 'IFF']
    everything = ntpq.decode_flags(0x7ff3)['names']
    assert everything == ['ENAB', 'TAI', 'PRIV', 'IFF', 'GQ', 'MV', 'CERT', 'VRFY', 'PROV', 'COOK', 'AUTO',
                          'SIGN', 'LEAP']


def test_decode_flags_unknown_nid_and_none():
    flags = ntpq.decode_flags('0x3e70001')
    assert (flags['nid'], flags['nid_name'], flags['names']) == (999, None, ['ENAB'])
    assert ntpq.decode_flags('0x0') == {'value': 0, 'hex': '0x0', 'names': [], 'nid': None, 'nid_name': None}
    assert ntpq.decode_flags(None) is None
    with pytest.raises(ntpq.NtpqParseError):
        ntpq.decode_flags('0xzz')


@pytest.mark.parametrize('value, scheme', [
    ('0x29c7f23', 'iff'), ('0x29c0043', 'gq'), ('0x29c0083', 'mv'), ('0x29c0011', 'pc'),
    ('0x29c0003', 'tc'), ('0x0', 'none'), (None, 'none'),
])
def test_identity_scheme(value, scheme):
    assert ntpq.identity_scheme(ntpq.decode_flags(value)) == scheme


# -- certificates -----------------------------------------------------------------------------

def test_cert_list_client():
    assert ntpq.parse_cert_list(fixture('client1_rv0.txt')) == CLIENT_CERTS
    # "rv 0 cert" lists the same
    assert ntpq.parse_cert_list(fixture('client1_rv0_cert.txt')) == CLIENT_CERTS


def test_cert_list_trusted_server():
    assert ntpq.parse_cert_list(ntpq.parse_readvars(fixture('ntp1_rv0.txt'))) == [
        {'subject': 'lab-ntp1@lab-ntp1', 'issuer': 'lab-ntp1@lab-ntp1',
         'flags': {'value': 1, 'names': ['TRUST']}, 'expires': '2027-11-26T12:20:00+00:00'}]


def test_cert_list_older_expire_name_and_missing_date():
    certs = ntpq.parse_cert_list('cert="a@g b@g 0x86", expire=202001020304, cert="c@g c@g 0x1"')
    assert certs == [
        {'subject': 'a@g', 'issuer': 'b@g', 'flags': {'value': 0x86, 'names': ['SIGN', 'VALID', 'ERROR']},
         'expires': '2020-01-02T03:04:00+00:00'},
        {'subject': 'c@g', 'issuer': 'c@g', 'flags': {'value': 1, 'names': ['TRUST']}, 'expires': None}]
    with pytest.raises(ntpq.NtpqParseError):
        ntpq.parse_cert_list('cert="only-a-subject"')


def test_calendar_to_iso():
    assert ntpq.calendar_to_iso('202711261220') == '2027-11-26T12:20:00+00:00'
    assert ntpq.calendar_to_iso('(no time)') is None


# -- typed views and the summary --------------------------------------------------------------

def test_system_info_synchronized_client():
    system = state('client1')[0]
    assert {k: system[k] for k in ('status', 'leap', 'leap_indicator', 'sync', 'event_count', 'last_event',
                                   'stratum', 'refid', 'peer', 'host', 'ident', 'digest', 'signature',
                                   'identity')} == {
        'status': '0614', 'leap': 'none', 'leap_indicator': '00', 'sync': 'ntp', 'event_count': 1,
        'last_event': 'freq_mode', 'stratum': 6, 'refid': '10.89.0.2', 'peer': ASSID,
        'host': 'lab-client1@lab-ntp1', 'ident': None, 'digest': 'md5',
        'signature': 'sha256WithRSAEncryption', 'identity': 'tc'}
    assert system['status_words'] == ['leap_none', 'sync_ntp', '1 event', 'freq_mode']
    assert system['offset'] == pytest.approx(0.024911)
    assert system['flags']['names'] == ['ENAB', 'TAI']
    assert system['certificates'] == CLIENT_CERTS
    assert 'cert' not in system['variables'] and system['variables']['clk_jitter'] == '0.010'


def test_system_info_starting_client_and_server():
    system = state('client1_starting')[0]
    assert (system['leap'], system['sync'], system['stratum'], system['refid'], system['last_event']) == (
        'alarm', 'unspec', 16, 'INIT', 'restart')
    server = ntpq.system_info(fixture('ntp1_rv0.txt'))
    assert (server['sync'], server['stratum'], server['peer'], server['identity']) == ('unspec', 5, 0, 'iff')


def test_system_info_without_variables():
    with pytest.raises(ntpq.NtpqParseError):
        ntpq.system_info('\n')


def test_association_info_authenticated_peer():
    (peer,) = state('client1')[1]
    assert {k: peer[k] for k in ('assid', 'address', 'auth', 'condition', 'selection', 'leap', 'stratum',
                                 'refid', 'reach_register', 'flash', 'host', 'ident', 'signature',
                                 'identity')} == {
        'assid': ASSID, 'address': '10.89.0.2', 'auth': 'ok', 'condition': 'sys.peer', 'selection': 'sys.peer',
        'leap': 'none', 'stratum': 5, 'refid': '127.0.0.1', 'reach_register': '003', 'flash': '00 ok',
        'host': 'lab-ntp1@lab-ntp1', 'ident': 'lab-ntp1', 'signature': 'sha256WithRSAEncryption',
        'identity': 'iff'}
    assert peer['flags']['nid'] == 668 and peer['flags']['names'] == PEER_FLAGS_NAMES
    assert peer['delay'] == pytest.approx(0.108)


def test_association_info_forgotten():
    row = ntpq.parse_associations(fixture('client1_as.txt'))[0]
    info = ntpq.association_info(row, None)
    assert (info['assid'], info['condition'], info['address'], info['flags'], info['identity']) == (
        ASSID, 'sys.peer', None, None, 'none')


def test_summary_authenticated_client():
    assert status.summarize(*state('client1')) == {
        'synchronized': True, 'authenticated': True, 'identity_verified': True, 'nts': False, 'symmetric': False, 'key_id': None, 'sys_peer': '10.89.0.2'}


def test_summary_starting_client():
    assert status.summarize(*state('client1_starting')) == {
        'synchronized': False, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None, 'sys_peer': None}


def test_summary_orphan_server():
    system = ntpq.system_info(fixture('ntp1_rv0.txt'))
    assert status.summarize(system, ntpq.parse_associations(fixture('ntp1_as.txt'))) == {
        'synchronized': False, 'authenticated': False, 'identity_verified': False, 'nts': False, 'symmetric': False, 'key_id': None, 'sys_peer': None}


@pytest.mark.parametrize('flags, auth, expected', [
    ('0x29c7f23', 'ok', (True, True)),
    ('0x29c7d23', 'ok', (False, False)),   # no VRFY
    ('0x29c7f03', 'ok', (True, False)),    # VRFY without an identity scheme (trusted certificate)
    ('0x29c7f23', 'bad', (False, False)),
    (None, 'none', (False, False)),         # no Autokey
])
def test_summary_authentication_rules(flags, auth, expected):
    system, (peer,) = state('client1')
    peer = dict(peer, auth=auth, flags=ntpq.decode_flags(flags))
    summary = status.summarize(system, [peer])
    assert (summary['authenticated'], summary['identity_verified']) == expected
    assert summary['synchronized'] and summary['sys_peer'] == '10.89.0.2'


def test_summary_leap_alarm_is_not_synchronized():
    system, peers = state('client1')
    assert status.summarize(dict(system, leap='alarm'), peers)['synchronized'] is False
    assert status.summarize(dict(system, sync='unspec'), peers)['synchronized'] is False


# -- ntpq diagnostics -------------------------------------------------------------------------

def test_error_connection_refused():
    msg = ntpq.ntpq_error(0, '', fixture('refused_stderr.txt'), 'localhost')
    assert msg.startswith('ntpd is not running on localhost') and 'Connection refused' in msg


def test_error_timed_out():
    msg = ntpq.ntpq_error(0, fixture('timeout_stdout.txt'), fixture('timeout_stderr.txt'), '127.0.0.2')
    assert msg.startswith('ntpd on 127.0.0.2 did not answer') and 'Request timed out' in msg


def test_error_unknown_host_and_association():
    assert ntpq.ntpq_error(0, '', fixture('unknown_host_stderr.txt'), 'nosuchhost.invalid') == (
        'ntpq cannot resolve host nosuchhost.invalid: Name or service not known')
    assert ntpq.ntpq_error(0, fixture('unknown_assid_stdout.txt'), fixture('unknown_assid_stderr.txt')) == (
        'ntpq reported an error from ntpd on localhost: Association ID 65000 unknown to server')


def test_error_exit_code_and_success():
    assert ntpq.ntpq_error(1, '', 'ntpq: illegal option -- x\n') == (
        'ntpq failed with exit code 1: ntpq: illegal option -- x')
    assert ntpq.ntpq_error(0, fixture('client1_as.txt'), '') is None


@pytest.mark.parametrize('argv, daemon, expected', [
    # Debian 11's wrapper after a DHCP hook wrote /run/ntp.conf.dhcp: the dhcp file wins.
    (['/usr/sbin/ntpd', '-p', '/var/run/ntpd.pid', '-g', '-c', '/run/ntp.conf.dhcp', '-u', '105:112'], 'ntp',
     '/run/ntp.conf.dhcp'),
    # timesec.ntp's drop-in for classic ntp.
    (['/usr/sbin/ntpd', '-p', '/var/run/ntpd.pid', '-u', 'ntp:ntp', '-c', '/etc/ntp.conf', '-g'], 'ntp', '/etc/ntp.conf'),
    (['/usr/sbin/ntpd', '-g', '-u', '105:112'], 'ntp', '/etc/ntp.conf'),
    (['/usr/sbin/ntpd', '-p', '/run/ntpd.pid', '-c', '/etc/ntpsec/ntp.conf', '-g', '-N', '-u', 'ntpsec:ntpsec'], 'ntpsec',
     '/etc/ntpsec/ntp.conf'),
    (['/usr/sbin/ntpd', '-g'], 'ntpsec', '/etc/ntpsec/ntp.conf'),
    (['/usr/sbin/ntpd', '-c/etc/a.conf'], 'ntp', '/etc/a.conf'),
    (['/usr/sbin/ntpd', '--configfile=/etc/b.conf'], 'ntp', '/etc/b.conf'),
    (['/usr/sbin/ntpd', '--configfile', '/etc/c.conf', '-c', '/etc/d.conf'], 'ntp', '/etc/d.conf'),
    (['/usr/sbin/ntpd', '-c'], 'ntp', '/etc/ntp.conf'),
    (['/usr/sbin/ntpd'], None, '/etc/ntp.conf'),
], ids=['dhcp-wrapper', 'drop-in', 'default', 'ntpsec', 'ntpsec-default', 'attached', 'long-equals', 'last-wins',
        'dangling', 'unknown-daemon'])
def test_config_file(argv, daemon, expected):
    assert ntpq.config_file(argv, daemon) == expected


@pytest.mark.parametrize('assoc, expected', [
    ({'address': '10.0.0.1', 'auth': 'ok', 'condition': 'sys.peer', 'nts': True, 'cookies': 8, 'name': 'up'},
     ('nts', True, True, 'up')),
    ({'address': '10.0.0.1', 'auth': 'bad', 'condition': 'reject', 'nts': True, 'cookies': -1, 'name': 'up'},
     ('nts', False, False, 'up')),
    ({'address': '10.0.0.2', 'auth': 'ok', 'condition': 'candidate', 'symmetric': True, 'key_id': 42},
     ('symmetric', True, False, '10.0.0.2')),
    ({'address': '10.0.0.3', 'auth': 'ok', 'condition': 'sys.peer', 'flags': {'names': ['CERT', 'VRFY', 'IFF']},
      'host': 's1@g'}, ('autokey', True, True, 's1@g')),
    ({'address': '10.0.0.3', 'auth': 'ok', 'condition': 'reject', 'flags': {'names': ['CERT']}, 'host': 's1@g'},
     ('autokey', False, False, 's1@g')),
    ({'address': '10.0.0.4', 'auth': 'none', 'condition': 'sys.peer', 'flags': None}, ('none', False, True, '10.0.0.4')),
])
def test_source_names_each_hop_and_its_scheme(assoc, expected):
    got = status.source(assoc)
    assert (got['scheme'], got['authenticated'], got['selected'], got['name']) == expected
