# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_symmetric
short_description: Read which symmetric keys each server of timesec.ntp.ntp_server holds
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - For each server, reads C(<export_dir>/<server>/symmetric.json) on the controller, which the ntp_server
    role writes when it sets up symmetric keys (the names and IDs of the keys the server holds, never
    their values), and returns whether the server holds O(key_name) and under which ID.
  - A server whose file is missing is returned with RV(_raw[].present=false) rather than failing, so
    that a role can explain what to run first (or carry on in check mode).
extends_documentation_fragment:
  - timesec.ntp.export_dir
options:
  _terms:
    description:
      - Servers, each an inventory host name or a mapping with C(name) (the inventory host name,
        which names the export subdirectory) and optionally C(address) (what clients connect to,
        default the name).
    required: true
    type: list
    elements: raw
  key_name:
    description: The name of the client's key (its inventory name, or a shared key's name).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Show the key ID each server holds for this client
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.key_id }}"
  loop: "{{ query('timesec.ntp.ntp_symmetric', *groups['ntp_servers'], key_name=inventory_hostname) }}"
"""

RETURN = r"""
_raw:
  description: One mapping per server.
  type: list
  elements: dict
  contains:
    name:
      description: Inventory host name of the server.
      type: str
    address:
      description: The name (or address) clients put on their C(server) line.
      type: str
    export_dir:
      description: The export directory the file was looked up in (see O(export_dir)).
      type: str
    path:
      description: The exported file on the controller.
      type: str
    present:
      description: Whether the file exists.
      type: bool
    key_id:
      description: The ID of O(key_name) on that server; V(null) when the server does not hold it.
      type: int
    digest:
      description: The digest of that key (V(null) when the server does not hold it).
      type: str
    content:
      description: Always V("") (nothing for the client to install from the export).
      type: str
"""

import json

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.timesec.ntp.plugins.plugin_utils.servers import exported_files

EXPORT_FILE = 'symmetric.json'


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        key_name = self.get_option('key_name')
        results = []
        for entry, text in exported_files(terms, export_dir=self.get_option('export_dir'),
                                          hostvars=(variables or {}).get('hostvars'),
                                          default_dir=self.get_option('default_export_dir'), file_name=EXPORT_FILE):
            held = {}
            if text is not None:
                try:
                    held = json.loads(text)['keys']
                except (ValueError, KeyError, TypeError) as exc:
                    raise AnsibleLookupError('%s is not what the ntp_server role exports (re-run it on %s)'
                                             % (entry['path'], entry['name'])) from exc
            key = held.get(key_name) or {}
            entry.update(key_id=key.get('id'), digest=key.get('type'), content='')
            results.append(entry)
        return results
