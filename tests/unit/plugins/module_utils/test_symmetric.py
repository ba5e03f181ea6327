# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/symmetric: the controller's key store (plan, parse, write) and the keys file lines."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import symmetric


def counter():
    """A stand-in for secrets.token_hex that gives predictable values of the right length."""
    calls = []

    def token_hex(length):
        calls.append(length)
        return ('%02x' % len(calls)) * length
    return token_hex


KEY1 = {'id': 1, 'type': 'AES128CMAC', 'value': 'aa' * 16}
KEY3 = {'id': 3, 'type': 'SHA1', 'value': 'bb' * 20}


KEY2_ROTATING = {'id': 2, 'type': 'AES128CMAC', 'value': 'cc' * 16,
                 'next': {'id': 4, 'type': 'AES128CMAC', 'value': 'dd' * 16}}


@pytest.mark.parametrize('keys, names, digest, rotate, ids, outcome', [
    # an empty store: IDs from 1, in the order of the names
    ({}, ['c1', 'c2'], 'AES128CMAC', [], {'c1': [1], 'c2': [2]}, (['c1', 'c2'], [], [])),
    # existing keys keep their IDs; a new one gets the lowest free ID (2)
    ({'c1': KEY1, 'c3': KEY3}, ['c1', 'c9'], 'AES128CMAC', [], {'c1': [1], 'c3': [3], 'c9': [2]}, (['c9'], [], [])),
    # nothing to do; an existing key keeps its digest (SHA1) even when another is asked for
    ({'c1': KEY1, 'c3': KEY3}, ['c1', 'c3'], 'AES128CMAC', [], {'c1': [1], 'c3': [3]}, ([], [], [])),
    # rotation starts: a next key under the lowest free ID, the old one stays
    ({'c1': KEY1, 'c3': KEY3}, ['c1', 'c3'], 'SHA256', ['c3'], {'c1': [1], 'c3': [3, 2]}, ([], ['c3'], [])),
    # a repeated rotating run (another server, or a re-run) keeps the next key
    ({'c2': KEY2_ROTATING}, ['c2'], 'AES128CMAC', ['c2'], {'c2': [2, 4]}, ([], [], [])),
    # the next run without the name finishes: the next key is the only one
    ({'c2': KEY2_ROTATING}, ['c2'], 'AES128CMAC', [], {'c2': [4]}, ([], [], ['c2'])),
    # an ID held by a next key is not given to a new name
    ({'c2': KEY2_ROTATING, 'c1': KEY1}, ['c1', 'c2', 'c9'], 'AES128CMAC', ['c2'], {'c1': [1], 'c2': [2, 4], 'c9': [3]},
     (['c9'], [], [])),
    # names not asked for are left alone, even when listed in rotate or in rotation
    ({'c1': KEY1, 'c2': KEY2_ROTATING}, ['c1'], 'AES128CMAC', ['c3'], {'c1': [1], 'c2': [2, 4]}, ([], [], [])),
])
def test_plan(keys, names, digest, rotate, ids, outcome):
    before = json.dumps(keys, sort_keys=True)
    result, created, rotated, finished = symmetric.plan(keys, names, digest, rotate, token_hex=counter())
    assert json.dumps(keys, sort_keys=True) == before, 'plan() changed its input'
    assert {name: [key['id'] for key in symmetric.generations(entry)] for name, entry in result.items()} == ids
    assert (created, rotated, finished) == outcome
    for name in created:
        assert result[name]['type'] == digest and len(result[name]['value']) == 2 * symmetric.DIGESTS[digest]
    for name in rotated:
        assert result[name]['next']['type'] == digest and result[name]['next']['value'] != result[name]['value']
        assert {k: v for k, v in result[name].items() if k != 'next'} == keys[name]
    for name in finished:
        assert result[name] == keys[name]['next']
    for name in set(keys) - set(created + rotated + finished):
        assert result[name] == keys[name]
    symmetric.parse_store(symmetric.dump_store(result))


def test_active_key_and_held_ids():
    keys = {'c1': KEY1, 'c2': KEY2_ROTATING, 'c3': KEY3}
    assert symmetric.public_view(keys, ['c1', 'c2']) == {'c1': {'id': 1, 'type': 'AES128CMAC'},
                                                         'c2': {'id': 4, 'type': 'AES128CMAC'}}
    assert symmetric.held_ids(keys, ['c2', 'c1', 'gone']) == [1, 2, 4]


@pytest.mark.parametrize('digest, length', [('AES128CMAC', 32), ('SHA512', 128), ('SHA256', 64), ('SHA1', 40)])
def test_new_values_are_random_hex_of_the_digest_length(digest, length):
    first, second = symmetric.new_value(digest), symmetric.new_value(digest)
    assert len(first) == length and symmetric.HEX_RE.match(first) and first != second


