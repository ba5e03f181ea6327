# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_daemon_files
short_description: The paths the roles write for a time daemon, for module timesec.ntp.ntp_host_info
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Takes the platform data of the daemons (a dict of daemon name to its entry, as in the role
    timesec.ntp.ntp_common's C(vars/platform_defaults.yml)) and returns a list of paths.
  - V(probe) - every path the roles may have written for any of the daemons (configuration and keys file and the
    copies of the user's originals next to them, NTS keys, certificates, CAs and the NTS secrets the daemon keeps,
    the systemd drop-in and unit mask, AppArmor's local include), for O(timesec.ntp.ntp_host_info#module:paths).
  - V(read) - the files the daemon named O(daemon) reads when it starts, and O(keysdir), for
    O(timesec.ntp.ntp_host_info#module:service_files).
positional: _input
options:
  _input:
    description: The daemons' platform data.
    type: dict
    required: true
  output:
    description: Which paths.
    type: str
    choices: [probe, read]
    default: probe
  daemon:
    description: The daemon, for O(output=read).
    type: str
  keysdir:
    description: An Autokey keys directory the daemon reads (O(output=read)), or empty.
    type: str
"""

EXAMPLES = r"""
- name: Read the host
  timesec.ntp.ntp_host_info:
    paths: "{{ daemons | timesec.ntp.ntp_daemon_files }}"
    service: ntp
    service_files: "{{ daemons | timesec.ntp.ntp_daemon_files(output='read', daemon='ntp', keysdir='/etc/ntp') }}"
  vars:
    daemons:
      ntp: {service: ntp, conf_path: /etc/ntp.conf, keys_file: /etc/ntp.keys, exec_start: /usr/sbin/ntpd}
"""

RETURN = r"""
_value:
  description: Paths (V(probe) may hold shell patterns).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo


def ntp_daemon_files(daemons, output='probe', daemon=None, keysdir=None):
    if not isinstance(daemons, dict):
        raise AnsibleFilterError('ntp_daemon_files expects the daemons\' platform data (a dict)')
    if output == 'probe':
        return hostinfo.probe_paths(daemons)
    if output == 'read':
        if daemon not in daemons:
            raise AnsibleFilterError('ntp_daemon_files: unknown daemon %r' % (daemon,))
        return hostinfo.read_paths(daemons[daemon], keysdir or None)
    raise AnsibleFilterError('ntp_daemon_files: output must be probe or read, not %r' % (output,))


class FilterModule:
    def filters(self):
        return {'ntp_daemon_files': ntp_daemon_files}
