#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_nts_ca
short_description: Make a private NTS CA and a server's certificate on the controller, under a lock
version_added: 0.3.0
description:
  - Makes sure that O(ca_dir) holds a private CA (C(ca-key.pem), ECC P-256, 0600; C(ca.pem), self-signed, ten years,
    0644) and that C(<ca_dir>/<name>/) holds a server key (C(key.pem), PKCS#8, 0600) and a certificate the CA signed
    for O(common_name) and O(subject_alt_name) (C(cert.pem), O(lifetime) days, 0644, signed again from
    O(renew_before_days) days before it expires, or when its names or key changed).
  - The steps are community.crypto modules (C(openssl_privatekey), C(openssl_csr_pipe), C(x509_certificate),
    C(x509_certificate_info)), run one after the other while the action holds an exclusive lock (C(flock)) on
    C(<ca_dir>/.lock). Two C(ansible-playbook) runs - or two forks of one - that use one O(ca_dir) at the same
    time therefore never pair a certificate with another run's key. The lock is the kernel's - it is released
    when its holder ends, however it ends.
  - Runs on the controller - delegate the task to C(localhost). O(ca_dir) and C(<ca_dir>/<name>) must exist in a
    real run (the role timesec.ntp.ntp_server creates them 0700 after its checks).
  - Returns the certificates (public), read while the lock was held, never a key; the task should still carry
    C(no_log) (it handles private keys).
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - community.crypto and Python's cryptography on the controller.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: A CA key or server key that would be made first cannot sign yet; those signing steps are then not simulated.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  ca_dir:
    description: The CA's directory on the controller.
    type: path
    required: true
  name:
    description: The server's subdirectory (its inventory name).
    type: str
    required: true
  common_name:
    description: The certificate's common name.
    type: str
    required: true
  subject_alt_name:
    description: The certificate's subjectAltName entries (C(DNS:name), C(IP:address)).
    type: list
    elements: str
    required: true
  ca_subject:
    description: The CA certificate's common name.
    type: str
    default: timesec.ntp NTS CA
  lifetime:
    description: Days a server certificate is valid.
    type: int
    default: 365
  renew_before_days:
    description: Sign the server certificate again when it expires within this many days (its key is kept).
    type: int
    default: 30
  lock_timeout:
    description: Seconds to wait for another run's lock on O(ca_dir) before failing.
    type: int
    default: 600
seealso:
  - name: NTS (docs/nts.md)
    description: What was measured, and the private CA.
    link: https://github.com/timesec/ntp/blob/main/docs/nts.md
"""

EXAMPLES = r"""
- name: Make the private CA and this server's certificate
  timesec.ntp.ntp_nts_ca:
    ca_dir: ~/.ansible/timesec.ntp/nts-ca
    name: "{{ inventory_hostname }}"
    common_name: ntp1.example.com
    subject_alt_name: [DNS:ntp1.example.com, IP:192.0.2.10]
  delegate_to: localhost
  no_log: true
"""

RETURN = r"""
ca_key_changed:
  description: Whether the CA key was (or, in check mode, would be) made.
  returned: always
  type: bool
ca_changed:
  description: Whether the CA certificate was made or changed.
  returned: always
  type: bool
key_changed:
  description: Whether the server key was made.
  returned: always
  type: bool
cert_changed:
  description: Whether the server certificate was signed.
  returned: always
  type: bool
ca_certificate:
  description:
    - The CA certificate (PEM), read while the lock was held - what clients must trust. Install this rather than
      reading C(ca.pem) again later, when a concurrent run may have changed it. V("") when it does not exist (check mode).
  returned: always
  type: str
certificate:
  description: The server's certificate (PEM), read while the lock was held; V("") when it does not exist (check mode).
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils.nts_ca import ARGUMENT_SPEC


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg='timesec.ntp.ntp_nts_ca runs through its action plugin: use it as a task (delegated to localhost)')


if __name__ == '__main__':
    main()
