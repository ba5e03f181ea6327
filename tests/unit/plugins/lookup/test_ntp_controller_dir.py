# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup ntp_controller_dir (issue 26, item 4): controller directories checked, never created or changed."""

from __future__ import annotations

import os

import pytest

from ansible import constants as C
from ansible.errors import AnsibleLookupError

from ansible_collections.timesec.ntp.plugins.lookup import ntp_controller_dir
from ansible_collections.timesec.ntp.tests.unit.utils import plugin_options


def test_controller_lookup(tmp_path):
    # ansible-core 2.16's set_options needs the plugin's name and its registered options (2.19 does not)
    lookup = ntp_controller_dir.LookupModule()
    lookup._load_name = 'timesec.ntp.ntp_controller_dir'
    C.config.initialize_plugin_configuration_definitions('lookup', lookup._load_name,
                                                         plugin_options(ntp_controller_dir.DOCUMENTATION))
    missing = str(tmp_path / 'new')
    mine = tmp_path / 'mine'
    mine.mkdir(mode=0o700)
    os.chmod(str(mine), 0o700)
    result = lookup.run([{'path': missing, 'variable': 'ntp_server_export_dir', 'private': False},
                         {'path': str(mine), 'variable': 'ntp_server_nts_ca_dir', 'private': True}])
    assert [(r['path'], r['exists']) for r in result] == [(missing, False), (str(mine), True)]
    assert not os.path.exists(missing), 'the check created the directory'
    os.chmod(str(mine), 0o755)
    with pytest.raises(AnsibleLookupError, match=r'ntp_server_nts_ca_dir \(.*\) exists with mode 0755') as exc:
        lookup.run([{'path': str(mine), 'variable': 'ntp_server_nts_ca_dir', 'private': True}])
    assert 'Nothing was changed' in str(exc.value)
    assert oct(os.stat(str(mine)).st_mode & 0o777) == '0o755', 'the check changed the mode'
    with pytest.raises(AnsibleLookupError, match='ntp_server_export_dir is /tmp'):
        lookup.run([{'path': '/tmp', 'variable': 'ntp_server_export_dir', 'private': False}])
    link = tmp_path / 'link'
    link.symlink_to('/etc')
    with pytest.raises(AnsibleLookupError, match='resolves to /etc'):
        lookup.run([{'path': str(link), 'variable': 'ntp_server_export_dir', 'private': False}])
    home = lookup.run([{'path': '~/.ansible/timesec.ntp-test-not-there', 'variable': 'v', 'private': True}])[0]
    assert home['path'] == os.path.expanduser('~/.ansible/timesec.ntp-test-not-there') and not home['exists']
