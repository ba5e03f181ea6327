# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_extra_lines import FilterModule, ntp_extra_lines


def test_registered():
    assert FilterModule().filters()['ntp_extra_lines'] is ntp_extra_lines


@pytest.mark.parametrize('syntax, lines', [
    ('ntp', ['mru maxdepth 4096', 'tos minsane 1', 'statistics loopstats', '# a comment', '', 'disable monitor']),
    ('chrony', ['smoothtime 400 0.001 leaponly', 'log tracking', 'authselectmode require', 'nosystemcert',
                'maxupdateskew 100', '  # indented comment']),
])
def test_lines_that_pass_come_back_unchanged(syntax, lines):
    assert ntp_extra_lines(lines, syntax=syntax, variable='ntp_client_extra_lines') == lines


@pytest.mark.parametrize('syntax, line, reason', [
    ('ntp', 'server 192.0.2.1 iburst', "'server' adds a time source"),
    ('ntp', 'pool pool.ntp.org iburst', "'pool' adds a time source"),
    ('ntp', 'peer 192.0.2.2', "'peer' adds a time source"),
    ('ntp', 'broadcastclient', "'broadcastclient' adds a time source"),
    ('ntp', 'manycastclient 239.1.1.1', "'manycastclient' adds a time source"),
    ('ntp', 'Server 192.0.2.1', "'server' adds a time source"),
    ('ntp', 'keys /tmp/other.keys', "'keys' changes the keys"),
    ('ntp', 'trustedkey 1 2 3', "'trustedkey' changes the keys"),
    ('ntp', 'controlkey 1', "'controlkey' changes the keys"),
    ('ntp', 'requestkey 1', "'requestkey' changes the keys"),
    ('ntp', 'crypto pw secret', "'crypto' changes the keys"),
    ('ntp', 'keysdir /tmp', "'keysdir' changes the keys"),
    ('ntp', 'nts ca /tmp/ca.pem', "'nts' changes the keys"),
    ('ntp', 'disable auth', "'disable auth' lets ntpd accept unauthenticated"),
    ('ntp', 'disable monitor auth', "'disable auth'"),
    ('ntp', 'includefile /etc/ntp.d/x.conf', "'includefile' would read configuration lines"),
    ('ntp', 'tos noval', "'noval' makes NTS accept any certificate"),
    ('chrony', 'server 192.0.2.1 iburst', "'server' adds a time source"),
    ('chrony', 'pool 2.debian.pool.ntp.org iburst', "'pool' adds a time source"),
    ('chrony', 'refclock SHM 0', "'refclock' adds a time source"),
    ('chrony', 'sourcedir /run/chrony-dhcp', "'sourcedir' adds a time source"),
    ('chrony', 'initstepslew 30 192.0.2.1', "'initstepslew' adds a time source"),
    ('chrony', 'keyfile /etc/chrony/other.keys', "'keyfile' changes the keys"),
    ('chrony', 'ntstrustedcerts /tmp/ca.pem', "'ntstrustedcerts' changes the keys"),
    ('chrony', 'ntsserverkey /tmp/key.pem', "'ntsserverkey' changes the keys"),
    ('chrony', 'authselectmode mix', "'authselectmode' other than 'require'"),
    ('chrony', 'authselectmode prefer', "'authselectmode' other than 'require'"),
    ('chrony', 'authselectmode ignore', "'authselectmode' other than 'require'"),
    ('chrony', 'authselectmode', "'authselectmode' other than 'require'"),
    ('chrony', 'include /etc/chrony/conf.d/*.conf', "'include' would read configuration lines"),
    ('chrony', 'confdir /etc/chrony/conf.d', "'confdir' would read configuration lines"),
])
def test_refused_line_is_named_with_the_reason(syntax, line, reason):
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_extra_lines(['# fine', line], syntax=syntax, variable='ntp_server_extra_lines')
    message = str(exc.value)
    assert message.startswith('ntp_server_extra_lines[1] "%s": ' % line), message
    assert reason in message
    assert message.endswith('Remove the line from ntp_server_extra_lines.')


@pytest.mark.parametrize('line', ['mru maxdepth 4096\nserver 192.0.2.1', 'tos minsane 1\r', 'a\x00b', 'x\x1b[0m'])
def test_one_line_each(line):
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_extra_lines([line], syntax='ntp', variable='ntp_client_extra_lines')
    assert 'ntp_client_extra_lines[0]' in str(exc.value)
    assert 'without line breaks or control characters' in str(exc.value)
    assert '\n' not in str(exc.value)


def test_a_chrony_directive_is_not_refused_for_ntp_and_the_other_way_round():
    # sourcedir means nothing to ntpd (ntpd would log a syntax error); the list is per syntax
    assert ntp_extra_lines(['authselectmode mix'], syntax='ntp') == ['authselectmode mix']
    assert ntp_extra_lines(['trustedkey 1'], syntax='chrony') == ['trustedkey 1']


@pytest.mark.parametrize('value', ['server 192.0.2.1', {'line': 'x'}, None])
def test_not_a_list(value):
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_extra_lines(value, syntax='ntp', variable='ntp_client_extra_lines')
    assert 'ntp_client_extra_lines must be a list' in str(exc.value)


def test_items_must_be_strings():
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_extra_lines(['ok', 42], syntax='chrony', variable='ntp_client_extra_lines')
    assert 'ntp_client_extra_lines[1] 42: each line must be a string' in str(exc.value)


def test_unknown_syntax():
    with pytest.raises(AnsibleFilterError):
        ntp_extra_lines([], syntax='openntpd')