@pytest.mark.parametrize('text, message', [
    ('not json', 'not JSON'),
    ('[]', 'no "keys" mapping'),
    ('{"keys": {"c/1": %s}}' % json.dumps(KEY1), 'key name'),
    ('{"keys": {"c1": {"id": 0, "type": "AES128CMAC", "value": "%s"}}}' % ('aa' * 16), 'not {id'),
    ('{"keys": {"c1": {"id": 1, "type": "MD5", "value": "%s"}}}' % ('aa' * 16), 'not {id'),
    ('{"keys": {"c1": {"id": 1, "type": "AES128CMAC", "value": "%s"}}}' % ('aa' * 15), 'not {id'),
    ('{"keys": {"c1": {"id": 1, "type": "AES128CMAC", "value": "%s"}}}' % ('AA' * 16), 'not {id'),
    ('{"keys": {"c1": %s, "c2": %s}}' % (json.dumps(KEY1), json.dumps(KEY1)), 'share the ID 1'),
    ('{"keys": {"c1": %s, "c2": %s}}' % (json.dumps(KEY1), json.dumps(dict(KEY3, next=KEY1))), 'share the ID 1'),
    ('{"keys": {"c1": %s}}' % json.dumps(dict(KEY1, next={'id': 2})), r'c1 \(next\)'),
])
def test_bad_stores(text, message):
    with pytest.raises(symmetric.StoreError, match=message):
        symmetric.parse_store(text)


@pytest.mark.parametrize('name, ok', [('client1', True), ('a.b-c_d', True), ('x' * 64, True), ('x' * 65, False),
                                      ('-x', False), ('c 1', False), ('', False), (None, False)])
def test_names(name, ok):
    if ok:
        assert symmetric.check_name(name) == name
    else:
        with pytest.raises(symmetric.StoreError):
            symmetric.check_name(name)


def test_unknown_digest():
    with pytest.raises(symmetric.StoreError, match='choose one of AES128CMAC'):
        symmetric.plan({}, ['c1'], 'MD5')


def test_full_store():
    keys = {'k%d' % i: {'id': i, 'type': 'SHA1', 'value': 'bb' * 20} for i in range(1, symmetric.MAX_KEY_ID + 1)}
    with pytest.raises(symmetric.StoreError, match='full'):
        symmetric.free_id(keys)


def test_write_and_read(tmp_path):
    assert symmetric.read_store(str(tmp_path)) == {}
    keys = {'c1': KEY1, 'c3': KEY3}
    with symmetric.Locked(str(tmp_path)):
        symmetric.write_store(str(tmp_path), keys)
    path = tmp_path / 'keys.json'
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert symmetric.read_store(str(tmp_path)) == keys
    assert sorted(os.listdir(str(tmp_path))) == ['.lock', 'keys.json']


def test_public_view_has_no_values():
    view = symmetric.public_view({'c1': KEY1, 'c3': KEY3}, ['c3'])
    assert view == {'c3': {'id': 3, 'type': 'SHA1'}}


@pytest.mark.parametrize('syntax, expected', [
    ('ntp', ['1 AES128CMAC ' + 'aa' * 16, '3 SHA1 ' + 'bb' * 20]),
    ('chrony', ['1 AES128 HEX:' + 'aa' * 16, '3 SHA1 HEX:' + 'bb' * 20]),
])
def test_keys_file_lines_sorted_by_id(syntax, expected):
    assert symmetric.keys_file_lines([KEY3, KEY1], syntax) == expected


def test_keys_file_lines_default_syntax_is_ntp():
    assert symmetric.keys_file_lines([KEY1]) == ['1 AES128CMAC ' + 'aa' * 16]


def test_keys_file_lines_unknown_syntax():
    with pytest.raises(symmetric.StoreError, match='syntax'):
        symmetric.keys_file_lines([KEY1], 'openntpd')


def test_reserved_ids_are_skipped_and_refused():
    """The upstreams' key IDs (ntp_server_upstream_servers): new keys never take them; a held one fails."""
    keys, created, _r, _f = symmetric.plan({}, ['c1', 'c2'], 'AES128CMAC', reserved=[1, 3])
    assert created == ['c1', 'c2'] and [keys['c1']['id'], keys['c2']['id']] == [2, 4]
    with pytest.raises(symmetric.StoreError, match='key c1 has ID 2: the ID of an upstream server'):
        symmetric.plan(keys, ['c1', 'c2'], 'AES128CMAC', reserved=[2])
    # a key the server does not hold (another name) is not its business
    assert symmetric.plan(keys, ['c2'], 'AES128CMAC', reserved=[2])[1] == []
