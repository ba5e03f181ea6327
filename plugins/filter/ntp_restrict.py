# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_restrict
short_description: Turn CIDR networks into ntpd restrict address and mask
version_added: 0.1.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Validates each network and returns the C(address mask netmask) text of an ntpd C(restrict)
    line. IPv6 networks get no C(-6) in front, which classic ntp accepts but ntpsec 1.2 rejects as a
    syntax error when a mask follows (the line is then ignored and IPv6 clients are refused).
  - Fails with a message naming the bad entry, so roles can check input before touching a host.
  - Uses only the Python standard library (no netaddr needed on the controller).
positional: _input
options:
  _input:
    description: A list of networks in CIDR notation (a single string is taken as a list of one).
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Restrict lines
  ansible.builtin.debug:
    msg: "{{ ['192.168.122.0/24', 'fd00::/64'] | timesec.ntp.ntp_restrict }}"
  # -> ['192.168.122.0 mask 255.255.255.0', 'fd00:: mask ffff:ffff:ffff:ffff::']
"""

RETURN = r"""
_value:
  description: One C(restrict) argument string per network.
  type: list
  elements: str
"""

import ipaddress

import re

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


SHOWN_RE = re.compile(r'[0-9A-Fa-f:.]{1,39}(?:/[0-9]{1,3})?\Z')


def ntp_restrict(networks):
    if isinstance(networks, (str, bytes)):
        networks = [networks]
    if not isinstance(networks, (list, tuple)):
        raise AnsibleFilterError('ntp_restrict expects a list of CIDR networks, got %s' % type(networks).__name__)
    lines = []
    for item in networks:
        text = to_text(item).strip()
        try:
            net = ipaddress.ip_network(text, strict=True)
        except ValueError:
            try:
                ipaddress.ip_network(text, strict=False)
                reason = 'it has host bits set'
            except ValueError:
                reason = 'it is not an IPv4 or IPv6 network in CIDR notation'
            # the value only when it looks like an address (never an arbitrary string: a key in the wrong variable)
            shown = "'%s'" % text if SHOWN_RE.match(text) and ('.' in text or ':' in text) else '(not shown)'
            raise AnsibleFilterError(
                'invalid network %s in the allowed networks or firewall sources: %s (write it as a CIDR such as '
                '192.168.122.0/24 with the host bits zero)' % (shown, reason)) from None
        lines.append('%s mask %s' % (net.network_address, net.netmask))
    return lines


class FilterModule:
    def filters(self):
        return {'ntp_restrict': ntp_restrict}
