# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The filter ntp_dir_problem (issue 26, item 4): a host directory judged from its path and ansible.builtin.stat."""

from __future__ import annotations

from ansible_collections.timesec.ntp.plugins.filter.ntp_dir_problem import ntp_dir_problem


def test_host_filter_uses_stat_results():
    stat = {'exists': True, 'isdir': True, 'uid': 0, 'gid': 0, 'gr_name': 'root', 'mode': '0777', 'path': '/srv/keys'}
    assert 'mode 0777' in ntp_dir_problem('/srv/keys', 'ntp_server_keysdir', stat=stat, reader_group='ntp')
    assert ntp_dir_problem('/srv/keys', 'ntp_server_keysdir', stat=dict(stat, mode='0750', gr_name='ntp'), reader_group='ntp') == ''
    assert ntp_dir_problem('/srv/keys', 'ntp_server_keysdir', stat={'exists': False}) == ''
    link = dict(stat, isdir=False, islnk=True, lnk_source='/etc', mode='0777')
    assert 'symbolic link' in ntp_dir_problem('/srv/keys', 'ntp_server_keysdir', stat=link)
    assert 'is /etc' in ntp_dir_problem('/etc', 'ntp_client_keysdir')
