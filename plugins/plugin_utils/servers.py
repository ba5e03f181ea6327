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
            raise AnsibleLookupError('a server given as a mapping needs a name (its keys: %s)' % ', '.join(sorted(map(str, item))))
        return {'name': to_text(item['name']), 'address': to_text(item.get('address') or item['name'])}
    if not item or not isinstance(item, str):
        raise AnsibleLookupError('a server must be a host name or a mapping with name/address (the value given is not shown)')
    return {'name': item, 'address': item}


def export_dir_of(name, export_dir=None, hostvars=None, default_dir=None):
    """Where the ntp_server role exported server ``name``'s files: ``export_dir`` when given (one
    directory for every server), else that server's own ``ntp_server_export_dir`` (its host or group
    variables, as ``hostvars`` shows them), else ``default_dir``."""
    if export_dir:
        return os.path.expanduser(export_dir)
    server_vars = hostvars.get(name) if hostvars is not None and name in hostvars else None
    own = server_vars.get('ntp_server_export_dir') if server_vars is not None else None
    if own:
        return os.path.expanduser(to_text(own))
    if default_dir:
        return default_dir
    raise AnsibleLookupError('no export directory for server %s: it has no ntp_server_export_dir, and neither '
                             'export_dir nor default_export_dir is set' % name)


def exported_files(terms, file_name, export_dir=None, hostvars=None, default_dir=None):
    """For each server in ``terms``: (entry, text) where entry is server_item() plus ``export_dir``
    (export_dir_of()), ``path`` (of ``file_name`` in the server's export subdirectory) and
    ``present``, and text is the file's text or None when it is missing. The caller checks the
    text and adds its own fields."""
    for term in terms:
        entry = server_item(term)
        entry['export_dir'] = export_dir_of(entry['name'], export_dir, hostvars, default_dir)
        entry['path'] = os.path.join(entry['export_dir'], entry['name'], file_name)
        entry['present'] = os.path.isfile(entry['path'])
        text = None
        if entry['present']:
            with open(entry['path'], 'r') as handle:
                text = handle.read()
        yield entry, text
