# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_nts_names
short_description: The names and addresses an NTS server certificate carries
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Cleans a list of candidate names (inventory name, FQDN, host name, addresses, extra names) into the
    names an NTS certificate carries, in order and without duplicates, empty entries or C(localhost).
  - With O(san=true), returns them as subjectAltName entries instead, C(IP:) for IPv4 and IPv6 addresses and
    C(DNS:) for names, names first.
positional: _input
options:
  _input:
    description: Candidate names and addresses; non-strings are turned into strings.
    type: list
    elements: raw
    required: true
  san:
    description: Return subjectAltName entries (C(DNS:name), C(IP:address)) rather than the names.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: The certificate's subjectAltName
  ansible.builtin.debug:
    msg: "{{ ['ntp1', 'ntp1.example.org', '', 'localhost', '192.0.2.1', 'fd00::1', 'ntp1'] | timesec.ntp.ntp_nts_names(san=true) }}"
  # -> ['DNS:ntp1', 'DNS:ntp1.example.org', 'IP:192.0.2.1', 'IP:fd00::1']
"""

RETURN = r"""
_value:
  description: The names (the first one is also the certificate's common name), or the subjectAltName entries.
  type: list
  elements: str
"""

import ipaddress

from ansible.module_utils.common.text.converters import to_text

NOT_NAMES = ('localhost', 'localhost.localdomain')


def _is_address(name):
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def ntp_nts_names(candidates, san=False):
    names = []
    for candidate in candidates or []:
        name = to_text(candidate if candidate is not None else '').strip()
        if name and name not in NOT_NAMES and name not in names:
            names.append(name)
    if not san:
        return names
    return (['DNS:' + name for name in names if not _is_address(name)]
            + ['IP:' + name for name in names if _is_address(name)])


class FilterModule(object):
    def filters(self):
        return {'ntp_nts_names': ntp_nts_names}
