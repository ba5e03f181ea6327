# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filters ntp_daemon_files, ntp_leftovers and ntp_file_matches (their logic: tests/unit/plugins/module_utils/test_hostinfo.py)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter import ntp_daemon_files as daemon_files, ntp_leftovers as leftovers
from ansible_collections.timesec.ntp.plugins.filter import ntp_file_matches as file_matches
from ansible_collections.timesec.ntp.tests.unit.plugins.module_utils.test_hostinfo import (
    AUTOKEY_CLIENT, CHRONY_NTS_CLIENT, DAEMONS, STAT)


def test_registered():
    assert daemon_files.FilterModule().filters()['ntp_daemon_files'] is daemon_files.ntp_daemon_files
    assert leftovers.FilterModule().filters()['ntp_leftovers'] is leftovers.ntp_leftovers


def test_daemon_files():
    assert '/etc/chrony/chrony.keys.orig-timesec' in daemon_files.ntp_daemon_files(DAEMONS)
    assert daemon_files.ntp_daemon_files(DAEMONS, output='read', daemon='ntp', keysdir='')[-1] == \
        '/etc/systemd/system/ntp.service.d/timesec-ntp.conf'
    for kwargs in ({'output': 'read', 'daemon': 'openntpd'}, {'output': 'all'}):
        with pytest.raises(AnsibleFilterError):
            daemon_files.ntp_daemon_files(DAEMONS, **kwargs)


def test_leftovers():
    plan = leftovers.ntp_leftovers(AUTOKEY_CLIENT, daemons=DAEMONS, daemon='chrony', auth='nts', conf=CHRONY_NTS_CLIENT)
    assert plan['purge'] == ['ntp']
    with pytest.raises(AnsibleFilterError):
        leftovers.ntp_leftovers(AUTOKEY_CLIENT, daemons=DAEMONS, daemon='openntpd')


def test_file_matches():
    assert file_matches.FilterModule().filters()['ntp_file_matches'] is file_matches.ntp_file_matches
    assert file_matches.ntp_file_matches(STAT, '/etc/ntp.conf', owner='root', group='ntp', mode='0640')
    assert not file_matches.ntp_file_matches(STAT, '/etc/ntp.conf', content='x')
    for args, kwargs in (((None, '/f'), {}), ((STAT, '/etc/d'), {'kind': 'link'}), ((STAT, '/etc/ntp.conf'), {'mode': 'rw'})):
        with pytest.raises(AnsibleFilterError):
            file_matches.ntp_file_matches(*args, **kwargs)
