# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_firewall_rules: the exact rules (and states) each firewall's tasks receive."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_firewall_rules import ntp_firewall_rules

ANY = {'state': 'present', 'sources': []}
NARROW = {'state': 'present', 'sources': ['10.0.0.0/25', 'fd00::/64', '10.9.0.0/16']}
ABSENT = {'state': 'absent', 'sources': ['10.0.0.0/25']}


def test_iptables_any_source():
    assert ntp_firewall_rules(ANY, 'iptables') == [
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'absent'},
    ]


def test_iptables_sources_drop_below_the_family_accepts_and_the_replies():
    """Upstream servers answer from udp/123 to udp/123 from outside the sources: conntrack lets the
    replies to ntpd's own requests through, above the drop (issue 14, item 1)."""
    assert ntp_firewall_rules(NARROW, 'iptables') == [
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'source': '10.0.0.0/25', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'source': '10.9.0.0/16', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 4, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'source': 'fd00::/64', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 3, 'state': 'present'},
    ]


def test_iptables_ipv4_sources_only_still_pass_ipv6_replies():
    rules = [r for r in ntp_firewall_rules({'state': 'present', 'sources': ['10.0.0.0/25']}, 'iptables')
             if r['ip_version'] == 'ipv6' and r['state'] == 'present']
    assert rules == [
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'present'},
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
        'udp dport 123 ct state established,related accept comment "timesec.ntp"',
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
    assert ntp_firewall_rules(ANY, 'ufw') == [{'proto': 'udp', 'port': '123', 'source': 'any', 'state': 'present'}]
    assert ntp_firewall_rules(ABSENT, 'ufw') == [{'proto': 'udp', 'port': '123', 'source': 'any', 'state': 'absent'},
                                                 {'proto': 'udp', 'port': '123', 'source': '10.0.0.0/25', 'state': 'absent'}]


@pytest.mark.parametrize('settings, firewall, message', [
    (ANY, 'pf', "unknown firewall 'pf'"),
    ({'state': 'gone', 'sources': []}, 'ufw', 'expects {state: present|absent'),
    ({'state': 'present', 'sources': [], 'nts': 'maybe'}, 'ufw', 'nts must be true or false'),
    ('present', 'ufw', 'expects {state: present|absent'),
])
def test_bad_input(settings, firewall, message):
    with pytest.raises(AnsibleFilterError, match=message.replace('{', r'\{').replace('|', r'\|')):
        ntp_firewall_rules(settings, firewall)


# -- NTS servers: tcp/4460 (NTS-KE) next to udp/123, with the same sources ------------------------

NTS_ANY = dict(ANY, nts=True)
NTS_NARROW = {'state': 'present', 'sources': ['10.0.0.0/25', 'fd00::/64'], 'nts': True}
NTS_ABSENT = dict(ABSENT, nts=True)


def test_nts_is_off_by_default_and_false_changes_nothing():
    for firewall in ('iptables', 'nftables', 'firewalld', 'ufw'):
        assert ntp_firewall_rules(dict(NARROW, nts=False), firewall) == ntp_firewall_rules(NARROW, firewall)
        assert ntp_firewall_rules(dict(NARROW, nts='false'), firewall) == ntp_firewall_rules(NARROW, firewall)


def test_nts_iptables_any_source():
    assert ntp_firewall_rules(NTS_ANY, 'iptables') == [
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2,
         'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '4460', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 1,
         'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2,
         'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '4460', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 1,
         'state': 'absent'},
    ]


def test_nts_iptables_sources():
    assert ntp_firewall_rules(NTS_NARROW, 'iptables') == [
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'source': '10.0.0.0/25', 'rule_num': 1,
         'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 3,
         'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'source': '10.0.0.0/25', 'rule_num': 1,
         'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '4460', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2,
         'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'source': 'fd00::/64', 'rule_num': 1,
         'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'ACCEPT', 'ctstate': ['ESTABLISHED', 'RELATED'], 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'udp', 'port': '123', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 3,
         'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '4460', 'jump': 'ACCEPT', 'source': 'fd00::/64', 'rule_num': 1,
         'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '4460', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2,
         'state': 'present'},
    ]


def test_nts_iptables_absent_removes_everything():
    rules = ntp_firewall_rules(NTS_ABSENT, 'iptables')
    assert {rule['state'] for rule in rules} == {'absent'}
    assert {(rule['protocol'], rule['port']) for rule in rules} == {('udp', '123'), ('tcp', '4460')}


