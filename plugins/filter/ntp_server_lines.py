# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_server_lines
short_description: Build the arguments of ntp.conf server lines for Autokey, NTS or plain NTP
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Returns, for each server, the text that follows the word C(server) in ntp.conf, with the options in
    the order classic ntp 4.2.8 and ntpsec 1.2 accept, which is C(iburst), then C(autokey ident <group>) or
    C(key <id>), then C(minpoll)/C(maxpoll), then C(nts) and C(ca <file>).
positional: _input
options:
  _input:
    description:
      - The servers, each an address or a mapping with C(address) (and, for O(ca=exported), C(content), which is
        the CA the server exported, as the timesec.ntp.ntp_nts_ca lookup returns it; for O(auth=symmetric),
        C(key_id), the symmetric key ID, as the timesec.ntp.ntp_symmetric lookup returns it).
    type: list
    elements: raw
    required: true
  auth:
    description:
      - V(autokey) (needs O(group)), V(nts), V(symmetric) (each server a mapping with C(key_id)) or V(none)
        (plain NTP, e.g. upstream servers).
    type: str
    choices: [autokey, nts, symmetric, none]
    default: none
  group:
    description: The Autokey IFF group, sent as C(ident).
    type: str
  minpoll:
    description: The C(minpoll) exponent; omitted when not set.
    type: int
  maxpoll:
    description: The C(maxpoll) exponent; omitted when not set.
    type: int
  ca_file:
    description: NTS only, the CA file on the host that O(ca) selects servers to be checked against.
    type: str
  ca:
    description:
      - NTS only, which lines name O(ca_file). V(exported) those servers whose mapping has a non-empty
        C(content) (they exported a private CA), V(always) every one, V(never) none (system CAs).
    type: str
    choices: [exported, always, never]
    default: exported
"""

EXAMPLES = r"""
- name: Autokey server lines
  ansible.builtin.debug:
    msg: "{{ ['10.0.0.1'] | timesec.ntp.ntp_server_lines(auth='autokey', group='grp', minpoll=3, maxpoll=10) }}"
  # -> ['10.0.0.1 iburst autokey ident grp minpoll 3 maxpoll 10']

- name: Symmetric-key server lines
  ansible.builtin.debug:
    msg: "{{ [{'address': '10.0.0.1', 'key_id': 7}] | timesec.ntp.ntp_server_lines(auth='symmetric', minpoll=4) }}"
  # -> ['10.0.0.1 iburst key 7 minpoll 4']

- name: NTS server lines, one of them checked against a private CA
  ansible.builtin.debug:
    msg: >-
      {{ [{'address': 'ntp1.example.org', 'content': '-----BEGIN CERTIFICATE-----...'},
          {'address': 'time.example.com', 'content': ''}]
         | timesec.ntp.ntp_server_lines(auth='nts', minpoll=4, maxpoll=10, ca_file='/etc/ntpsec/ca.pem') }}
  # -> ['ntp1.example.org iburst minpoll 4 maxpoll 10 nts ca /etc/ntpsec/ca.pem',
  #     'time.example.com iburst minpoll 4 maxpoll 10 nts']
"""

RETURN = r"""
_value:
  description: One string per server, without the leading C(server).
  type: list
  elements: str
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text


def _entry(server, ca):
    if isinstance(server, Mapping):
        if not server.get('address'):
            raise AnsibleFilterError('ntp_server_lines: a server mapping needs an address: %r' % (dict(server),))
        exported = bool(server.get('content'))
        server = server['address']
    elif not server or not isinstance(server, (str, bytes)):
        raise AnsibleFilterError('ntp_server_lines: %r is not a server address' % (server,))
    else:
        exported = False
    return to_text(server), ca == 'always' or (ca == 'exported' and exported)


def _key_id(server):
    key_id = server.get('key_id') if isinstance(server, Mapping) else None
    if not isinstance(key_id, int) or isinstance(key_id, bool) or not 1 <= key_id <= 65535:
        raise AnsibleFilterError('ntp_server_lines: auth=symmetric needs a mapping with key_id 1..65535 for each '
                                 'server, got %r' % (server,))
    return key_id


def ntp_server_lines(servers, auth='none', group=None, minpoll=None, maxpoll=None, ca_file=None, ca='exported'):
    if auth not in ('autokey', 'nts', 'symmetric', 'none'):
        raise AnsibleFilterError('ntp_server_lines: auth must be autokey, nts, symmetric or none, not %r' % (auth,))
    if auth == 'autokey' and not group:
        raise AnsibleFilterError('ntp_server_lines: auth=autokey needs the IFF group')
    if ca not in ('exported', 'always', 'never'):
        raise AnsibleFilterError('ntp_server_lines: ca must be exported, always or never, not %r' % (ca,))
    lines = []
    for server in servers or []:
        address, uses_ca = _entry(server, ca)
        words = [address, 'iburst']
        if auth == 'autokey':
            words += ['autokey', 'ident', to_text(group)]
        if auth == 'symmetric':
            words += ['key', str(_key_id(server))]
        if minpoll is not None:
            words += ['minpoll', str(int(minpoll))]
        if maxpoll is not None:
            words += ['maxpoll', str(int(maxpoll))]
        if auth == 'nts':
            words.append('nts')
            if ca_file and uses_ca:
                words += ['ca', to_text(ca_file)]
        lines.append(' '.join(words))
    return lines


class FilterModule(object):
    def filters(self):
        return {'ntp_server_lines': ntp_server_lines}
