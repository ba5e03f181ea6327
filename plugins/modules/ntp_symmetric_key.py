#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_symmetric_key
short_description: Make and rotate NTP symmetric keys in a key store, with stable key IDs
version_added: 0.3.0
description:
  - Makes sure that the key store in O(path) holds a key for every name in O(names), made from a secure
    random source (Python's C(secrets)). A missing key gets the lowest free key ID (1 to 65535), which it
    keeps for as long as it exists. Existing keys are left alone.
  - Rotation without an outage, in two runs. A run with a name in O(rotate) adds a second key for it under a
    new ID (unless it has one already); servers then hold and trust both keys, and clients switch to the new
    one (the I(active) key, RV(key_ids)). The next run without that name in O(rotate) finishes the rotation -
    the new key becomes the only one, and the old ID is free.
  - The store is one file, C(keys.json) (mode 0600), in O(path) (created mode 0700); a lock file there
    serializes parallel runs. Meant to run on the controller (a task delegated to C(localhost)), where
    timesec.ntp.ntp_server keeps the keys of its clients; the lookup timesec.ntp.ntp_symmetric_key reads them.
  - Never returns a key value; the task should still carry C(no_log) (the store holds secrets).
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - Python 3.9 or newer where it runs.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details: The keys are secrets; RV(created), RV(rotated) and RV(finished) say what changed.
  platform:
    platforms: posix
options:
  path:
    description:
      - The key store directory. Created with mode 0700 when missing.
    type: path
    required: true
  names:
    description:
      - The key names that must have a key, e.g. the inventory names of the clients, or the name of a shared key.
      - Letters, digits, C(.), C(-) and C(_), at most 64, starting with a letter or digit.
    type: list
    elements: str
    required: true
  digest:
    description:
      - The MAC of new keys (and of the new key of a rotation), as ntpd's keys file names it. All four were
        measured to interoperate between classic ntpd 4.2.8p15 and ntpsec 1.2.2 in both directions. V(AES128CMAC)
        (RFC 8573) is the strongest; the others are ntpd's legacy MAC (the digest of key and packet, truncated to
        20 bytes). An existing key keeps its digest until it is rotated.
    type: str
    choices: [AES128CMAC, SHA512, SHA256, SHA1]
    default: AES128CMAC
  rotate:
    description:
      - Names whose keys are rotated - in this run a new key under a new ID is added next to the old one.
        Pass them for one run; the next run without them removes the old keys.
    type: list
    elements: str
    default: []
  reserved_ids:
    description:
      - Key IDs the hosts use for other keys (an upstream server's key, given in
        C(ntp_server_upstream_servers)). New keys never take them; a key of O(names) that already has one fails
        the task, naming it.
    type: list
    elements: int
    default: []
seealso:
  - name: Symmetric-key authentication (docs/symmetric.md)
    description: What was measured, and how the roles use the store.
    link: https://github.com/timesec/ntp/blob/main/docs/symmetric.md
"""

EXAMPLES = r"""
- name: Make a key for each client of this server
  timesec.ntp.ntp_symmetric_key:
    path: ~/.ansible/timesec.ntp/symmetric-keys
    names: "{{ groups['ntp_clients'] }}"
  delegate_to: localhost
  no_log: true
  register: keys

- name: The key ID client1 uses
  ansible.builtin.debug:
    msg: "{{ keys.key_ids['client1'].id }}"
"""

RETURN = r"""
key_ids:
  description: The active key of each name in O(names) (the new one during a rotation), without its value.
  returned: always
  type: dict
  sample: {client1: {id: 1, type: AES128CMAC}}
trusted:
  description: Every key ID of O(names) a server holds - both IDs of a name during its rotation. Sorted.
  returned: always
  type: list
  elements: int
  sample: [1, 2, 3]
created:
  description: Names that got their first key.
  returned: always
  type: list
  elements: str
rotated:
  description: Names that got a new key next to the old one (rotation started).
  returned: always
  type: list
  elements: str
finished:
  description: Names whose old key was removed (rotation finished).
  returned: always
  type: list
  elements: str
path:
  description: The store file.
  returned: always
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.timesec.ntp.plugins.module_utils import symmetric


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', required=True),
            names=dict(type='list', elements='str', required=True),
            digest=dict(type='str', default=symmetric.DEFAULT_DIGEST, choices=list(symmetric.DIGESTS)),
            rotate=dict(type='list', elements='str', default=[]),
            reserved_ids=dict(type='list', elements='int', default=[]),
        ),
        supports_check_mode=True,
    )
    path = module.params['path']
    names = list(dict.fromkeys(module.params['names']))
    try:
        for name in names + module.params['rotate']:
            symmetric.check_name(name)
        if module.check_mode and not os.path.isdir(path):
            keys, created, rotated, finished = symmetric.plan({}, names, module.params['digest'],
                                                              reserved=module.params['reserved_ids'])
        else:
            os.makedirs(path, 0o700, exist_ok=True)
            with symmetric.Locked(path):
                old = symmetric.read_store(path)
                keys, created, rotated, finished = symmetric.plan(old, names, module.params['digest'],
                                                                  module.params['rotate'],
                                                                  reserved=module.params['reserved_ids'])
                if (created or rotated or finished) and not module.check_mode:
                    symmetric.write_store(path, keys)
    except (symmetric.StoreError, OSError) as exc:
        module.fail_json(msg='key store %s: %s' % (path, exc))
    module.exit_json(changed=bool(created or rotated or finished), key_ids=symmetric.public_view(keys, names),
                     trusted=symmetric.held_ids(keys, names), created=created, rotated=rotated,
                     finished=finished, path=symmetric.store_path(path))


if __name__ == '__main__':
    main()
