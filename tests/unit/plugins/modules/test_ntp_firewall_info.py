# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_firewall_info with fake programs; outputs as printed by Debian 11's systemctl and ufw."""

from __future__ import annotations

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import firewall
from ansible_collections.timesec.ntp.plugins.modules import ntp_firewall_info
from ansible_collections.timesec.ntp.tests.unit.utils import run_module

SYSTEMCTL = '/usr/bin/systemctl'
BINARIES = {'firewall-cmd': '/usr/bin/firewall-cmd', 'ufw': '/usr/sbin/ufw', 'nft': '/usr/sbin/nft',
            'netfilter-persistent': '/usr/sbin/netfilter-persistent', 'systemctl': SYSTEMCTL}
IS_ACTIVE = [SYSTEMCTL, 'is-active', 'firewalld', 'nftables', 'netfilter-persistent']
UFW_ACTIVE = 'Status: active\n\nTo                         Action      From\n--                         ------      ----\n'
UFW_INACTIVE = 'Status: inactive\n'


class Host:
    def __init__(self, installed, is_active, ufw_status=UFW_INACTIVE):
        self.installed = installed
        self.answers = {tuple(IS_ACTIVE): (3, is_active, ''), ('/usr/sbin/ufw', 'status'): (0, ufw_status, '')}
        self.argvs = []
        self.environ = []

    # Patched onto AnsibleModule as plain functions: the module instance is not passed.
    def get_bin_path(self, arg, required=False, opt_dirs=None):
        return BINARIES[arg] if arg in self.installed or arg == 'systemctl' else None

    def run_command(self, args, environ_update=None, **kwargs):
        self.argvs.append(list(args))
        self.environ.append(dict(environ_update or {}))
        return self.answers[tuple(args)]


@pytest.fixture
def host(monkeypatch, module_exits):
    def make(*args, **kwargs):
        fake = Host(*args, **kwargs)
        monkeypatch.setattr(AnsibleModule, 'get_bin_path', fake.get_bin_path)
        monkeypatch.setattr(AnsibleModule, 'run_command', fake.run_command)
        return fake
    return make


def test_nothing_installed(host):
    fake = host(installed=(), is_active='inactive\ninactive\ninactive\n')
    result = run_module(ntp_firewall_info, {})
    assert result['changed'] is False
    assert result['active'] is None
    assert all(state == {'installed': False, 'active': False} for state in result['firewalls'].values())
    assert fake.argvs == [IS_ACTIVE]
    assert fake.environ == [{'LC_ALL': 'C', 'LANG': 'C'}]


def test_nftables_active_iptables_only_installed(host):
    fake = host(installed=('nft', 'netfilter-persistent'), is_active='inactive\nactive\ninactive\n')
    result = run_module(ntp_firewall_info, {}, check_mode=True)
    assert result['active'] == 'nftables'
    assert result['firewalls']['iptables'] == {'installed': True, 'active': False}
    assert fake.argvs == [IS_ACTIVE]


def test_ufw_wins_over_netfilter_persistent(host):
    fake = host(installed=('ufw', 'netfilter-persistent'), is_active='inactive\ninactive\nactive\n', ufw_status=UFW_ACTIVE)
    result = run_module(ntp_firewall_info, {})
    assert result['active'] == 'ufw'
    assert result['firewalls']['iptables']['active'] is True
    assert fake.argvs == [IS_ACTIVE, ['/usr/sbin/ufw', 'status']]


def test_disabled_ufw_is_not_active(host):
    host(installed=('ufw',), is_active='inactive\ninactive\ninactive\n')
    assert run_module(ntp_firewall_info, {})['active'] is None


def test_unit_of_an_uninstalled_firewall_does_not_count(host):
    host(installed=(), is_active='active\ninactive\ninactive\n')
    assert run_module(ntp_firewall_info, {})['active'] is None


@pytest.mark.parametrize('output, expected', [
    ('active\n', {'firewalld': 'active', 'nftables': 'unknown'}),
    ('inactive\nfailed\n', {'firewalld': 'inactive', 'nftables': 'failed'}),
])
def test_parse_is_active(output, expected):
    assert firewall.parse_is_active(['firewalld', 'nftables'], output) == expected


def test_choose_order():
    every = {name: {'installed': True, 'active': True} for name in firewall.FIREWALLS}
    assert firewall.choose(every) == 'firewalld'
    assert firewall.choose({'iptables': {'installed': True, 'active': True}}) == 'iptables'
