# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_symmetric_key
short_description: Read NTP symmetric keys from the controller's key store
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Reads the keys named in the terms from the key store that the module timesec.ntp.ntp_symmetric_key
    keeps (C(<path>/keys.json)) and returns them with their values, for a keys file template.
  - By default the I(active) key of each name (the new one while it is rotated), as a client holds it; with
    O(all) every key of each name (both during a rotation), as a server holds them.
  - Read only; a name without a key fails. The values are secrets - use the lookup only in tasks with
    C(no_log) (a template task with C(no_log) also hides its diff).
options:
  _terms:
    description: Key names.
    required: true
    type: list
    elements: str
  path:
    description: The key store directory.
    type: str
    required: true
  all:
    description: Return every key of each name (the old and the new one during a rotation), not only the active one.
    type: bool
    default: false
  syntax:
    description:
      - The keys file syntax of RV(_raw[].line). V(ntp) for classic ntp 4.2.8 and ntpsec (C(ID TYPE KEY)),
        V(chrony) for chrony 4 (C(ID TYPE HEX:KEY), with C(AES128) for AES128CMAC).
    type: str
    choices: [ntp, chrony]
    default: ntp
    version_added: 0.3.0
  extra:
    description:
      - Keys that are not in the store (an upstream server's key, from C(ntp_server_upstream_servers)), each a mapping
        with C(id), C(type) (the digest) and C(value) (hex), returned after the store's keys with their lines.
      - Without terms the store is not read.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: Write the keys file of a client
  ansible.builtin.copy:
    content: "{{ query('timesec.ntp.ntp_symmetric_key', inventory_hostname, path='~/.ansible/timesec.ntp/symmetric-keys')
                 | map(attribute='line') | join('\n') }}\n"
    dest: /etc/ntp.keys
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_raw:
  description: One mapping per key, in the order of the terms (with O(all), a rotated name's old key first).
  type: list
  elements: dict
  contains:
    name:
      description: The key name.
      type: str
    id:
      description: The key ID.
      type: int
    type:
      description: The digest, as the keys file names it.
      type: str
    value:
      description: The key, hex.
      type: str
    line:
      description: The key's line in a keys file of the O(syntax) (C(ID TYPE KEY) or C(ID TYPE HEX:KEY)).
      type: str
"""

import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.timesec.ntp.plugins.module_utils import symmetric


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        path = os.path.expanduser(self.get_option('path'))
        try:
            keys = symmetric.read_store(path) if terms else {}
        except symmetric.StoreError as exc:
            raise AnsibleLookupError(str(exc)) from exc
        results = []
        for name in terms:
            if name not in keys:
                raise AnsibleLookupError('no symmetric key %s in %s: the ntp_server role makes the keys of its clients '
                                         '(run it on their servers first)' % (name, symmetric.store_path(path)))
            chosen = symmetric.generations(keys[name]) if self.get_option('all') else [symmetric.active(keys[name])]
            for key in chosen:
                entry = {'name': name, 'id': key['id'], 'type': key['type'], 'value': key['value']}
                entry['line'] = symmetric.keys_file_lines([entry], self.get_option('syntax'))[0]
                results.append(entry)
        for extra in self.get_option('extra'):
            entry = {'name': None, 'id': extra.get('id'), 'type': extra.get('type'), 'value': extra.get('value')}
            try:
                symmetric.check_extra(entry)
            except symmetric.StoreError as exc:
                raise AnsibleLookupError(str(exc)) from None
            entry['line'] = symmetric.keys_file_lines([entry], self.get_option('syntax'))[0]
            results.append(entry)
        return results
