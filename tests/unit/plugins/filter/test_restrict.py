# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_restrict import FilterModule, ntp_restrict


def test_registered():
    assert FilterModule().filters()['ntp_restrict'] is ntp_restrict


def test_ipv4_and_ipv6():
    assert ntp_restrict(['192.168.122.0/24', '10.0.0.1/32', 'fd00::/64']) == [
        '192.168.122.0 mask 255.255.255.0',
        '10.0.0.1 mask 255.255.255.255',
        # no "-6": ntpsec 1.2 rejects "restrict -6 <address> mask <mask>" as a syntax error
        'fd00:: mask ffff:ffff:ffff:ffff::',
    ]


def test_single_string_is_a_list_of_one():
    assert ntp_restrict('172.16.0.0/12') == ['172.16.0.0 mask 255.240.0.0']


@pytest.mark.parametrize('bad', ['192.168.122.1/24', 'fd00::1/64', '10.0.0.0/33'])
def test_invalid_network_names_the_entry(bad):
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_restrict(['10.0.0.0/8', bad])
    assert repr(bad) in str(exc.value)


@pytest.mark.parametrize('bad', ['not-a-network', '5e1f0a9c3b7d2e4f6a8b0c1d2e3f4a5b', '10.0.0.0/8;drop', 'Secret Pw#1'])
def test_invalid_value_not_shown(bad):
    """Only a value that looks like an address is shown: never an arbitrary string (a key in the wrong variable)."""
    with pytest.raises(AnsibleFilterError) as exc:
        ntp_restrict(['10.0.0.0/8', bad])
    assert bad.strip() not in str(exc.value) and '(not shown)' in str(exc.value)


def test_host_bits_named():
    with pytest.raises(AnsibleFilterError, match='has host bits set'):
        ntp_restrict(['10.89.0.7/24'])


def test_not_a_list():
    with pytest.raises(AnsibleFilterError):
        ntp_restrict({'net': '10.0.0.0/8'})
