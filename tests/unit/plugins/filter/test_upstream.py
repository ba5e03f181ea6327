# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/upstream.py and the ntp_upstreams filter: every entry checked, lines per daemon, keys never shown.
(Among the filter tests: ansible-test runs the module_utils tests without the controller's ansible.errors.)"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_upstreams import ntp_upstreams
from ansible_collections.timesec.ntp.plugins.module_utils import upstream

KEY = '0123456789abcdef0123456789abcdef'
SHA1_KEY = 'ab' * 20
NTS = {'host': 'nts.example.net', 'auth': 'nts'}
SYM = {'host': '192.0.2.7', 'auth': 'symmetric', 'key_id': 42, 'key': KEY}


@pytest.mark.parametrize('entries, daemon, require_auth, expected', [
    (['10.0.0.1'], 'ntp', None, ['server 10.0.0.1 iburst']),
    (['10.0.0.1', 'ntp.example.org.'], 'ntpsec', None, ['server 10.0.0.1 iburst', 'server ntp.example.org. iburst']),
    ([{'host': 'pool.example.org', 'pool': True}], 'chrony', None, ['pool pool.example.org iburst']),
    ([dict(NTS, prefer=True, minpoll=4, maxpoll=6)], 'ntpsec', None,
     ['server nts.example.net iburst prefer minpoll 4 maxpoll 6 nts']),
    ([dict(NTS, nts_ca='-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----')], 'ntpsec', None,
     ['server nts.example.net iburst nts ca /etc/ca.pem']),
    ([SYM], 'ntp', None, ['server 192.0.2.7 iburst key 42']),
    ([dict(SYM, iburst=False)], 'chrony', None, ['server 192.0.2.7 key 42']),
    # require_auth false: a plain upstream next to an authenticated one is the user's choice
    ([NTS, '10.0.0.1'], 'ntpsec', False, ['server nts.example.net iburst nts', 'server 10.0.0.1 iburst']),
    # chrony: authselectmode require keeps the plain one from being selected (the template's job)
    ([NTS, '10.0.0.1'], 'chrony', True, ['server nts.example.net iburst nts', 'server 10.0.0.1 iburst']),
    ([], 'ntp', None, []),
])
def test_lines(entries, daemon, require_auth, expected):
    assert ntp_upstreams(entries, output='lines', daemon=daemon, require_auth=require_auth, ca_file='/etc/ca.pem',
                         digests=['AES128CMAC', 'SHA1']) == expected


@pytest.mark.parametrize('entries, daemon, require_auth, message', [
    # an entry that is not a host is not shown (it may be anything)
    (['10.0.0.1 iburst\nrestrict default nomodify\n#'], None, None, 'ntp_server_upstream_servers[0] (its host not shown)'),
    (['10.0.0.1 iburst'], None, None, 'host must be a DNS name or an IP address'),
    (['ntp#1.example.org'], None, None, 'no whitespace, newline, "#"'),
    (['-bad.example.org'], None, None, 'ntp_server_upstream_servers[0]'),
    ([{'host': 'a.example.org', 'auth': 'autokey'}], None, None, 'auth must be one of none, nts, symmetric'),
    ([{'host': 'a.example.org', 'port': 123}], None, None, 'unknown key port'),
    ([{'host': 'a.example.org', 'minpoll': 2}], None, None, 'minpoll must be a whole number from 3 to 17'),
    ([{'host': 'a.example.org', 'minpoll': 8, 'maxpoll': 6}], None, None, 'minpoll (8) is above maxpoll (6)'),
    ([{'host': 'a.example.org', 'prefer': 'yes'}], None, None, 'prefer must be true or false'),
    ([{'host': 'a.example.org', 'nts_ca': 'x'}], None, None, 'nts_ca is for auth nts only'),
    ([{'host': 'a.example.org', 'key': KEY}], None, None, 'key is for auth symmetric only'),
    ([dict(SYM, key_id=0)], None, None, 'needs key_id'),
    ([dict(SYM, key_id=70000)], None, None, 'needs key_id'),
    ([dict(SYM, key=KEY[:-2])], None, None, '32 hex digits for AES128CMAC'),
    ([dict(SYM, key='zz' * 16)], None, None, 'its value is not shown'),
    ([dict(SYM, digest='MD5')], None, None, 'digest must be one of'),
    ([dict(SYM, pool=True)], None, None, 'a pool has many servers'),
    ([SYM, dict(SYM, host='192.0.2.8', key='ff' * 16)], None, None, 'one ID, one key'),
    (['10.0.0.1', '10.0.0.1'], None, None, 'the same host as ntp_server_upstream_servers[0]'),
    ([NTS], 'ntp', None, 'ntp_server_upstream_servers[0] ("nts.example.net"): auth nts, but classic ntpd'),
    ([dict(NTS, host='fd42::1')], 'ntpsec', None, 'IPv6 literal'),
    ([dict(SYM, digest='SHA256', key='ab' * 32)], 'chrony', None, 'digest SHA256, which the roles do not give chrony'),
    ([NTS, '10.0.0.1'], 'ntpsec', None, 'ntp_server_upstream_servers[1] ("10.0.0.1"): a plain (unauthenticated) upstream'),
    ([SYM, '10.0.0.1'], 'ntp', True, 'a plain (unauthenticated) upstream next to authenticated ones, which ntpd'),
    (['10.0.0.1'], 'ntp', True, 'no entry of ntp_server_upstream_servers is authenticated'),
    ('10.0.0.1', None, None, 'must be a list'),
])
def test_refused(entries, daemon, require_auth, message):
    with pytest.raises(AnsibleFilterError) as info:
        ntp_upstreams(entries, output='lines', daemon=daemon, require_auth=require_auth,
                      digests=['AES128CMAC', 'SHA1'])
    assert message in str(info.value)
    for secret in (KEY, KEY[:-2], 'zz' * 16, 'ab' * 32, 'ff' * 16):
        assert secret not in str(info.value)


def test_reserved_key_id_is_refused():
    with pytest.raises(AnsibleFilterError, match="key_id 42 is the ID of one of this server's client keys"):
        ntp_upstreams([SYM], daemon='ntp', reserved_ids=[1, 42])


def test_require_auth_defaults_to_true_with_an_authenticated_upstream():
    assert upstream.require_auth_default(upstream.normalize([SYM, '10.0.0.1']))
    assert not upstream.require_auth_default(upstream.normalize(['10.0.0.1']))
    with pytest.raises(AnsibleFilterError, match='a plain'):
        ntp_upstreams([SYM, '10.0.0.1'], daemon='ntp')


def test_keys_are_keys_file_entries_once_per_id():
    entries = [SYM, dict(SYM, host='192.0.2.8'), dict(SYM, host='192.0.2.9', key_id=7, digest='SHA1', key=SHA1_KEY.upper())]
    assert ntp_upstreams(entries, output='keys') == [
        {'id': 7, 'type': 'SHA1', 'value': SHA1_KEY},
        {'id': 42, 'type': 'AES128CMAC', 'value': KEY},
    ]
    assert ntp_upstreams(entries, output='keys', daemon='ntp') == ntp_upstreams(entries, output='keys')
    assert all(KEY not in line for line in ntp_upstreams(entries, output='lines'))


def test_entries_are_complete():
    assert upstream.normalize(['ntp.example.org'])[0] == {
        'host': 'ntp.example.org', 'auth': 'none', 'pool': False, 'prefer': False, 'iburst': True, 'minpoll': None,
        'maxpoll': None, 'nts_ca': '', 'key_id': None, 'key': None, 'digest': None}


@pytest.mark.parametrize('value, expected', [
    ('ntp.example.org', True), ('192.0.2.1', True), ('fd42:201:125::2', True), ('a-b.c1', True), ('x.', True),
    ('', False), ('a b', False), ('a\nb', False), ('a#b', False), ('a..b', False), ('-a', False), ('a' * 64, False),
    ('ntp.example.org:123', False), (None, False), (7, False),
])
def test_is_host(value, expected):
    assert upstream.is_host(value) is expected


@pytest.mark.parametrize('entries, distance, expected', [
    # chrony's default maxpoll (10) for an entry without one: 0.05 + 2 x 15e-6 x 1024
    (['10.0.0.1'], None, 0.0807),
    ([dict(NTS, maxpoll=8)], None, 0.0577),
    # the largest maxpoll of all entries; a minpoll above chrony's default maxpoll counts as the maxpoll
    ([dict(NTS, maxpoll=4), dict(SYM, maxpoll=12)], None, 0.1729),
    ([dict(NTS, minpoll=12)], None, 0.1729),
    # no entry: chrony's default
    ([], None, 0.0807),
    # the user's distance replaces the computed one
    ([dict(NTS, maxpoll=4)], 0.003, 0.003),
    ([dict(NTS, maxpoll=4)], '0.5', 0.5),
])
def test_holdover(entries, distance, expected):
    assert ntp_upstreams(entries, output='holdover', distance=distance) == {'clock_error': 15, 'distance': expected}


@pytest.mark.parametrize('distance', [0, 0.0001, 1.5, -1, 'soon', True, [0.1]])
def test_holdover_distance_out_of_range_is_refused(distance):
    message = r'ntp_server_upstream_orphan_distance must be a number of seconds from 0\.001 to 1\.0, got .*leave it unset'
    with pytest.raises(AnsibleFilterError, match=message):
        ntp_upstreams([NTS], output='holdover', distance=distance)


def test_holdover_keeps_a_synchronised_server_synchronised():
    """The computed distance is above what a synchronised chrony adds between two updates at its maxpoll, with
    room for a lost reply and the upstream's own root distance: it never turns local while synchronised."""
    for maxpoll in range(3, 18):
        distance = upstream.holdover(upstream.normalize([dict(NTS, maxpoll=maxpoll)]))['distance']
        growth = upstream.CLOCK_ERROR_PPM * 1e-6 * 2 ** maxpoll
        assert distance >= 2 * growth + upstream.DISTANCE_MARGIN - 1e-4, maxpoll
