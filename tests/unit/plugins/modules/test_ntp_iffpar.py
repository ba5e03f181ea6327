# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_iffpar module: export from the real fixture IFF key, install from content."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import autokey
from ansible_collections.timesec.ntp.plugins.modules import ntp_iffpar
from ansible_collections.timesec.ntp.tests.unit.utils import (
    FSTAMP, GROUP, IFFKEY, PASSWORD, fixture_path, run_module,
)

IFFPAR = 'ntpkey_iffpar_fixgrp.%d' % FSTAMP


@pytest.fixture(autouse=True)
def _exits(module_exits):
    pass


@pytest.fixture
def server_keys(tmp_path):
    keysdir = tmp_path / 'server'
    keysdir.mkdir()
    shutil.copyfile(fixture_path('server', IFFKEY), str(keysdir / IFFKEY))
    os.symlink(IFFKEY, str(keysdir / 'ntpkey_iffkey_fixgrp'))
    return str(keysdir)


def test_export_then_idempotent(server_keys):
    args = dict(path=server_keys, autokey_group=GROUP, password=PASSWORD)
    result = run_module(ntp_iffpar, args)
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert (result['autokey_group'], result['fstamp']) == (GROUP, FSTAMP)
    dest = os.path.join(server_keys, IFFPAR)
    assert result['dest'] == dest
    assert os.readlink(os.path.join(server_keys, 'ntpkey_iffpar_fixgrp')) == IFFPAR
    with open(dest) as handle:
        assert handle.read() == result['content']
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o644

    par = autokey.parse_iffpar(result['content'])
    info = autokey.read_key_file(fixture_path('server', IFFKEY))
    p, q, g, b = autokey.iff_group_numbers(autokey.load_private_key(info, PASSWORD))
    assert pow(g, b, p) * par['v'] % p == 1

    again = run_module(ntp_iffpar, args)
    assert again['changed'] is False, again


def test_install_from_content_with_extra_link(server_keys, tmp_path):
    content = run_module(ntp_iffpar, dict(path=server_keys, autokey_group=GROUP, password=PASSWORD))['content']
    client = tmp_path / 'client'
    client.mkdir()
    args = dict(path=str(client), content=content, links=['ntpkey_iff_srv'], mode='0640')
    result = run_module(ntp_iffpar, args)
    assert result['changed'] is True, result
    assert result['links'] == ['ntpkey_iffpar_fixgrp', 'ntpkey_iff_srv']
    for link in result['links']:
        assert os.readlink(str(client / link)) == IFFPAR
    assert (client / IFFPAR).read_text() == content
    assert stat.S_IMODE((client / IFFPAR).stat().st_mode) == 0o640
    assert run_module(ntp_iffpar, args)['changed'] is False


def test_wrong_password_does_not_leak(server_keys):
    result = run_module(ntp_iffpar, dict(path=server_keys, autokey_group=GROUP, password='Wrong-Secret-42'))
    assert result['failed'] is True
    assert 'password' in result['msg']
    assert 'Wrong-Secret-42' not in json.dumps(result)
    assert sorted(os.listdir(server_keys)) == [IFFKEY, 'ntpkey_iffkey_fixgrp']


def test_content_of_another_group(server_keys, tmp_path):
    content = run_module(ntp_iffpar, dict(path=server_keys, autokey_group=GROUP, password=PASSWORD))['content']
    result = run_module(ntp_iffpar, dict(path=str(tmp_path), content=content, autokey_group='othergrp'))
    assert result['failed'] is True
    assert 'fixgrp' in result['msg'] and 'othergrp' in result['msg']
    assert not os.path.exists(str(tmp_path / IFFPAR))


def test_ntp_keygen_e_output_is_refused(tmp_path):
    with open(fixture_path('ntp-keygen-e_iffpar_fixgrp.out')) as handle:
        content = handle.read()
    result = run_module(ntp_iffpar, dict(path=str(tmp_path), content=content))
    assert result['failed'] is True
    assert 'not an IFF client parameters file' in result['msg']
