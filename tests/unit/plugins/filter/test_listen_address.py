# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_listen_address: the node exporter's listen address must be this host's (issue 29, bad input)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_listen_address import FilterModule, ntp_listen_address

OWN = ['10.89.0.5', 'fd42:201:125::5', 'fe80::1%eth0']


def test_registered():
    assert FilterModule().filters()['ntp_listen_address'] is ntp_listen_address


@pytest.mark.parametrize('text, expected', [
    (':9100', {'host': '', 'port': 9100, 'all': True}),
    ('0.0.0.0:9100', {'host': '0.0.0.0', 'port': 9100, 'all': True}),
    ('[::]:9200', {'host': '::', 'port': 9200, 'all': True}),
    ('10.89.0.5:9100', {'host': '10.89.0.5', 'port': 9100, 'all': False}),
    ('[fd42:201:125::5]:9100', {'host': 'fd42:201:125::5', 'port': 9100, 'all': False}),
    ('127.0.0.1:9100', {'host': '127.0.0.1', 'port': 9100, 'all': False}),
    ('[::1]:9100', {'host': '::1', 'port': 9100, 'all': False}),
    ('localhost:9100', {'host': 'localhost', 'port': 9100, 'all': False}),
])
def test_accepted(text, expected):
    assert ntp_listen_address(text, addresses=OWN, variable='ntp_client_metrics_listen_address') == expected


@pytest.mark.parametrize('text, message', [
    ('10.89.0.9:9100', r"ntp_client_metrics_listen_address is '10.89.0.9:9100': 10.89.0.9 is not an address of this host "
                       r"\(its addresses: 10.89.0.5, fd42:201:125::5, fe80::1\). node exporter must run on this host"),
    ('[fd42:201:125::9]:9100', 'is not an address of this host'),
    ('monitor.example.net:9100', 'monitor.example.net is not an IP address'),
    ('9100', 'write it as'),
    ('10.89.0.5', 'write it as'),
    ('fd42::5:9100', 'write it as'),
    (':0', 'the port must be from 1 to 65535'),
    (':70000', 'the port must be from 1 to 65535'),
    ('[10.89.0.5]:9100', 'only an IPv6 address goes in brackets'),
])
def test_refused_with_the_variable_name(text, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        ntp_listen_address(text, addresses=OWN, variable='ntp_client_metrics_listen_address')
    assert 'ntp_client_metrics_listen_address' in str(error.value)
