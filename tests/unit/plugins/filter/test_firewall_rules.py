# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_firewall_rules: the exact rules (and states) each firewall's tasks receive."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.firewall_rules import ntp_firewall_rules

ANY = {'state': 'present', 'sources': []}
NARROW = {'state': 'present', 'sources': ['10.0.0.0/25', 'fd00::/64', '10.9.0.0/16']}
ABSENT = {'state': 'absent', 'sources': ['10.0.0.0/25']}


def test_iptables_any_source():
    assert ntp_firewall_rules(ANY, 'iptables') == [
        {'ip_version': 'ipv4', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 1, 'state': 'absent'},
    ]


def test_iptables_sources_drop_below_the_family_accepts():
    assert ntp_firewall_rules(NARROW, 'iptables') == [
        {'ip_version': 'ipv4', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'jump': 'ACCEPT', 'source': '10.0.0.0/25', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'jump': 'ACCEPT', 'source': '10.9.0.0/16', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 3, 'state': 'present'},
        {'ip_version': 'ipv6', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'jump': 'ACCEPT', 'source': 'fd00::/64', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'present'},
    ]


def test_iptables_absent_removes_everything():
    assert {rule['state'] for rule in ntp_firewall_rules(ABSENT, 'iptables')} == {'absent'}


def test_nftables():
    assert ntp_firewall_rules(ANY, 'nftables') == ['udp dport 123 accept comment "timesec.ntp"']
    assert ntp_firewall_rules(NARROW, 'nftables') == [
        'iifname != "lo" udp dport 123 drop comment "timesec.ntp"',
        'ip saddr 10.0.0.0/25 udp dport 123 accept comment "timesec.ntp"',
        'ip6 saddr fd00::/64 udp dport 123 accept comment "timesec.ntp"',
        'ip saddr 10.9.0.0/16 udp dport 123 accept comment "timesec.ntp"',
    ]
    assert ntp_firewall_rules(ABSENT, 'nftables') == []


def test_firewalld():
    assert ntp_firewall_rules(ANY, 'firewalld') == [{'service': 'ntp', 'state': 'enabled'}]
    assert ntp_firewall_rules(ABSENT, 'firewalld') == [
        {'service': 'ntp', 'state': 'disabled'},
        {'rich_rule': 'rule family="ipv4" source address="10.0.0.0/25" service name="ntp" accept', 'state': 'disabled'},
    ]
    assert ntp_firewall_rules(NARROW, 'firewalld')[2] == {
        'rich_rule': 'rule family="ipv6" source address="fd00::/64" service name="ntp" accept', 'state': 'enabled'}


def test_ufw():
    assert ntp_firewall_rules(ANY, 'ufw') == [{'source': 'any', 'state': 'present'}]
    assert ntp_firewall_rules(ABSENT, 'ufw') == [{'source': 'any', 'state': 'absent'},
                                                 {'source': '10.0.0.0/25', 'state': 'absent'}]


@pytest.mark.parametrize('settings, firewall, message', [
    (ANY, 'pf', "unknown firewall 'pf'"),
    ({'state': 'gone', 'sources': []}, 'ufw', 'expects {state: present|absent'),
    ('present', 'ufw', 'expects {state: present|absent'),
])
def test_bad_input(settings, firewall, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('{', r'\{').replace('|', r'\|')):
        ntp_firewall_rules(settings, firewall)
