# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_symmetric_key (values from the key store) and ntp_symmetric (which keys each server holds)."""

from __future__ import annotations

import json

import pytest

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.timesec.ntp.plugins.lookup import ntp_symmetric, ntp_symmetric_key
from ansible_collections.timesec.ntp.plugins.module_utils import symmetric
from ansible_collections.timesec.ntp.tests.unit.utils import plugin_options

KEYS = {'c1': {'id': 1, 'type': 'AES128CMAC', 'value': 'aa' * 16},
        'c2': {'id': 2, 'type': 'SHA1', 'value': 'bb' * 20}}


def make_lookup(plugin, name):
    lookup = plugin.LookupModule()
    lookup._load_name = name
    C.config.initialize_plugin_configuration_definitions('lookup', name, plugin_options(plugin.DOCUMENTATION))
    return lookup


def test_key_values(tmp_path):
    symmetric.write_store(str(tmp_path), KEYS)
    got = make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key').run(['c2', 'c1'], variables={},
                                                                              path=str(tmp_path))
    assert [(k['name'], k['id'], k['line']) for k in got] == [
        ('c2', 2, '2 SHA1 ' + 'bb' * 20), ('c1', 1, '1 AES128CMAC ' + 'aa' * 16)]


def test_key_values_in_chrony_syntax(tmp_path):
    symmetric.write_store(str(tmp_path), KEYS)
    got = make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key').run(['c1', 'c2'], variables={},
                                                                              path=str(tmp_path), syntax='chrony')
    assert [k['line'] for k in got] == ['1 AES128 HEX:' + 'aa' * 16, '2 SHA1 HEX:' + 'bb' * 20]
    assert [k['type'] for k in got] == ['AES128CMAC', 'SHA1']


def test_key_values_during_a_rotation(tmp_path):
    keys = dict(KEYS, c1=dict(KEYS['c1'], next={'id': 3, 'type': 'AES128CMAC', 'value': 'cc' * 16}))
    symmetric.write_store(str(tmp_path), keys)
    lookup = make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key')
    client = lookup.run(['c1'], variables={}, path=str(tmp_path))
    assert [k['line'] for k in client] == ['3 AES128CMAC ' + 'cc' * 16]
    server = lookup.run(['c1', 'c2'], variables={}, path=str(tmp_path), all=True)
    assert [k['id'] for k in server] == [1, 3, 2]


@pytest.mark.parametrize('content, message', [(None, 'no symmetric key c3'), ('{', 'not JSON')])
def test_key_values_fail(tmp_path, content, message):
    symmetric.write_store(str(tmp_path), KEYS)
    if content is not None:
        (tmp_path / 'keys.json').write_text(content)
    with pytest.raises(AnsibleLookupError, match=message):
        make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key').run(['c3'], variables={}, path=str(tmp_path))


@pytest.mark.parametrize('key_name, key_ids', [('c1', [1, None, None]), ('c2', [None, 2, None]), ('c9', [None] * 3)])
def test_held_keys(tmp_path, key_name, key_ids):
    for server, held in (('s1', {'c1': {'id': 1, 'type': 'AES128CMAC'}}), ('s2', {'c2': {'id': 2, 'type': 'SHA1'}})):
        (tmp_path / server).mkdir()
        (tmp_path / server / 'symmetric.json').write_text(json.dumps({'keys': held}))
    got = make_lookup(ntp_symmetric, 'timesec.ntp.ntp_symmetric').run(
        ['s1', {'name': 's2', 'address': '10.0.0.2'}, 's3'], variables={}, export_dir=str(tmp_path), key_name=key_name)
    assert [entry['key_id'] for entry in got] == key_ids
    assert [entry['present'] for entry in got] == [True, True, False]
    assert got[1]['address'] == '10.0.0.2' and all(entry['content'] == '' for entry in got)


def test_held_keys_bad_export(tmp_path):
    (tmp_path / 's1').mkdir()
    (tmp_path / 's1' / 'symmetric.json').write_text('[]')
    with pytest.raises(AnsibleLookupError, match='re-run it on s1'):
        make_lookup(ntp_symmetric, 'timesec.ntp.ntp_symmetric').run(['s1'], variables={}, export_dir=str(tmp_path),
                                                                    key_name='c1')


def test_extra_keys_follow_the_store_and_need_no_store(tmp_path):
    """An upstream's key (ntp_server_upstream_servers) is written with the store's keys, in the daemon's syntax;
    without names the store is not read (an Autokey or NTS server with a symmetric-key upstream has none)."""
    lookup = make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key')
    extra = [{'id': 42, 'type': 'AES128CMAC', 'value': 'cc' * 16}]
    got = lookup.run([], variables={}, path=str(tmp_path / 'missing'), extra=extra, syntax='chrony')
    assert [k['line'] for k in got] == ['42 AES128 HEX:' + 'cc' * 16]
    symmetric.write_store(str(tmp_path), KEYS)
    got = lookup.run(['c1'], variables={}, path=str(tmp_path), extra=extra)
    assert [k['line'] for k in got] == ['1 AES128CMAC ' + 'aa' * 16, '42 AES128CMAC ' + 'cc' * 16]


@pytest.mark.parametrize('extra', [
    {'id': 0, 'type': 'AES128CMAC', 'value': 'cc' * 16},
    {'id': 42, 'type': 'MD5', 'value': 'cc' * 16},
    {'id': 42, 'type': 'AES128CMAC', 'value': 'cc' * 15},
    {'id': 42, 'type': 'SHA1', 'value': 'zz' * 20},
])
def test_bad_extra_keys_fail_without_showing_the_value(tmp_path, extra):
    lookup = make_lookup(ntp_symmetric_key, 'timesec.ntp.ntp_symmetric_key')
    with pytest.raises(AnsibleLookupError) as info:
        lookup.run([], variables={}, path=str(tmp_path), extra=[extra])
    assert 'its value is not shown' in str(info.value) and extra['value'] not in str(info.value)