def test_nts_nftables():
    assert ntp_firewall_rules(NTS_ANY, 'nftables') == [
        'udp dport 123 accept comment "timesec.ntp"',
        'tcp dport 4460 accept comment "timesec.ntp"',
    ]
    # Each rule is inserted first: every port's accepts end up above its drop.
    assert ntp_firewall_rules(NTS_NARROW, 'nftables') == [
        'iifname != "lo" udp dport 123 drop comment "timesec.ntp"',
        'ip saddr 10.0.0.0/25 udp dport 123 accept comment "timesec.ntp"',
        'ip6 saddr fd00::/64 udp dport 123 accept comment "timesec.ntp"',
        'udp dport 123 ct state established,related accept comment "timesec.ntp"',
        'iifname != "lo" tcp dport 4460 drop comment "timesec.ntp"',
        'ip saddr 10.0.0.0/25 tcp dport 4460 accept comment "timesec.ntp"',
        'ip6 saddr fd00::/64 tcp dport 4460 accept comment "timesec.ntp"',
    ]
    assert ntp_firewall_rules(NTS_ABSENT, 'nftables') == []


def test_nts_firewalld():
    assert ntp_firewall_rules(NTS_ANY, 'firewalld') == [
        {'service': 'ntp', 'state': 'enabled'},
        {'port': '4460/tcp', 'state': 'enabled'},
    ]
    assert ntp_firewall_rules(NTS_NARROW, 'firewalld') == [
        {'service': 'ntp', 'state': 'disabled'},
        {'rich_rule': 'rule family="ipv4" source address="10.0.0.0/25" service name="ntp" accept', 'state': 'enabled'},
        {'rich_rule': 'rule family="ipv6" source address="fd00::/64" service name="ntp" accept', 'state': 'enabled'},
        {'port': '4460/tcp', 'state': 'disabled'},
        {'rich_rule': 'rule family="ipv4" source address="10.0.0.0/25" port port="4460" protocol="tcp" accept',
         'state': 'enabled'},
        {'rich_rule': 'rule family="ipv6" source address="fd00::/64" port port="4460" protocol="tcp" accept',
         'state': 'enabled'},
    ]
    assert {rule['state'] for rule in ntp_firewall_rules(NTS_ABSENT, 'firewalld')} == {'disabled'}


def test_nts_ufw():
    assert ntp_firewall_rules(NTS_ANY, 'ufw') == [
        {'proto': 'udp', 'port': '123', 'source': 'any', 'state': 'present'},
        {'proto': 'tcp', 'port': '4460', 'source': 'any', 'state': 'present'},
    ]
    assert ntp_firewall_rules(NTS_ABSENT, 'ufw') == [
        {'proto': 'udp', 'port': '123', 'source': 'any', 'state': 'absent'},
        {'proto': 'udp', 'port': '123', 'source': '10.0.0.0/25', 'state': 'absent'},
        {'proto': 'tcp', 'port': '4460', 'source': 'any', 'state': 'absent'},
        {'proto': 'tcp', 'port': '4460', 'source': '10.0.0.0/25', 'state': 'absent'},
    ]


# -- other ports: the node exporter of the metrics (ports: ['9100/tcp']) ---------------------------------

METRICS = {'state': 'present', 'sources': ['10.0.0.0/25', 'fd00::/64'], 'ports': ['9100/tcp'], 'nts': True}


def test_ports_iptables_sources_no_conntrack_rule():
    assert ntp_firewall_rules(METRICS, 'iptables') == [
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '9100', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '9100', 'jump': 'ACCEPT', 'source': '10.0.0.0/25', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv4', 'protocol': 'tcp', 'port': '9100', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '9100', 'jump': 'ACCEPT', 'rule_num': 1, 'state': 'absent'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '9100', 'jump': 'ACCEPT', 'source': 'fd00::/64', 'rule_num': 1, 'state': 'present'},
        {'ip_version': 'ipv6', 'protocol': 'tcp', 'port': '9100', 'jump': 'DROP', 'in_interface': '!lo', 'rule_num': 2, 'state': 'present'},
    ]


def test_ports_nftables_firewalld_ufw():
    assert ntp_firewall_rules(METRICS, 'nftables') == [
        'iifname != "lo" tcp dport 9100 drop comment "timesec.ntp"',
        'ip saddr 10.0.0.0/25 tcp dport 9100 accept comment "timesec.ntp"',
        'ip6 saddr fd00::/64 tcp dport 9100 accept comment "timesec.ntp"',
    ]
    assert ntp_firewall_rules(dict(METRICS, sources=[]), 'nftables') == ['tcp dport 9100 accept comment "timesec.ntp"']
    assert ntp_firewall_rules(dict(METRICS, sources=['10.0.0.0/25']), 'firewalld') == [
        {'port': '9100/tcp', 'state': 'disabled'},
        {'rich_rule': 'rule family="ipv4" source address="10.0.0.0/25" port port="9100" protocol="tcp" accept', 'state': 'enabled'},
    ]
    assert ntp_firewall_rules(dict(METRICS, sources=[]), 'ufw') == [
        {'proto': 'tcp', 'port': '9100', 'source': 'any', 'state': 'present'}]


@pytest.mark.parametrize('ports', [['9100'], ['0/tcp'], ['65536/tcp'], ['9100/sctp'], ['x/tcp'], '9100/tcp'])
def test_ports_bad_input(ports):
    with pytest.raises(AnsibleFilterError, match='ports'):
        ntp_firewall_rules(dict(METRICS, ports=ports), 'ufw')
