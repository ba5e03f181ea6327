# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_iff_group import FilterModule, ntp_iff_group


def srv(name, group='g', has_key=False, password='pw', source='', orphan_stratum=5):
    return {'name': name, 'group': group, 'has_key': has_key, 'password': password, 'source': source,
            'orphan_stratum': orphan_stratum}


def test_registered():
    assert FilterModule().filters()['ntp_iff_group'] is ntp_iff_group


# (id, members, me, expected source, receives, peers, members of the group)
PLANS = [
    ('fresh group: the first server makes the key',
     [srv('a'), srv('b'), srv('c')], 'a', 'a', False, [], ['a', 'b', 'c']),
    ('fresh group: the others copy it',
     [srv('a'), srv('b'), srv('c')], 'c', 'a', True, ['a', 'b'], ['a', 'b', 'c']),
    ('the first server that has a key keeps it',
     [srv('a'), srv('b', has_key=True), srv('c', has_key=True)], 'a', 'b', True, [], ['a', 'b', 'c']),
    ('a server added at the end copies the key, follows all servers before it',
     [srv('a', has_key=True), srv('b', has_key=True), srv('d')], 'd', 'a', True, ['a', 'b'], ['a', 'b', 'd']),
    ('a reinstalled first server gets the key of the next one',
     [srv('a'), srv('b', has_key=True)], 'a', 'b', True, [], ['a', 'b']),
    ('other groups do not count',
     [srv('x', group='h', has_key=True), srv('a'), srv('b', has_key=True)], 'b', 'b', False, ['a'], ['a', 'b']),
    ('a server alone in its group is its own source',
     [srv('a', has_key=True), srv('z', group='h')], 'z', 'z', False, [], ['z']),
    ('a named source wins over inventory order',
     [srv('a', has_key=True, source='b'), srv('b', has_key=True, source='b')], 'a', 'b', True, [], ['a', 'b']),
    ('a named source outside the play',
     [srv('a', source='old'), srv('b', source='old')], 'b', 'old', True, ['a'], ['a', 'b']),
    ('passwords differ only across groups',
     [srv('a', password='1'), srv('z', group='h', password='2')], 'a', 'a', False, [], ['a']),
]


@pytest.mark.parametrize('members, me, source, receives, peers, names', [p[1:] for p in PLANS], ids=[p[0] for p in PLANS])
def test_plan(members, me, source, receives, peers, names):
    plan = ntp_iff_group(members, me)
    assert plan['errors'] == []
    assert (plan['source'], plan['receives'], plan['peers'], plan['members']) == (source, receives, peers, names)
    assert plan['source_reason']


# (id, members, me, words every error message must hold)
REFUSALS = [
    ('two passwords in one group',
     [srv('a', password='1'), srv('b', password='1'), srv('c', password='2')], 'c',
     ['ntp_server_crypto_password differs among the servers of IFF group g', '2 sets', 'a, b; c',
      'set it once for the group', 'ntp_server_group_name of their own']),
    ('orphan strata differ within a group',
     [srv('a'), srv('b', orphan_stratum=3)], 'a',
     ['ntp_server_orphan_stratum differs among the servers of IFF group g', 'a has 5, b has 3',
      'set ntp_server_orphan_stratum once for the group']),
    ('the last server would be an orphan above stratum 15',
     [srv(n, orphan_stratum=13) for n in 'abcd'], 'a',
     ['IFF group g has 4 servers', 'ntp_server_orphan_stratum 13', 'at stratum 16, above 15',
      'Lower ntp_server_orphan_stratum to at most 12']),
    ('more servers than orphan strata',
     [srv('s%02d' % n, orphan_stratum=1) for n in range(16)], 's00',
     ['IFF group g has 16 servers', 'Split the servers into several groups']),
    ('named sources disagree',
     [srv('a', source='a'), srv('b', source='b')], 'a',
     ['ntp_server_group_key_source differs among the servers of IFF group g', 'a names a, b names b']),
    ('a source named on some servers only',
     [srv('a', source='a'), srv('b')], 'b',
     ['ntp_server_group_key_source differs', 'b names (none)']),
    ('the named source serves another group',
     [srv('a', source='x'), srv('x', group='h')], 'a',
     ['ntp_server_group_key_source is x, but x is a server of IFF group h, not g', 'name a server of g (a)']),
]


@pytest.mark.parametrize('members, me, words', [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS])
def test_refusals(members, me, words):
    errors = ntp_iff_group(members, me)['errors']
    assert len(errors) == 1
    for word in words:
        assert word in errors[0]


def test_growth_changes_nothing_before_the_new_server():
    before = [srv('a', has_key=True), srv('b', has_key=True), srv('c', has_key=True)]
    after = before + [srv('d')]
    for name in 'abc':
        old, new = ntp_iff_group(before, name), ntp_iff_group(after, name)
        assert (old['source'], old['receives'], old['peers'], old['orphan_stratum']) == \
            (new['source'], new['receives'], new['peers'], new['orphan_stratum']), name
    assert ntp_iff_group(after, 'd')['peers'] == ['a', 'b', 'c']


# (members, me, position, orphan stratum): one stratum above the server before, per group
LADDER = [
    ([srv('a'), srv('b'), srv('c')], 'a', 0, 5),
    ([srv('a'), srv('b'), srv('c')], 'c', 2, 7),
    ([srv('a'), srv('x', group='h', orphan_stratum=3), srv('b')], 'b', 1, 6),
    ([srv('a'), srv('x', group='h', orphan_stratum=3), srv('b')], 'x', 0, 3),
    ([srv(n, orphan_stratum=12) for n in 'abcd'], 'd', 3, 15),
    ([srv('a', orphan_stratum='4'), srv('b', orphan_stratum='4')], 'b', 1, 5),
    ([srv('a', orphan_stratum=None), srv('b', orphan_stratum=None)], 'b', 1, None),
]


@pytest.mark.parametrize('members, me, position, orphan', LADDER)
def test_orphan_ladder(members, me, position, orphan):
    plan = ntp_iff_group(members, me)
    assert plan['errors'] == []
    assert (plan['position'], plan['orphan_stratum']) == (position, orphan)


def test_passwords_never_in_the_plan():
    plan = ntp_iff_group([srv('a', password='Secret-1'), srv('b', password='Secret-2')], 'b')
    assert 'Secret' not in repr(plan)


@pytest.mark.parametrize('members, me', [
    ('not a list', 'a'),
    ([srv('a')], 'nosuch'),
    ([{'name': 'a'}], 'a'),
    ([srv('a', orphan_stratum='five')], 'a'),
])
def test_bad_input(members, me):
    with pytest.raises(AnsibleFilterError):
        ntp_iff_group(members, me)
