#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_keygen
short_description: Manage ntpd Autokey host keys, certificates and IFF group keys
version_added: 0.1.0
description:
  - Creates and maintains the Autokey key material of one host in an ntpd keys directory,
    by running C(ntp-keygen) from classic ntp 4.2.8 in a private temporary directory and
    moving the results into place atomically, with the C(ntpkey_*_<name>) links that ntpd opens.
  - Covers the RSA host key (C(-H)), the self-signed certificate, optionally trusted (C(-T)),
    and optionally the IFF group key (C(-I)).
  - Existing keys are decrypted and checked against the options; nothing is regenerated
    unless O(regenerate) asks for it, so a second run starts no C(ntp-keygen) process.
  - The password reaches C(ntp-keygen) through its C(NTP_KEYGEN_PASSWORD) preset variable,
    never on its command line.
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - C(ntp-keygen) from classic ntp 4.2.8 (tested on Debian 11; Ubuntu 22.04 untested). ntpsec has no Autokey.
  - The Python C(cryptography) library on the target (Debian package C(python3-cryptography)).
  - Python 3.9 or newer on the target.
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - timesec.ntp.attributes
options:
  path:
    description:
      - The keys directory (ntpd's C(keysdir)). Created with mode C(0750) when missing.
    type: path
    default: /etc/ntp
  password:
    description:
      - Password that encrypts the key files; must equal C(crypto pw) in C(ntp.conf).
      - Also used to decrypt existing keys. A password that cannot decrypt them fails the
        module unless O(regenerate=always).
    type: str
    required: true
  hostname:
    description:
      - Autokey host name (C(ntp-keygen -s)). Names the files and forms the certificate subject.
      - Use the same name in C(crypto host) in C(ntp.conf).
      - Defaults to the target's C(gethostname()), which is what ntpd uses without C(crypto host).
    type: str
  autokey_group:
    description:
      - Autokey group name (C(ntp-keygen -i)). The certificate subject becomes O(hostname)@O(autokey_group).
      - Required with O(iff=true); the IFF group key file is named after it and linked as
        C(ntpkey_iffkey_<group>) as well as C(ntpkey_iffkey_<hostname>).
      - Clients of a server with a group must use the same group, or the server declines them.
      - Not called C(group) because that option sets the files' group owner (see below).
    type: str
  trusted:
    description:
      - Make the certificate a trusted (self-signed root) certificate (C(ntp-keygen -T)), as on a server.
    type: bool
    default: false
  iff:
    description:
      - Maintain an IFF group key (C(ntp-keygen -I)), as on a server that proves its identity with IFF.
    type: bool
    default: false
  lifetime:
    description:
      - Certificate lifetime in days (C(ntp-keygen -l)).
    type: int
    default: 365
  modulus:
    description:
      - RSA host key size in bits (C(ntp-keygen -m)), 256 to 2048. An existing key of another size
        is replaced according to O(regenerate).
    type: int
    default: 2048
  identity_modulus:
    description:
      - IFF group key modulus in bits, a multiple of 64 from 256 to 2048 (OpenSSL rounds the prime up to one). Only
        with O(iff=true).
      - For 2048 the module runs C(ntp-keygen -b 2047) - asked for 2048, OpenSSL wants a 256-bit subgroup that
        ntp-keygen's 160-bit seed cannot give and ntp-keygen 4.2.8p15 exits 0 without a key; 2047 rounds up to the same
        2048-bit prime (measured, docs/autokey.md). The subgroup stays 160 bits at every size.
    type: int
    default: 2048
  digest:
    description:
      - Certificate digest scheme (C(ntp-keygen -c)).
    type: str
    default: RSA-SHA256
    choices: [RSA-MD5, RSA-SHA1, RSA-SHA224, RSA-SHA256, RSA-RIPEMD160]
  regenerate:
    description:
      - When to regenerate existing key material, modelled on M(community.crypto.openssh_keypair).
      - V(never) keeps whatever exists and only creates what is missing.
      - V(fail) fails when existing material does not match the options.
      - V(partial_idempotence) replaces only what does not match the options (a new host key
        always brings a new certificate).
      - V(always) replaces everything on every run; use it once, for rotation.
      - Missing files are created in every mode.
    type: str
    default: partial_idempotence
    choices: [never, fail, partial_idempotence, always]
  renew_before_days:
    description:
      - Issue a new certificate, keeping the host key, when the current one expires within this
        many days (or has expired). V(0) renews only expired certificates. Ignored with O(regenerate=never).
      - A value not below O(lifetime) renews on every run (the module warns); use that for one run only.
    type: int
    default: 0
  rotate:
    description:
      - Parts to replace in this run whatever their state, for a planned rotation. Pass it for one run
        (for example as an extra variable), not permanently, or every run rotates again.
      - V(host) makes a new host key and therefore a new certificate; clients pick it up by themselves.
      - V(cert) issues a new certificate for the existing host key.
      - V(iffkey) makes a new IFF group key (needs O(iff=true)); the keys of the other parts are kept.
        Every client then needs the new client parameters (see M(timesec.ntp.ntp_iffpar)).
      - Works with every O(regenerate) value, including V(never).
    type: list
    elements: str
    choices: [host, cert, iffkey]
    default: []
    version_added: 0.3.0
  iffkey_content:
    description:
      - The text of an encrypted IFF group key file (C(ntpkey_IFFkey_<group>.<filestamp>)) made on another
        server of the group, to use as this host's group key instead of making one. Needs O(iff=true).
      - It must decrypt with O(password) and belong to O(autokey_group) with O(identity_modulus) bits;
        otherwise the module fails before changing anything.
      - Installed under its own file name, so this host exports the same client parameters (same
        filestamp) as the server it came from. A different group key of this host is replaced (and
        RV(iffkey_replaced) names it); the same one is left alone. The group key is never made or
        rotated here; O(rotate=iffkey) is refused.
      - The timesec.ntp.ntp_server role passes the group key of the group's source server this way.
    type: str
    version_added: 0.3.0
  mode:
    description:
      - Mode of the key files. Defaults to C(0600) when not set; ntpd reads keys as root.
seealso:
  - module: timesec.ntp.ntp_iffpar
  - name: ntp-keygen 4.2.8 manual
    description: The tool this module drives.
    link: https://www.ntp.org/documentation/4.2.8-series/keygen/
notes:
  - Runs C(ntp-keygen) only when something must be generated; check mode never runs it.
  - Superseded key files that no link refers to any more are removed.
  - The IFF group key is made by its own C(ntp-keygen) run in an empty directory, so a new or
    rotated group key (and the client parameters exported from it) carries the filestamp of the
    moment it was made. A renewed certificate keeps the host key's filestamp and file name, as
    C(ntp-keygen) without C(-H) does.
"""

EXAMPLES = r"""
- name: Server keys - host key, trusted certificate and IFF group key
  timesec.ntp.ntp_keygen:
    path: /etc/ntp
    password: "{{ ntp_server_crypto_password }}"
    hostname: "{{ ansible_facts['fqdn'] }}"
    autokey_group: timelab
    trusted: true
    iff: true
    owner: root
    group: ntp
    mode: "0640"
  no_log: true

- name: Client host key and certificate in the server's group
  timesec.ntp.ntp_keygen:
    password: "{{ ntp_client_crypto_password }}"
    hostname: "{{ ansible_facts['fqdn'] }}"
    autokey_group: timelab
    mode: "0640"
  no_log: true

- name: Renew certificates 30 days before they expire, keeping the keys
  timesec.ntp.ntp_keygen:
    password: "{{ ntp_client_crypto_password }}"
    autokey_group: timelab
    renew_before_days: 30
  no_log: true

- name: Rotate everything once
  timesec.ntp.ntp_keygen:
    password: "{{ ntp_server_crypto_password }}"
    autokey_group: timelab
    trusted: true
    iff: true
    regenerate: always
  no_log: true

- name: Rotate only the IFF group key (then re-export and redistribute the client parameters)
  timesec.ntp.ntp_keygen:
    password: "{{ ntp_server_crypto_password }}"
    autokey_group: timelab
    trusted: true
    iff: true
    rotate: [iffkey]
  no_log: true
"""

RETURN = r"""
files:
  description:
    - The key files in use, by part (V(host), V(cert), V(iffkey)).
    - In check mode, the files that exist before the run; a part this run would make is missing.
  returned: always
  type: dict
  sample: {"host": "/etc/ntp/ntpkey_RSAhost_ntp1.4004683375", "cert": "/etc/ntp/ntpkey_RSA-SHA256cert_ntp1.4004683375"}
links:
  description:
    - The links ntpd opens, mapped to the file names they point to.
    - In check mode, a link to a file this run would make points to V((new <part>)), for example V((new cert)).
  returned: always
  type: dict
  sample: {"ntpkey_host_ntp1": "ntpkey_RSAhost_ntp1.4004683375"}
fstamp:
  description:
    - Filestamp (NTP seconds) of each part.
    - In check mode, of the files that exist before the run.
  returned: always
  type: dict
  sample: {"host": 4004683375, "cert": 4004683375, "iffkey": 4004683376}
certificate:
  description:
    - The certificate's subject, issuer, expiry (ISO 8601, UTC), digest and trust flag.
    - In check mode, the certificate that exists before the run (missing when there is none); a certificate
      this run would make or renew is not described.
  returned: when a certificate exists
  type: dict
  sample: {"subject": "ntp1@timelab", "issuer": "ntp1@timelab", "not_after": "2027-11-26T12:02:55+00:00",
           "digest": "sha256", "trusted": true}
regenerated:
  description: The parts generated by this run (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: ["cert"]
iffkey_copied:
  description: Whether this run installed (or in check mode would install) the group key from O(iffkey_content).
  returned: always
  type: bool
  sample: false
iffkey_replaced:
  description: The file name of a different group key that O(iffkey_content) replaced (or would replace), else null.
  returned: always
  type: str
  sample: ntpkey_IFFkey_timelab.4004683376
removed:
  description: Superseded key files removed from O(path).
  returned: always
  type: list
  elements: str
  sample: ["ntpkey_IFFkey_timelab.4004683376"]
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keymaterial

ARGUMENT_SPEC = dict(
    path=dict(type='path', default='/etc/ntp'),
    password=dict(type='str', required=True, no_log=True),
    hostname=dict(type='str'),
    autokey_group=dict(type='str', no_log=False),
    trusted=dict(type='bool', default=False),
    iff=dict(type='bool', default=False),
    lifetime=dict(type='int', default=365),
    modulus=dict(type='int', default=2048),
    identity_modulus=dict(type='int', default=2048),
    digest=dict(type='str', default='RSA-SHA256',
                choices=['RSA-MD5', 'RSA-SHA1', 'RSA-SHA224', 'RSA-SHA256', 'RSA-RIPEMD160']),
    regenerate=dict(type='str', default='partial_idempotence',
                    choices=['never', 'fail', 'partial_idempotence', 'always']),
    renew_before_days=dict(type='int', default=0),
    rotate=dict(type='list', elements='str', default=[], choices=['host', 'cert', 'iffkey']),
    iffkey_content=dict(type='str', no_log=True),
)


def main():
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        add_file_common_args=True,
        supports_check_mode=True,
        required_if=[('iff', True, ['autokey_group'])],
    )
    if not autokey.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography (Debian: python3-cryptography)'),
                         exception=autokey.CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        keys = keymaterial.KeyMaterial(module)   # checks the options
        plan = keys.plan()                       # reads the keys directory, changes nothing
        module.exit_json(**(keys.result(plan) if module.check_mode else keys.apply(plan)))
    except autokey.AutokeyError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot manage keys in %s: %s' % (module.params['path'], exc),
                         exception=traceback.format_exc())


if __name__ == '__main__':
    main()
