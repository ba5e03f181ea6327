# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_firewall_rules
short_description: The udp/123 (and NTS tcp/4460) rules of the roles, for one firewall
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Turns the roles' firewall settings into the list of rules (each with the state it must have)
    that the tasks for one firewall loop over. Rules that the settings no longer want are listed
    with state absent, so switching between "any source" and a source list, or to
    O(_input.state=absent), removes what an earlier run added.
  - With O(_input.nts=true) (an NTS server) every rule for udp/123 gets a twin for tcp/4460 (NTS-KE),
    with the same sources.
  - With sources, replies to this host's own NTP requests (its upstream servers answer from udp/123
    to udp/123, from any address) are accepted by connection tracking (state C(ESTABLISHED) or
    C(RELATED)) above the drop, so a source list narrows who may ask for time, never whom the
    host itself may ask. New requests from elsewhere are still dropped.
  - For V(iptables), each rule has C(ip_version), C(protocol) and C(port), C(jump) (C(ACCEPT) or C(DROP)),
    optional C(source), C(in_interface), C(ctstate) and C(rule_num), and C(state) (V(present)/V(absent)).
    With sources, a C(DROP) for the remaining traffic to that port (not from the loopback interface) sits
    right below that family's and port's C(ACCEPT) rules (for udp/123 also below the connection-tracking C(ACCEPT)).
  - For V(nftables), the rule texts in the order to C(insert) them (each goes first, so the list
    ends with the rule that must come first); empty with O(_input.state=absent).
  - For V(firewalld), each rule has C(service) (the C(ntp) service), C(port) (C(4460/tcp)) or C(rich_rule),
    and C(state) (V(enabled)/V(disabled)).
  - For V(ufw), each rule has C(proto), C(port), C(source) (V(any) or a network) and C(state)
    (V(present)/V(absent)).
positional: firewall
options:
  _input:
    description: The settings.
    type: dict
    required: true
    suboptions:
      state:
        description: V(present) or V(absent).
        type: str
      sources:
        description: Source networks (CIDR); empty means any source.
        type: list
        elements: str
      nts:
        description: Also tcp/4460, the NTS-KE port of an NTS server.
        type: bool
        default: false
      ports:
        description:
          - Other ports instead of udp/123 (and tcp/4460), as C(<port>/<tcp|udp>), with the same sources and the same
            rules per firewall (no connection-tracking rule, which only udp/123 needs); O(_input.nts) is then ignored.
            The roles use it for the node exporter of their metrics (C(ntp_*_metrics_allowed_networks)).
        type: list
        elements: str
        version_added: 0.3.0
  firewall:
    description: Which firewall's rules to return.
    type: str
    choices: [iptables, nftables, firewalld, ufw]
    required: true
"""

EXAMPLES = r"""
- name: iptables rules
  ansible.builtin.debug:
    msg: "{{ {'state': 'present', 'sources': ['192.168.122.0/24']} | timesec.ntp.ntp_firewall_rules('iptables') }}"

- name: ufw rules of an NTS server (udp/123 and tcp/4460 from anywhere)
  ansible.builtin.debug:
    msg: "{{ {'state': 'present', 'sources': [], 'nts': true} | timesec.ntp.ntp_firewall_rules('ufw') }}"

- name: nftables rules for a node exporter on tcp/9100, from one network
  ansible.builtin.debug:
    msg: "{{ {'state': 'present', 'sources': ['10.0.0.0/24'], 'ports': ['9100/tcp']} | timesec.ntp.ntp_firewall_rules('nftables') }}"
"""

RETURN = r"""
_value:
  description: The rules, as described above.
  type: list
  elements: raw
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

TAG = 'timesec.ntp'
NTP = ('udp', '123')
NTS_KE = ('tcp', '4460')
# Replies to the host's own requests: ntpd asks its upstream servers from udp/123, so their answers
# arrive at udp/123 too (NTS-KE client connections use ephemeral ports and need nothing here).
REPLIES = ['ESTABLISHED', 'RELATED']


def _family(source):
    return 'ipv6' if ':' in source else 'ipv4'


