#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_firewall_info
short_description: Find out which host firewall is installed and active
version_added: 0.3.0
description:
  - Reports, for firewalld, ufw, nftables and iptables, whether the tool is installed and whether
    the firewall is active, and names the one that the roles' C(firewall=auto) choice uses.
  - Installed means the program (C(firewall-cmd), C(ufw), C(nft), or for iptables C(netfilter-persistent)
    from Debian's C(iptables-persistent), which keeps the rules across reboots) is in the search path.
  - Active means C(systemctl is-active) reports V(active) for C(firewalld), C(nftables) or
    C(netfilter-persistent) (iptables rules restored at boot), and for ufw that C(ufw status) reports
    the status V(active).
  - Changes nothing.
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - systemd on the target (C(systemctl)). Without it no firewall counts as active.
  - Python 3.9 or newer on the target.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - timesec.ntp.attributes.info
options: {}
notes:
  - When several firewalls are active, the order firewalld, ufw, nftables, iptables decides, because
    firewalld and ufw drive nftables or iptables themselves.
seealso:
  - name: Firewalls
    description: How the timesec.ntp.ntp_server and timesec.ntp.ntp_client roles use this module.
    link: https://github.com/timesec/ntp/blob/main/README.md#firewalls
"""

EXAMPLES = r"""
- name: Find the active firewall
  timesec.ntp.ntp_firewall_info:
  register: fw

- name: Show it
  ansible.builtin.debug:
    msg: "{{ fw.active | default('none', true) }}"
"""

RETURN = r"""
active:
  description: The first installed and active firewall (firewalld, ufw, nftables, iptables), or V(null).
  returned: always
  type: str
  sample: nftables
firewalls:
  description: Per firewall, whether it is installed and whether it is active.
  returned: always
  type: dict
  sample:
    firewalld: {installed: false, active: false}
    ufw: {installed: false, active: false}
    nftables: {installed: true, active: true}
    iptables: {installed: true, active: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import firewall


def main():
    module = AnsibleModule(argument_spec={}, supports_check_mode=True)
    module.exit_json(changed=False, **firewall.detect(module))


if __name__ == '__main__':
    main()
