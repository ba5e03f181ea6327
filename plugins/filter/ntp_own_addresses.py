# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_own_addresses
short_description: A host's own IPv4 and IPv6 addresses (or networks) from its facts
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Reads the network facts of a host (C(ansible_facts)) and returns the addresses of its default
    route interfaces, IPv4 first then IPv6, each once.
  - The interfaces are those of C(default_ipv4) and C(default_ipv6) (a host with an IPv6 address
    but no IPv6 default route still counts the IPv6 addresses of its IPv4 default interface).
  - IPv4 is the default route address. IPv6 takes every address of global or site scope, never
    link-local (C(fe80::/10)), loopback or IPv4-mapped addresses.
  - With O(networks=true) it returns the networks (CIDR) those addresses are in instead, which is
    what the server role allows by default.
  - Uses only the Python standard library (no netaddr needed on the controller).
positional: networks
options:
  _input:
    description: The host's facts (C(ansible_facts)), gathered with at least the C(network) subset.
    type: dict
    required: true
  networks:
    description: Return the networks (CIDR, host bits zero) instead of the addresses.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The names an NTS certificate should carry for this host's addresses
  ansible.builtin.debug:
    msg: "{{ ansible_facts | timesec.ntp.ntp_own_addresses }}"
  # -> ['192.168.122.10', 'fd42:1:2:3::10']

- name: The networks a server allows by default
  ansible.builtin.debug:
    msg: "{{ ansible_facts | timesec.ntp.ntp_own_addresses(networks=true) }}"
  # -> ['192.168.122.0/24', 'fd42:1:2:3::/64']
"""

RETURN = r"""
_value:
  description: Addresses, or networks in CIDR notation; empty when the facts name no default interface.
  type: list
  elements: str
"""

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean


def _interface(facts, name):
    # Fact keys replace '-' (and ':' of alias interfaces) with '_'.
    return facts.get(name) or facts.get(str(name).replace('-', '_').replace(':', '_')) or {}


def _usable_v6(address):
    return not (address.is_link_local or address.is_loopback or address.is_multicast
                or address.is_unspecified or address.ipv4_mapped is not None)


def _v4(default):
    if not default.get('address'):
        return []
    text = '%s/%s' % (default['address'], default.get('netmask') or default.get('prefix') or '32')
    return [ipaddress.ip_interface(text)]


def _v6(facts):
    found = []
    default6 = facts.get('default_ipv6') or {}
    names = [n for n in ((facts.get('default_ipv4') or {}).get('interface'), default6.get('interface')) if n]
    entries = [entry for name in dict.fromkeys(names) for entry in _interface(facts, name).get('ipv6') or []]
    if default6.get('address'):
        entries.insert(0, default6)
    for entry in entries:
        address = str(entry.get('address') or '').split('%', 1)[0]
        if not address:
            continue
        interface = ipaddress.ip_interface('%s/%s' % (address, entry.get('prefix') or '128'))
        if interface.version == 6 and _usable_v6(interface.ip):
            found.append(interface)
    return found


def ntp_own_addresses(facts, networks=False):
    if not isinstance(facts, dict):
        raise AnsibleFilterError('ntp_own_addresses expects the host facts (ansible_facts), got %s' % type(facts).__name__)
    try:
        networks = boolean(networks, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError('ntp_own_addresses: networks must be true or false, got %r' % (networks,)) from exc
    try:
        interfaces = _v4(facts.get('default_ipv4') or {}) + _v6(facts)
    except ValueError as exc:
        raise AnsibleFilterError('ntp_own_addresses: unusable address in the facts: %s' % exc) from exc
    values = [str(i.network) if networks else str(i.ip) for i in interfaces]
    return list(dict.fromkeys(values))


class FilterModule:
    def filters(self):
        return {'ntp_own_addresses': ntp_own_addresses}
