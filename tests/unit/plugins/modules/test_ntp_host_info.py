# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_host_info on a directory tree of its own, with dpkg-query and systemctl answered as Debian 11 answers."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo
from ansible_collections.timesec.ntp.plugins.modules import ntp_host_info
from ansible_collections.timesec.ntp.tests.unit.utils import run_module

DPKG = '/usr/bin/dpkg-query'
SYSTEMCTL = '/usr/bin/systemctl'


class Host:
    def __init__(self, dpkg_out, show_out):
        self.dpkg_out, self.show_out, self.argvs, self.environ = dpkg_out, show_out, [], []

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return {'dpkg-query': DPKG, 'systemctl': SYSTEMCTL}[arg]

    def run_command(self, args, environ_update=None, **kwargs):
        self.argvs.append(list(args))
        self.environ.append(dict(environ_update or {}))
        if args[0] == DPKG:
            return 1, self.dpkg_out, 'dpkg-query: no packages found matching chrony\n'
        return 0, self.show_out, ''


@pytest.fixture
def host(monkeypatch, module_exits, tmp_path):
    def make(dpkg_out='', show_out='', steppers=()):
        fake = Host(dpkg_out, show_out)
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', fake.get_bin_path)
        monkeypatch.setattr(AnsibleModule, 'run_command', fake.run_command)
        monkeypatch.setattr(hostinfo, 'STEPPERS', tuple(str(tmp_path / s) for s in steppers))
        return fake
    return make


def test_a_host_that_ran_the_roles(host, tmp_path):
    keysdir = tmp_path / 'ntp'
    keysdir.mkdir()
    (keysdir / 'ntpkey_host_cli').write_text('key')
    conf = tmp_path / 'ntp.conf'
    conf.write_text('# Autokey (IFF) configuration written by timesec.ntp.ntp_client.\ncrypto pw x\nkeysdir %s\n' % keysdir)
    (tmp_path / 'ntp.conf.orig-timesec').write_text('# /etc/ntp.conf, configuration for ntpd\n')
    keys = tmp_path / 'ntp.keys'
    keys.write_text('1 SHA1 00\n')
    os.symlink('/dev/null', str(tmp_path / 'chrony.service'))
    (tmp_path / 'if-up-ntpdate').write_text('#!/bin/sh\n')
    # ntpd started at monotonic 5 s; the keys file changed after it, ntp.conf before
    now, mono = time.time(), time.clock_gettime(time.CLOCK_MONOTONIC)
    start = 5.0 + now - mono
    os.utime(str(conf), (start - 60, start - 60))
    os.utime(str(keys), (start + 30, start + 30))
    os.utime(str(keysdir), (start - 60, start - 60))
    fake = host(dpkg_out='ii ntp\nrc ntpdate\n', show_out='ActiveState=active\nMainPID=812\nExecMainStartTimestampMonotonic=5000000\nUnitFileState=enabled\n',
                steppers=['if-up-ntpdate', 'missing-hook'])
    paths = [str(p) for p in (conf, tmp_path / 'ntp.conf.orig-timesec', keys, tmp_path / 'chrony.service', tmp_path / 'nothing')]
    result = run_module(ntp_host_info, {'packages': ['ntp', 'chrony'], 'paths': paths, 'service': 'ntp',
                                        'service_files': [str(conf), str(keys), str(keysdir)],
                                        'stat': [str(keysdir), str(tmp_path / 'absent')]})
    assert result['changed'] is False
    assert result['packages'] == {'ntp': 'ii', 'chrony': '', 'ntpdate': 'rc', 'ntpsec-ntpdate': ''}
    assert result['files'] == paths[:4]
    assert result['ours'] == [str(conf)]
    assert result['masked'] == [str(tmp_path / 'chrony.service')]
    assert result['keysdirs'] == {str(conf): {'path': str(keysdir), 'files': [str(keysdir / 'ntpkey_host_cli')]}}
    assert result['service']['active'] and result['service']['pid'] == 812
    assert result['service']['stale'] == [str(keys)] and result['service']['enabled'] is True
    # every file found and every existing O(stat) path, links not followed; the content's SHA-1 for files
    assert sorted(result['stat']) == sorted(paths[:4] + [str(keysdir)])
    assert result['stat'][str(keys)]['checksum'] == hashlib.sha1(b'1 SHA1 00\n').hexdigest()
    assert result['stat'][str(keysdir)]['type'] == 'directory'
    assert result['stat'][str(tmp_path / 'chrony.service')] == dict(result['stat'][str(tmp_path / 'chrony.service')],
                                                                    type='link', checksum=None)
    assert result['steppers'] == {'paths': [str(tmp_path / 'if-up-ntpdate')], 'packages': ['ntpdate']}
    assert fake.argvs == [[DPKG, '--show', '--showformat=${db:Status-Abbrev}${Package}\\n', 'ntp', 'chrony', 'ntpdate',
                           'ntpsec-ntpdate'],
                          [SYSTEMCTL, 'show', '-p', 'ActiveState', '-p', 'MainPID', '-p', 'ExecMainStartTimestampMonotonic',
                           '-p', 'UnitFileState', 'ntp.service']]
    assert all(env == {'LC_ALL': 'C', 'LANG': 'C'} for env in fake.environ)


