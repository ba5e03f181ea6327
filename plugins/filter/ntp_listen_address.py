# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_listen_address
short_description: Check a node exporter listen address against the host's own addresses
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Splits C(<address>:<port>), C([<IPv6 address>]:<port>) or C(:<port>) (all addresses) into its parts and
    checks them, so that the roles refuse a bad C(ntp_*_metrics_listen_address) before any change.
  - The address must be one of O(addresses) (the host's own), a loopback address, V(localhost), or empty,
    V(0.0.0.0) or V(::) (all addresses). node exporter's textfile collector reads files on its own host only,
    so a node exporter elsewhere cannot serve the metrics the roles write.
  - Fails with a message that names O(variable) and the fix.
positional: _input
options:
  _input:
    description: The listen address.
    type: str
    required: true
  addresses:
    description: The host's addresses (IPv4 and IPv6), e.g. C(ansible_facts.all_ipv4_addresses + ansible_facts.all_ipv6_addresses).
    type: list
    elements: str
    default: []
  variable:
    description: The name of the variable that holds the address, for messages.
    type: str
    default: listen address
"""

EXAMPLES = r"""
- name: All addresses, port 9100
  ansible.builtin.debug:
    msg: "{{ ':9100' | timesec.ntp.ntp_listen_address(addresses=ansible_facts.all_ipv4_addresses) }}"
  # -> {'host': '', 'port': 9100, 'all': true}
"""

RETURN = r"""
_value:
  description: C(host) (the address as written, without brackets; empty for all addresses), C(port) (int) and
    C(all) (whether it listens on all addresses).
  type: dict
"""

import ipaddress
import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

LISTEN_RE = re.compile(r'^(?:\[(?P<v6>[^\[\]]+)\]|(?P<host>[^:\[\]]*)):(?P<port>[0-9]+)\Z')
ALL = ('', '0.0.0.0', '::')


def _address(text):
    try:
        return ipaddress.ip_address(text.split('%', 1)[0])
    except ValueError:
        return None


def ntp_listen_address(value, addresses=None, variable='listen address'):
    text = to_text(value).strip()
    match = LISTEN_RE.match(text)
    if not match:
        raise AnsibleFilterError(
            '%s is %r: write it as <address>:<port>, [<IPv6 address>]:<port>, or :<port> for all addresses '
            '(the default is :9100)' % (variable, text))
    port = int(match.group('port'))
    if not 0 < port < 65536:
        raise AnsibleFilterError('%s is %r: the port must be from 1 to 65535' % (variable, text))
    host = match.group('v6') if match.group('v6') is not None else match.group('host')
    if match.group('v6') is not None and (_address(host) is None or _address(host).version != 6):
        raise AnsibleFilterError('%s is %r: only an IPv6 address goes in brackets' % (variable, text))
    if host in ALL:
        return {'host': host, 'port': port, 'all': True}
    address = _address(host)
    own = set()
    for item in addresses or []:
        parsed = _address(to_text(item))
        if parsed is not None:
            own.add(parsed)
    if host == 'localhost' or (address is not None and (address.is_loopback or address in own)):
        return {'host': host, 'port': port, 'all': False}
    if address is None:
        raise AnsibleFilterError(
            '%s is %r: %s is not an IP address. Give one of this host\'s addresses (%s), or :%d for all of them.'
            % (variable, text, host, ', '.join(sorted(str(a) for a in own)) or 'none known', port))
    raise AnsibleFilterError(
        '%s is %r: %s is not an address of this host (its addresses: %s). node exporter must run on this host: '
        'its textfile collector reads the metrics file here, so a node exporter elsewhere cannot serve it. '
        'Give one of this host\'s addresses, or :%d for all of them.'
        % (variable, text, host, ', '.join(sorted(str(a) for a in own)) or 'none known', port))


class FilterModule:
    def filters(self):
        return {'ntp_listen_address': ntp_listen_address}
