# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.timesec.ntp.plugins.module_utils import autokey
from ansible_collections.timesec.ntp.plugins.lookup.ntp_iffpar import DOCUMENTATION, LookupModule
from ansible_collections.timesec.ntp.tests.unit.utils import plugin_options, FSTAMP, IFFKEY, PASSWORD, fixture_path


def make_lookup():
    """What the plugin loader does: name the plugin and register its documented options."""
    lookup = LookupModule()
    lookup._load_name = 'timesec.ntp.ntp_iffpar'
    C.config.initialize_plugin_configuration_definitions('lookup', lookup._load_name,
                                                         plugin_options(DOCUMENTATION))
    return lookup


@pytest.fixture
def export_dir(tmp_path):
    info = autokey.read_key_file(fixture_path('server', IFFKEY))
    p, q, g, b = autokey.iff_group_numbers(autokey.load_private_key(info, PASSWORD))
    (tmp_path / 'ntp1').mkdir()
    (tmp_path / 'ntp1' / 'ntpkey_iffpar').write_text(autokey.iffpar_content('fixgrp', FSTAMP, p, q, g, b))
    return tmp_path


def test_present_and_missing(export_dir):
    results = make_lookup().run(['ntp1', {'name': 'ntp2', 'address': '192.0.2.2'}], variables={},
                                export_dir=str(export_dir))
    one, two = results
    assert one['present'] is True
    assert (one['name'], one['address'], one['group'], one['fstamp']) == ('ntp1', 'ntp1', 'fixgrp', FSTAMP)
    assert one['content'] == (export_dir / 'ntp1' / 'ntpkey_iffpar').read_text()
    assert two['present'] is False
    assert (two['name'], two['address'], two['group'], two['fstamp'], two['content']) == (
        'ntp2', '192.0.2.2', None, None, '')


def test_broken_file_names_the_server(export_dir):
    (export_dir / 'ntp1' / 'ntpkey_iffpar').write_text(open(fixture_path('ntp-keygen-e_iffpar_fixgrp.out')).read())
    with pytest.raises(AnsibleLookupError) as exc:
        make_lookup().run(['ntp1'], variables={}, export_dir=str(export_dir))
    assert 'ntp1' in str(exc.value)


def test_server_export_dir_from_its_host_vars(tmp_path):
    """Without export_dir, a server is read from its own ntp_server_export_dir (host_vars)."""
    (tmp_path / 'ntp1').mkdir()
    (tmp_path / 'ntp1' / 'ntpkey_iffpar').write_text('garbage')
    with pytest.raises(AnsibleLookupError, match='ntp1'):
        make_lookup().run(['ntp1'], variables={'hostvars': {'ntp1': {'ntp_server_export_dir': str(tmp_path)}}})
    (missing,) = make_lookup().run(['ntp1'], variables={'hostvars': {'ntp1': {}}}, default_export_dir='/nonexistent')
    assert (missing['export_dir'], missing['present']) == ('/nonexistent', False)
