# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_iffpar
short_description: Read the IFF client parameters that timesec.ntp.ntp_server fetched to the controller
version_added: 0.1.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - For each server, reads C(<export_dir>/<server>/ntpkey_iffpar) on the controller and returns the
    server's name, the address clients use, the parameters' text, the IFF group and the filestamp.
  - A server whose file is missing is returned with RV(_raw[].present=false) rather than failing, so
    that a role can explain what to run first (or carry on in check mode).
  - The file format is checked with the same code as the modules (timesec.ntp's autokey module_utils).
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
"""

EXAMPLES = r"""
- name: Show the group of each server
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.group }}"
  loop: "{{ query('timesec.ntp.ntp_iffpar', *groups['ntp_servers'], export_dir='/srv/ntp_iffpar') }}"
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
      description: Address clients use in their C(server) line.
      type: str
    export_dir:
      description: The export directory the file was looked up in (see O(export_dir)).
      type: str
    path:
      description: The parameters file on the controller.
      type: str
    present:
      description: Whether the file exists.
      type: bool
    content:
      description: The file's text (public; no group secret).
      type: str
    group:
      description: IFF group name from the file's header.
      type: str
    fstamp:
      description: Filestamp of the server's IFF key.
      type: int
"""

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.timesec.ntp.plugins.module_utils.autokey import AutokeyError, parse_iffpar
from ansible_collections.timesec.ntp.plugins.plugin_utils.servers import exported_files


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        results = []
        for entry, text in exported_files(terms, export_dir=self.get_option('export_dir'),
                                          hostvars=(variables or {}).get('hostvars'),
                                          default_dir=self.get_option('default_export_dir'), file_name='ntpkey_iffpar'):
            entry.update(content=text or '', group=None, fstamp=None)
            if text is not None:
                try:
                    parsed = parse_iffpar(text, entry['path'])
                except AutokeyError as exc:
                    raise AnsibleLookupError('%s (re-run the ntp_server role on %s)' % (exc, entry['name'])) from exc
                entry.update(group=parsed['group'], fstamp=parsed['fstamp'])
            results.append(entry)
        return results
