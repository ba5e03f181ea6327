# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the readers share (module_utils/status.py): the summary on associations of every daemon's
shape, the errors both readers raise, and the rule that the readers are equal (each imports status,
neither imports the other). The readers' own tests run status.summarize on real captures
(test_ntpq.py, test_ntpq_ntpsec.py, test_ntpq_symmetric.py, test_chronyc.py)."""

from __future__ import annotations

import ast
import os

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import chronyc, ntpq, status
from ansible_collections.timesec.ntp.plugins.modules import ntp_status_info

MODULE_UTILS = os.path.dirname(status.__file__)
# The readers ntp_status_info runs (a new daemon's reader joins them there: docs/map.md).
READERS = sorted(set(reader['collect'].__module__.rsplit('.', 1)[-1] for reader in ntp_status_info.READERS.values()))

SYNCED = {'daemon': 'ntp', 'leap': 'none', 'sync': 'ntp', 'stratum': 3}
AUTOKEY_PEER = {'address': '10.0.0.1', 'condition': 'sys.peer', 'auth': 'ok',
                'flags': {'names': ['ENAB', 'IFF', 'CERT', 'VRFY']}}
NTS_PEER = {'address': '10.0.0.2', 'condition': 'sys.peer', 'auth': 'ok', 'nts': True, 'cookies': 8,
            'flags': None, 'name': 'ntp.example'}
SYMMETRIC_PEER = {'address': '10.0.0.3', 'condition': 'sys.peer', 'auth': 'ok', 'symmetric': True,
                  'key_id': 7, 'flags': None}


def summary(**values):
    base = {'synchronized': True, 'authenticated': False, 'symmetric': False, 'key_id': None,
            'identity_verified': False, 'nts': False, 'sys_peer': None}
    base.update(values)
    return base


@pytest.mark.parametrize('system, associations, expected', [
    (SYNCED, [], summary(synchronized=False)),
    (SYNCED, [AUTOKEY_PEER], summary(authenticated=True, identity_verified=True, sys_peer='10.0.0.1')),
    (SYNCED, [dict(AUTOKEY_PEER, flags={'names': ['ENAB', 'CERT', 'VRFY']})],
     summary(authenticated=True, sys_peer='10.0.0.1')),
    (SYNCED, [dict(AUTOKEY_PEER, condition='candidate'), dict(NTS_PEER, condition='reject')], summary(synchronized=False)),
    # ntpsec and chrony name no sync source: the stratum decides
    (dict(SYNCED, daemon='ntpsec', sync='unspec'), [NTS_PEER], summary(authenticated=True, nts=True, sys_peer='10.0.0.2')),
    (dict(SYNCED, daemon='chrony', sync=None, stratum=16), [NTS_PEER],
     summary(synchronized=False, authenticated=True, nts=True, sys_peer='10.0.0.2')),
    (dict(SYNCED, daemon='chrony', sync=None), [dict(NTS_PEER, cookies=0)], summary(sys_peer='10.0.0.2')),
    (dict(SYNCED, sync='unspec'), [SYMMETRIC_PEER],
     summary(synchronized=False, authenticated=True, symmetric=True, key_id=7, sys_peer='10.0.0.3')),
    (dict(SYNCED, leap='alarm'), [dict(SYMMETRIC_PEER, auth='bad')], summary(synchronized=False, sys_peer='10.0.0.3')),
])
def test_summarize_is_the_same_rule_for_every_daemon(system, associations, expected):
    assert status.summarize(system, associations) == expected


@pytest.mark.parametrize('assoc, how', [
    (None, None),
    (AUTOKEY_PEER, 'autokey'),
    (dict(AUTOKEY_PEER, auth='bad'), None),
    (NTS_PEER, 'nts'),
    (dict(NTS_PEER, cookies=-1), None),
    (SYMMETRIC_PEER, 'symmetric'),
    ({'auth': 'ok'}, None),
])
def test_authenticated_by(assoc, how):
    assert status.authenticated_by(assoc) == how
    assert status.identity_verified(assoc) is (how == 'autokey')


def test_source_of_a_chain_report():
    assert status.source(NTS_PEER) == {
        'address': '10.0.0.2', 'name': 'ntp.example', 'scheme': 'nts', 'authenticated': True, 'key_id': None,
        'selected': True, 'condition': 'sys.peer', 'stratum': None, 'reach_register': None}


@pytest.mark.parametrize('text, limit, expected', [
    (None, 200, ''),
    ('  short \n', 200, 'short'),
    ('x' * 201, 200, 'x' * 200 + '...'),
    ('abcdef', 3, 'abc...'),
])
def test_excerpt(text, limit, expected):
    assert status.excerpt(text, limit) == expected


def test_both_readers_raise_the_common_errors():
    """A caller catches status.StatusError (StatusParseError for unreadable output) whichever reader ran;
    the readers' own names stay for the callers that use them."""
    for error in (ntpq.NtpqError, ntpq.NtpqParseError, chronyc.ChronycError, chronyc.ChronycParseError):
        assert issubclass(error, status.StatusError)
    for error in (ntpq.NtpqParseError, chronyc.ChronycParseError):
        assert issubclass(error, status.StatusParseError)
    assert not issubclass(chronyc.ChronycError, ntpq.NtpqError)
    with pytest.raises(status.StatusParseError, match='unexpected ntpq associations output'):
        ntpq.parse_associations('garbage')
    with pytest.raises(status.StatusError, match='chronyd is not running'):
        chronyc.collect(lambda command: (1, '506 Cannot talk to daemon', ''))


def imported_module_utils(name):
    """The collection's module_utils a module_utils file imports."""
    with open(os.path.join(MODULE_UTILS, name + '.py')) as handle:
        tree = ast.parse(handle.read())
    found = set()
    prefix = 'ansible_collections.timesec.ntp.plugins.module_utils'
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == prefix:
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or '').startswith(prefix + '.'):
            found.add(node.module[len(prefix) + 1:])
    return found


def test_readers_found():
    assert READERS == ['chronyc', 'ntpq']


@pytest.mark.parametrize('reader', READERS)
def test_readers_are_equal(reader):
    """Each reader builds on status.py alone; none leans on another reader (docs/map.md, "How to add a daemon")."""
    assert imported_module_utils(reader) == {'status'}
    assert imported_module_utils('status') == set()
