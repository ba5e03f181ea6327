# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_file_matches
short_description: Whether a file on the host already is what a task would write
version_added: 0.4.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Takes the RV(timesec.ntp.ntp_host_info#module:stat) of the module timesec.ntp.ntp_host_info, read before the run
    changed anything, and says whether O(path) is already of type O(kind) with O(owner), O(group), O(mode) and,
    when O(content) is given, that content (compared by its SHA-1, as the template and copy modules do).
  - The roles skip a write that would change nothing, and with it its remote round trips (a template or copy
    task costs up to five of them even when nothing changes). Anything the stat does not show, such as a
    missing file or an unreadable one, is a mismatch, and the task runs as before.
positional: _input, path
options:
  _input:
    description: The RV(timesec.ntp.ntp_host_info#module:stat) mapping.
    type: dict
    required: true
  path:
    description: The file or directory.
    type: str
    required: true
  content:
    description: The content the task would write (rendered on the controller); omitted, only the type, owner,
      group and mode count.
    type: str
  owner:
    description: The owner it must have; omitted, any.
    type: str
  group:
    description: The group it must have; omitted, any.
    type: str
  mode:
    description: The mode it must have, in octal (V(0640)); omitted, any.
    type: str
  kind:
    description: What it must be.
    type: str
    choices: [file, directory]
    default: file
"""

EXAMPLES = r"""
- name: Template ntp.conf unless the host holds it already
  ansible.builtin.template:
    src: ntp.conf.j2
    dest: /etc/ntp.conf
    owner: root
    group: root
    mode: "0644"
  when: >-
    not (host.stat | timesec.ntp.ntp_file_matches('/etc/ntp.conf', content=lookup('ansible.builtin.template', 'ntp.conf.j2'),
                                                   owner='root', group='root', mode='0644'))
"""

RETURN = r"""
_value:
  description: Whether the file already matches.
  type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo


def ntp_file_matches(stats, path, content=None, owner=None, group=None, mode=None, kind='file'):
    if not isinstance(stats, dict):
        raise AnsibleFilterError('ntp_file_matches expects the stat mapping of timesec.ntp.ntp_host_info')
    if kind not in ('file', 'directory'):
        raise AnsibleFilterError('ntp_file_matches: kind must be file or directory, not %r' % (kind,))
    try:
        return hostinfo.file_matches(stats, str(path), content=None if content is None else str(content),
                                     owner=owner, group=group, mode=mode, kind=kind)
    except ValueError as exc:
        raise AnsibleFilterError('ntp_file_matches: mode %r is not octal (%s)' % (mode, exc))


class FilterModule:
    def filters(self):
        return {'ntp_file_matches': ntp_file_matches}
