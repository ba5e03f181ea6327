# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The lookups that read what timesec.ntp.ntp_server exported to the controller
    # (plugin_utils/servers.export_dir_of() implements these options).
    DOCUMENTATION = r"""
options:
  export_dir:
    description:
      - The directory the ntp_server role exported into (its C(ntp_server_export_dir)), for every server.
      - Empty or unset - each server's own C(ntp_server_export_dir) as its host or group variables set it (so a
        server with its own export directory in C(host_vars) is found there), else O(default_export_dir).
      - C(~) is expanded.
    type: str
    default: ""
  default_export_dir:
    description:
      - Where to look for a server that has no C(ntp_server_export_dir) of its own, when O(export_dir) is empty.
      - The ntp_server role's default is C(~/.ansible/timesec.ntp/iffpar).
    type: path
    default: ~/.ansible/timesec.ntp/iffpar
"""
