# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_own_addresses: a host's addresses and networks from its facts (issue 14, item 3)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_own_addresses import FilterModule, ntp_own_addresses

# Shaped like the network facts of a dual-stack podman container (setup, gather_subset network).
DUAL = {
    'default_ipv4': {'address': '10.89.7.12', 'netmask': '255.255.255.0', 'network': '10.89.7.0',
                     'prefix': '24', 'interface': 'eth0'},
    'default_ipv6': {'address': 'fd42:7:7:7::12', 'prefix': '64', 'scope': 'global', 'interface': 'eth0'},
    'eth0': {'device': 'eth0', 'ipv6': [
        {'address': 'fd42:7:7:7::12', 'prefix': '64', 'scope': 'global'},
        {'address': '2001:db8:1::12', 'prefix': '48', 'scope': 'global'},
        {'address': 'fe80::4c1:2ff:fe03:405', 'prefix': '64', 'scope': 'link'},
    ]},
}


def test_registered():
    assert FilterModule().filters()['ntp_own_addresses'] is ntp_own_addresses


@pytest.mark.parametrize('facts, addresses, networks', [
    (DUAL, ['10.89.7.12', 'fd42:7:7:7::12', '2001:db8:1::12'], ['10.89.7.0/24', 'fd42:7:7:7::/64', '2001:db8:1::/48']),
    # IPv4 only (today's default scenarios): what the role allowed before.
    ({'default_ipv4': DUAL['default_ipv4'], 'default_ipv6': {}, 'eth0': {'ipv6': [DUAL['eth0']['ipv6'][2]]}},
     ['10.89.7.12'], ['10.89.7.0/24']),
    # IPv6 only: no IPv4 default route.
    ({'default_ipv4': {}, 'default_ipv6': DUAL['default_ipv6'], 'eth0': DUAL['eth0']},
     ['fd42:7:7:7::12', '2001:db8:1::12'], ['fd42:7:7:7::/64', '2001:db8:1::/48']),
    # An IPv6 address but no IPv6 default route: the IPv4 default interface's addresses count.
    ({'default_ipv4': DUAL['default_ipv4'], 'eth0': DUAL['eth0']},
     ['10.89.7.12', 'fd42:7:7:7::12', '2001:db8:1::12'], ['10.89.7.0/24', 'fd42:7:7:7::/64', '2001:db8:1::/48']),
    # Interface names with '-' are keyed with '_' in the facts; scoped addresses lose the zone.
    ({'default_ipv6': {'address': 'fd00::5', 'prefix': '64', 'interface': 'br-lan'},
      'br_lan': {'ipv6': [{'address': 'fe80::1%br-lan', 'prefix': '64'}, {'address': 'fd00::5', 'prefix': '64'}]}},
     ['fd00::5'], ['fd00::/64']),
    # Nothing to go by: empty (the server role then fails, naming ntp_server_allowed_networks).
    ({}, [], []),
    ({'default_ipv4': {}, 'default_ipv6': {}, 'lo': {'ipv6': [{'address': '::1', 'prefix': '128'}]}}, [], []),
    ({'default_ipv6': {'address': 'fe80::1', 'prefix': '64', 'interface': 'eth0'}}, [], []),
])
def test_addresses_and_networks(facts, addresses, networks):
    assert ntp_own_addresses(facts) == addresses
    assert ntp_own_addresses(facts, networks=True) == networks
    assert ntp_own_addresses(facts, 'yes') == networks


@pytest.mark.parametrize('facts, networks, message', [
    ('eth0', False, 'expects the host facts'),
    (DUAL, 'maybe', 'networks must be true or false'),
    ({'default_ipv4': {'address': '10.0.0.300', 'netmask': '255.0.0.0'}}, False, 'unusable address'),
])
def test_bad_input(facts, networks, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ntp_own_addresses(facts, networks)
