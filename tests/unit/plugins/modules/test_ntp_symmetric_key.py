# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_symmetric_key: keys made once, IDs kept, check mode writes nothing, no value in the result."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import symmetric
from ansible_collections.timesec.ntp.plugins.modules import ntp_symmetric_key
from ansible_collections.timesec.ntp.tests.unit.utils import run_module


@pytest.fixture(autouse=True)
def _exits(module_exits):
    pass


def store(path):
    with open(os.path.join(path, 'keys.json')) as handle:
        return json.load(handle)['keys']


def values_in(result, keys):
    text = json.dumps(result)
    return [name for name, entry in keys.items() if entry['value'] in text]


def test_make_keep_rotate_finish(tmp_path):
    path = str(tmp_path / 'store')
    args = {'path': path, 'names': ['c1', 'c2']}

    check = run_module(ntp_symmetric_key, args, check_mode=True)
    assert check['changed'] and check['created'] == ['c1', 'c2'] and not os.path.exists(path)

    first = run_module(ntp_symmetric_key, args)
    keys = store(path)
    assert first['changed'] and first['key_ids'] == {'c1': {'id': 1, 'type': 'AES128CMAC'},
                                                     'c2': {'id': 2, 'type': 'AES128CMAC'}}
    assert first['trusted'] == [1, 2]
    assert oct(os.stat(path).st_mode & 0o777) == '0o700'
    assert values_in(first, keys) == []

    again = run_module(ntp_symmetric_key, dict(args, names=['c2', 'c1', 'c3']))
    assert again['created'] == ['c3'] and again['key_ids']['c3']['id'] == 3
    assert {name: store(path)[name] for name in keys} == keys

    # rotation, step 1: a new key (ID 4) next to the old one; check mode writes nothing
    check = run_module(ntp_symmetric_key, dict(args, rotate=['c1']), check_mode=True)
    assert check['changed'] and check['rotated'] == ['c1'] and store(path)['c1'] == keys['c1']
    rotated = run_module(ntp_symmetric_key, dict(args, rotate=['c1']))
    after = store(path)
    assert (rotated['changed'], rotated['rotated'], rotated['trusted']) == (True, ['c1'], [1, 2, 4])
    assert rotated['key_ids']['c1'] == {'id': 4, 'type': 'AES128CMAC'}
    assert after['c1']['value'] == keys['c1']['value'] and after['c1']['next']['value'] != keys['c1']['value']
    assert values_in(rotated, after) == [] and after['c1']['next']['value'] not in json.dumps(rotated)
    # a second server in the same run: nothing changes
    same = run_module(ntp_symmetric_key, dict(args, rotate=['c1']))
    assert not same['changed'] and same['trusted'] == [1, 2, 4]

    # a run without finish keeps both keys (issue 26: the rotation finishes only when asked)
    kept = run_module(ntp_symmetric_key, args)
    assert not kept['changed'] and kept['trusted'] == [1, 2, 4] and store(path)['c1'] == after['c1']

    # step 3: finish removes the old key
    finished = run_module(ntp_symmetric_key, dict(args, finish=['c1']))
    assert (finished['changed'], finished['finished'], finished['trusted']) == (True, ['c1'], [2, 4])
    assert store(path)['c1'] == after['c1']['next']

    idle = run_module(ntp_symmetric_key, args)
    assert not idle['changed'] and idle['created'] == idle['rotated'] == idle['finished'] == []


def test_digest_applies_to_new_and_rotated_keys(tmp_path):
    path = str(tmp_path)
    run_module(ntp_symmetric_key, {'path': path, 'names': ['c1'], 'digest': 'SHA1'})
    kept = run_module(ntp_symmetric_key, {'path': path, 'names': ['c1']})
    assert not kept['changed'] and store(path)['c1']['type'] == 'SHA1'
    run_module(ntp_symmetric_key, {'path': path, 'names': ['c1'], 'rotate': ['c1']})
    assert store(path)['c1']['next']['type'] == 'AES128CMAC'


@pytest.mark.parametrize('args, message', [
    ({'names': ['bad name']}, 'not a key name'),
    ({'names': ['c1'], 'rotate': ['../x']}, 'rotate[0] is not a key name'),
    ({'names': ['c1'], 'rotate': ['c2']}, 'no key named c2 in the store'),
    ({'names': ['c1'], 'revoke': ['c3']}, 'no key named c3 in the store'),
])
def test_bad_input_changes_nothing(tmp_path, args, message):
    result = run_module(ntp_symmetric_key, dict(args, path=str(tmp_path)))
    assert result['failed'] and message in result['msg'] and os.listdir(str(tmp_path)) == []


def test_broken_store_is_not_overwritten(tmp_path):
    (tmp_path / 'keys.json').write_text('{"keys": 1}')
    result = run_module(ntp_symmetric_key, {'path': str(tmp_path), 'names': ['c1']})
    assert result['failed'] and 'no "keys" mapping' in result['msg']
    assert (tmp_path / 'keys.json').read_text() == '{"keys": 1}'
    assert symmetric.STORE_FILE in os.listdir(str(tmp_path))


def test_revoke_in_one_run_and_once_for_several_servers(tmp_path):
    path = str(tmp_path / 'store')
    run_module(ntp_symmetric_key, {'path': path, 'names': ['c1', 'c2']})
    before = store(path)
    plan = run_module(ntp_symmetric_key, {'path': path, 'names': ['c1', 'c2'], 'revoke': ['c1']}, check_mode=True)
    assert plan['changed'] and plan['revoked_ids'] == [1] and store(path) == before
    args = {'path': path, 'names': ['c1', 'c2'], 'revoke': ['c1'], 'revoke_ids': plan['revoked_ids']}
    first = run_module(ntp_symmetric_key, args)
    after = store(path)
    assert first['revoked'] == ['c1'] and first['key_ids']['c1']['id'] == 3 and first['trusted'] == [2, 3]
    assert after['c1']['value'] != before['c1']['value'] and after['c2'] == before['c2']
    assert before['c1']['value'] not in json.dumps(after) and values_in(first, after) == []
    second = run_module(ntp_symmetric_key, args)
    assert not second['changed'] and store(path) == after


@pytest.mark.parametrize('make, message', [
    (lambda d: None, 'a directory other software shares'),
    (lambda d: os.chmod(d, 0o755), 'exists with mode 0755'),
])
def test_unfit_store_directory_refused(tmp_path, make, message):
    """Issue 26: never a shared directory, never one that others may read; its mode is not changed."""
    target = '/tmp' if message.startswith('a directory') else str(tmp_path / 'open')
    if target != '/tmp':
        os.mkdir(target)
        make(target)
    result = run_module(ntp_symmetric_key, {'path': target, 'names': ['c1']})
    assert result['failed'] and message in result['msg']
    if target != '/tmp':
        assert os.listdir(target) == [] and oct(os.stat(target).st_mode & 0o777) == '0o755'
