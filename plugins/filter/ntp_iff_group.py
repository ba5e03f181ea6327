# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ntp_iff_group
short_description: Plan how the servers of one Autokey IFF group share one group key
version_added: 0.3.0
author:
  - timesec.ntp contributors (@timesec)
description:
  - Given every server of the play (inventory order) and one of them, returns that server's plan for
    its IFF group (V(ntp_server_group_name)) - which server's group key is the group's, whether this
    server receives a copy, which servers of the group it follows (those before it in inventory order)
    and at which orphan stratum - and the reasons the plan cannot work.
  - The group key's source is the server named by V(ntp_server_group_key_source); else the first server
    of the group that already has a group key; else the first server of the group, which makes it.
  - Used by the timesec.ntp.ntp_server role before it changes anything.
positional: _input, me
options:
  _input:
    description:
      - One mapping per server, in inventory order, with C(name), C(group), C(has_key), C(password)
        (a token that is equal for equal passwords; never returned), C(source) and optionally
        C(orphan_stratum) (its V(ntp_server_orphan_stratum)).
    type: list
    elements: dict
    required: true
  me:
    description: The inventory name of the server to plan for.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Plan the group key of this server
  ansible.builtin.set_fact:
    plan: "{{ members | timesec.ntp.ntp_iff_group(inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    group:
      description: The IFF group name.
      type: str
    members:
      description: The servers of the group in the play, in inventory order.
      type: list
      elements: str
    source:
      description: The server whose group key is the group's.
      type: str
    source_reason:
      description: Why that server.
      type: str
    receives:
      description: Whether this server receives the source's group key.
      type: bool
    peers:
      description:
        - The servers of the group before this one (inventory order), which this one lists as its
          (Autokey) servers. A server added at the end changes nothing on the servers before it.
      type: list
      elements: str
    position:
      description: The index of this server in its group (0 for the first).
      type: int
    orphan_stratum:
      description:
        - The orphan stratum of this server, C(orphan_stratum) + RV(_value.position); None without C(orphan_stratum).
      type: int
    errors:
      description: Why the plan cannot work (the group key cannot be shared, orphan strata); empty when it can.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.module_utils.group import GroupError, group_plan


def ntp_iff_group(members, me):
    if not isinstance(members, list):
        raise AnsibleFilterError('ntp_iff_group expects a list of servers, got %s' % type(members).__name__)
    try:
        return group_plan(members, me)
    except GroupError as exc:
        raise AnsibleFilterError('ntp_iff_group: %s' % exc) from exc


class FilterModule:
    def filters(self):
        return {'ntp_iff_group': ntp_iff_group}