def test_a_fresh_host(host, tmp_path):
    host(dpkg_out='', show_out='ActiveState=inactive\nMainPID=0\nExecMainStartTimestampMonotonic=0\n')
    result = run_module(ntp_host_info, {'packages': ['ntp'], 'paths': [str(tmp_path / 'ntp.conf')], 'service': 'ntp',
                                        'service_files': [str(tmp_path / 'ntp.conf')]}, check_mode=True)
    assert result['packages'] == {'ntp': '', 'ntpdate': '', 'ntpsec-ntpdate': ''}
    assert result['files'] == [] and result['ours'] == [] and result['keysdirs'] == {}
    assert result['service'] == {'name': 'ntp', 'active': False, 'pid': 0, 'started': None, 'stale': [], 'enabled': False}
    assert result['stat'] == {}
    assert result['steppers'] == {'paths': [], 'packages': []}


def test_firewalls_units_and_names_in_the_same_call(monkeypatch, module_exits):
    """One call answers what the roles asked three probes before (ntp_firewall_info, the units' states, getent)."""
    calls = []
    answers = {
        ('systemctl', 'is-active'): 'inactive\nactive\ninactive\n',  # firewalld, nftables, netfilter-persistent
        ('systemctl', 'show'): 'Id=systemd-timesyncd.service\nLoadState=loaded\nActiveState=active\n',
    }

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return {'systemctl': SYSTEMCTL, 'nft': '/usr/sbin/nft', 'dpkg-query': DPKG}.get(arg)

    def run_command(self, args, environ_update=None, **kwargs):
        calls.append(list(args))
        return 0, answers.get((os.path.basename(args[0]), args[1]), ''), ''

    monkeypatch.setattr(AnsibleModule, 'get_bin_path', get_bin_path)
    monkeypatch.setattr(AnsibleModule, 'run_command', run_command)
    monkeypatch.setattr(hostinfo, 'unresolved', lambda names: [n for n in names if n.endswith('.invalid')])
    result = run_module(ntp_host_info, {'firewalls': True, 'units': ['systemd-timesyncd.service'],
                                        'resolve': ['ntp1.lab', 'nosuch.invalid']}, check_mode=True)
    assert result['firewalls']['active'] == 'nftables'
    assert result['firewalls']['firewalls']['nftables'] == {'installed': True, 'active': True}
    assert result['firewalls']['firewalls']['ufw'] == {'installed': False, 'active': False}
    assert result['units'] == [{'unit': 'systemd-timesyncd.service', 'id': 'systemd-timesyncd.service',
                                'load': 'loaded', 'active': 'active'}]
    assert result['unresolved'] == ['nosuch.invalid']
    assert [SYSTEMCTL, 'show', '-p', 'Id', '-p', 'LoadState', '-p', 'ActiveState', 'systemd-timesyncd.service'] in calls
    # without the options: nothing of it is asked
    calls.clear()
    result = run_module(ntp_host_info, {}, check_mode=True)
    assert result['firewalls'] == {} and result['units'] == [] and result['unresolved'] == []
    assert not [argv for argv in calls if argv[0] == SYSTEMCTL]