def _iptables(present, sources, ports):
    rules = []
    for version in ('ipv4', 'ipv6'):
        mine = [s for s in sources if _family(s) == version]
        for proto, port in ports:
            base = {'ip_version': version, 'protocol': proto, 'port': port}
            rules.append(dict(base, jump='ACCEPT', rule_num=1, state='present' if present and not sources else 'absent'))
            for source in mine:
                rules.append(dict(base, jump='ACCEPT', source=source, rule_num=1, state='present' if present else 'absent'))
            accepts = len(mine)
            if (proto, port) == NTP:
                rules.append(dict(base, jump='ACCEPT', ctstate=REPLIES, rule_num=1,
                                  state='present' if present and sources else 'absent'))
                accepts += 1
            rules.append(dict(base, jump='DROP', in_interface='!lo', rule_num=accepts + 1,
                              state='present' if present and sources else 'absent'))
    return rules


def _nftables(present, sources, ports):
    if not present:
        return []
    comment = ' comment "%s"' % TAG
    rules = []
    for proto, port in ports:
        match = '%s dport %s' % (proto, port)
        if not sources:
            rules.append('%s accept%s' % (match, comment))
            continue
        rules.append('iifname != "lo" %s drop%s' % (match, comment))
        rules += ['%s saddr %s %s accept%s' % ('ip6' if _family(s) == 'ipv6' else 'ip', s, match, comment)
                  for s in sources]
        if (proto, port) == NTP:
            rules.append('%s ct state %s accept%s' % (match, ','.join(r.lower() for r in REPLIES), comment))
    return rules


def _firewalld(present, sources, ports):
    rules = []
    for proto, port in ports:
        if (proto, port) == NTP:
            rules.append({'service': 'ntp', 'state': 'enabled' if present and not sources else 'disabled'})
            target = 'service name="ntp"'
        else:
            rules.append({'port': '%s/%s' % (port, proto), 'state': 'enabled' if present and not sources else 'disabled'})
            target = 'port port="%s" protocol="%s"' % (port, proto)
        rules += [{'rich_rule': 'rule family="%s" source address="%s" %s accept' % (_family(s), s, target),
                   'state': 'enabled' if present else 'disabled'} for s in sources]
    return rules


def _ufw(present, sources, ports):
    rules = []
    for proto, port in ports:
        rules.append({'proto': proto, 'port': port, 'source': 'any', 'state': 'present' if present and not sources else 'absent'})
        rules += [{'proto': proto, 'port': port, 'source': s, 'state': 'present' if present else 'absent'}
                  for s in sources]
    return rules


BUILDERS = {'iptables': _iptables, 'nftables': _nftables, 'firewalld': _firewalld, 'ufw': _ufw}


def _ports(values):
    """``['9100/tcp']`` -> ``[('tcp', '9100')]``, each a port 1-65535 with tcp or udp."""
    ports = []
    for value in values:
        port, _sep, proto = str(value).strip().partition('/')
        if proto not in ('tcp', 'udp') or not port.isdigit() or not 0 < int(port) < 65536:
            raise AnsibleFilterError('ntp_firewall_rules: ports entry %r is not <port>/<tcp|udp> with a port from 1 to 65535'
                                     % (value,))
        ports.append((proto, str(int(port))))
    return ports


def ntp_firewall_rules(settings, firewall):
    if firewall not in BUILDERS:
        raise AnsibleFilterError('ntp_firewall_rules: unknown firewall %r; choose one of: %s'
                                 % (firewall, ', '.join(sorted(BUILDERS))))
    if not isinstance(settings, dict) or settings.get('state') not in ('present', 'absent'):
        raise AnsibleFilterError('ntp_firewall_rules expects {state: present|absent, sources: [...], nts: bool}')
    sources = [str(s).strip() for s in settings.get('sources') or []]
    try:
        nts = boolean(settings.get('nts', False), strict=True)
    except TypeError as exc:
        raise AnsibleFilterError('ntp_firewall_rules: nts must be true or false, got %r' % (settings.get('nts'),)) from exc
    if settings.get('ports'):
        if not isinstance(settings['ports'], list):
            raise AnsibleFilterError('ntp_firewall_rules: ports must be a list of <port>/<tcp|udp>, got %r' % (settings['ports'],))
        ports = _ports(settings['ports'])
    else:
        ports = [NTP, NTS_KE] if nts else [NTP]
    return BUILDERS[firewall](settings['state'] == 'present', sources, ports)


class FilterModule:
    def filters(self):
        return {'ntp_firewall_rules': ntp_firewall_rules}
