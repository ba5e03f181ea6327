# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntpq parsing on real symmetric-key output (fixtures/symmetric/README.md): a classic ntpd 4.2.8
client of an ntpsec server and an ntpsec client of a classic ntpd server, each with the right key
(AES128CMAC, key 4) and with a wrong value for that key."""

from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import ntpq, status
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture

CLIENTS = ['deb11', 'deb12']


def state(client, key):
    prefix = '%s_client_%skey_' % (client, key)
    rows = ntpq.parse_associations(read_fixture('symmetric', prefix + 'as.txt'))
    system = ntpq.system_info(read_fixture('symmetric', prefix + 'rv0.txt'))
    return system, [ntpq.association_info(row, read_fixture('symmetric', prefix + 'rv_assoc.txt')) for row in rows]


# (client, key) -> association (auth, condition, key_id, symmetric), summary (synchronized, authenticated,
# symmetric, key_id, nts, identity_verified)
CASES = [
    ('deb11', 'good', ('ok', 'sys.peer', 4, True), (True, True, True, 4, False, False)),
    ('deb12', 'good', ('ok', 'sys.peer', 4, True), (True, True, True, 4, False, False)),
    ('deb11', 'wrong', ('bad', 'reject', 4, True), (False, False, False, None, False, False)),
    ('deb12', 'wrong', ('bad', 'reject', 4, True), (False, False, False, None, False, False)),
]


@pytest.mark.parametrize('client, key, association, summary', CASES)
def test_symmetric_state(client, key, association, summary):
    system, associations = state(client, key)
    assert system['daemon'] == ('ntp' if client == 'deb11' else 'ntpsec')
    (assoc,) = associations
    assert (assoc['auth'], assoc['condition'], assoc['key_id'], assoc['symmetric']) == association
    assert assoc['nts'] is False and assoc['identity'] == 'none'
    got = status.summarize(system, associations)
    assert (got['synchronized'], got['authenticated'], got['symmetric'], got['key_id'], got['nts'],
            got['identity_verified']) == summary


def test_nts_and_autokey_associations_are_not_symmetric():
    nts_status = ntpq.parse_status('f61a conf, authenb, auth, reach, sel_sys.peer, 1 event, sys_peer')
    assert ntpq._symmetric_fields({'keyid': '0'}, nts_status, None) == {'key_id': None, 'symmetric': False}
    # an Autokey session key: above 65535, with Autokey flags
    assert ntpq._symmetric_fields({'keyid': '0x9a2c31f0'}, nts_status, {'value': 0x87f23})['symmetric'] is False
    assert ntpq._symmetric_fields({'keyid': '7'}, nts_status, {'value': 0x87f23})['symmetric'] is False
    plain = ntpq.parse_status('961a conf, reach, sel_sys.peer, 1 event, sys_peer')
    assert ntpq._symmetric_fields({'keyid': '7'}, plain, None)['symmetric'] is False
