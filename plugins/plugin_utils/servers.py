# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller-side helpers shared by the lookups that read what timesec.ntp.ntp_server exported."""

from __future__ import annotations

import os

from ansible.errors import AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text


def server_item(item):
    """One entry of ntp_client_servers -> {name, address}: an inventory host name, or a mapping
    with ``name`` (the inventory host name, which names the export subdirectory) and optionally
    ``address`` (what clients connect to, default the name)."""
    if isinstance(item, dict):
        if not item.get('name'):
            raise AnsibleLookupError('a server given as a mapping needs a name: %r' % (item,))
        return {'name': to_text(item['name']), 'address': to_text(item.get('address') or item['name'])}
    if not item or not isinstance(item, str):
        raise AnsibleLookupError('a server must be a host name or a mapping with name/address, got %r' % (item,))
    return {'name': item, 'address': item}


def exported_files(terms, export_dir, file_name):
    """For each server in ``terms``: (entry, text) where entry is server_item() plus ``path`` (of
    ``file_name`` in the server's export subdirectory) and ``present``, and text is the file's text
    or None when it is missing. The caller checks the text and adds its own fields."""
    for term in terms:
        entry = server_item(term)
        entry['path'] = os.path.join(export_dir, entry['name'], file_name)
        entry['present'] = os.path.isfile(entry['path'])
        text = None
        if entry['present']:
            with open(entry['path'], 'r') as handle:
                text = handle.read()
        yield entry, text
