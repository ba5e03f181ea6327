# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_leftovers
short_description: What the roles wrote for a time daemon or scheme a host no longer uses
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Takes the result of module timesec.ntp.ntp_host_info, read before a run changed anything, and says what to
    purge and remove after a move to another daemon or scheme.
  - Only a daemon whose configuration file the roles wrote (it holds their marker) counts; a keys file only when
    it holds the marker too. The copies of the user's originals (C(*.orig-timesec)) are never removed.
  - A daemon the host left - its package is purged where O(daemons) says so (classic ntp and ntpsec keep the
    configuration, with Autokey's crypto password, in their conffiles), otherwise its configuration is removed;
    its keys file, NTS keys, certificates, CAs and NTS secrets, the C(ntpkey_*) files of its keys directory, the
    roles' systemd drop-in and a mask of its unit (once the package is gone) are removed.
  - The daemon in use (O(daemon)) - the files of the schemes it no longer uses (keys file without symmetric keys,
    NTS server files without C(nts_server), CA files no source names, NTS cookies without NTS sources, the Autokey
    keys of a keys directory it no longer uses).
positional: _input
options:
  _input:
    description: The result of timesec.ntp.ntp_host_info.
    type: dict
    required: true
  daemons:
    description: The daemons' platform data (name to entry, as in timesec.ntp.ntp_common's C(vars/platform_defaults.yml)).
    type: dict
    required: true
  daemon:
    description: The daemon the host runs now.
    type: str
    required: true
  auth:
    description: Its scheme (V(autokey), V(nts) or V(symmetric)).
    type: str
  conf:
    description: The configuration the roles wrote for it (timesec.ntp.ntp_common's C(ntp_common_conf)); without
      it only the daemons the host left count.
    type: dict
"""

EXAMPLES = r"""
- name: Purge what the host left
  ansible.builtin.apt:
    name: "{{ (host | timesec.ntp.ntp_leftovers(daemons=daemons, daemon='chrony')).purge }}"
    state: absent
    purge: true
"""

RETURN = r"""
_value:
  description: What to do.
  type: dict
  contains:
    purge:
      description: Packages to purge.
      type: list
      elements: str
    remove:
      description: Files and links to remove.
      type: list
      elements: str
    dirs:
      description: Directories to remove when they are empty (keys directories, drop-in directories).
      type: list
      elements: str
    services:
      description: The units of the daemons the host left; their enablement links (wants links, aliases) that point
        nowhere once the package is gone are removed.
      type: list
      elements: str
    units:
      description: Whether unit files, links or drop-ins go, so that systemd must reload.
      type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.module_utils import hostinfo


def ntp_leftovers(host, daemons=None, daemon=None, auth=None, conf=None):
    if not isinstance(host, dict) or not isinstance(daemons, dict) or daemon not in daemons:
        raise AnsibleFilterError('ntp_leftovers expects ntp_host_info\'s result, the daemons\' platform data '
                                 'and the daemon in use (one of them)')
    return hostinfo.leftovers(host, daemons, daemon, auth=auth, conf=conf)


class FilterModule:
    def filters(self):
        return {'ntp_leftovers': ntp_leftovers}
