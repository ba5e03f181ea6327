# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_nts_ca
short_description: Read the CA that timesec.ntp.ntp_server exported for its NTS clients
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - For each server, reads C(<export_dir>/<server>/nts-ca.pem) on the controller, which the ntp_server
    role writes with O(export_dir) as its C(ntp_server_export_dir) when it sets up NTS, and returns the
    server's name, the name clients use, and the CA certificates clients must trust for it.
  - An empty file means that the server's certificate is from a public CA (clients use their system CAs).
  - A server whose file is missing is returned with RV(_raw[].present=false) rather than failing, so
    that a role can explain what to run first (or carry on in check mode).
extends_documentation_fragment:
  - timesec.ntp.export_dir
options:
  _terms:
    description:
      - Servers, each an inventory host name or a mapping with C(name) (the inventory host name,
        which names the export subdirectory) and optionally C(address) (what clients connect to,
        default the name; with NTS also the name checked against the server's certificate).
    required: true
    type: list
    elements: raw
"""

EXAMPLES = r"""
- name: Show which servers have a private CA
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ 'private CA' if item.content else 'system CAs' }}"
  loop: "{{ query('timesec.ntp.ntp_nts_ca', *groups['ntp_servers'], export_dir='/srv/ntp_export') }}"
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
    content:
      description: The CA certificates (PEM), V("") for a public CA or a missing file.
      type: str
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.timesec.ntp.plugins.plugin_utils.servers import exported_files

PEM_CERT = '-----BEGIN CERTIFICATE-----'


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results = []
        for entry, text in exported_files(terms, export_dir=self.get_option('export_dir'),
                                          hostvars=(variables or {}).get('hostvars'),
                                          default_dir=self.get_option('default_export_dir'), file_name='nts-ca.pem'):
            text = (text or '').strip()
            if text and PEM_CERT not in text:
                raise AnsibleLookupError('%s holds no PEM certificate (re-run the ntp_server role on %s)'
                                         % (entry['path'], entry['name']))
            entry['content'] = text + '\n' if text else ''
            results.append(entry)
        return results
