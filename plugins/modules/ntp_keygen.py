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

import os
import shutil
import socket
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keygen

PARTS = ('host', 'cert', 'iffkey')


class KeyMaterial:
    def __init__(self, module):
        self.module = module
        p = module.params
        self.path = p['path']
        self.password = p['password']
        self.hostname = p['hostname'] or socket.gethostname()
        self.group = p['autokey_group']
        self.subject = self.hostname + ('@' + self.group if self.group else '')
        self.parts = PARTS if p['iff'] else PARTS[:2]
        self.current = {}   # part -> read_key_file info (+ 'key' / 'cert')
        self.incoming = None  # the group key from iffkey_content (parse_key_text info + 'text')
        self.problems = {}  # part -> list of reasons it does not match the options

    # -- inspection ---------------------------------------------------------------------------

    def _link(self, part):
        return keygen.link_names(part, self.hostname, self.group)[-1 if part == 'iffkey' else 0]

    def inspect(self):
        for part in self.parts:
            target = autokey.resolve_link(self.path, self._link(part))
            if target is None and part == 'iffkey':
                target = autokey.resolve_link(self.path, keygen.link_names(part, self.hostname)[0])
            if target is None or not os.path.isfile(target):
                continue
            self.current[part] = autokey.read_key_file(target)
        if 'host' in self.current:
            self._check_host()
        if 'cert' in self.current:
            self._check_cert()
        if self.module.params['iffkey_content'] is not None:
            self._check_incoming()
        elif 'iffkey' in self.current:
            self._check_iff()

    def _decrypt(self, part):
        info = self.current[part]
        try:
            info['key'] = autokey.load_private_key(info, self.password)
        except autokey.AutokeyError as exc:
            if self.module.params['regenerate'] == 'always':
                self.problems.setdefault(part, []).append('cannot be decrypted')
                return None
            raise autokey.AutokeyError(
                '%s: the password does not match the existing keys. Pass the password they were '
                'made with, or set regenerate=always to replace them (clients then need the new '
                'keys too)' % exc) from exc
        return info['key']

    def _check_host(self):
        key = self._decrypt('host')
        if key is None:
            return
        if not isinstance(key, autokey.rsa.RSAPrivateKey):
            self.problems.setdefault('host', []).append('host key is not an RSA key')
        elif key.key_size != self.module.params['modulus']:
            self.problems.setdefault('host', []).append(
                'host key has %d bits, modulus is %d' % (key.key_size, self.module.params['modulus']))

    def _check_cert(self):
        p = self.module.params
        info = self.current['cert']
        cert = info['cert'] = autokey.certificate_info(info['pem'])
        reasons = []
        if cert['subject'] != self.subject:
            reasons.append('subject %s, expected %s' % (cert['subject'], self.subject))
        if cert['issuer'] != cert['subject']:
            reasons.append('issuer %s is not the subject' % cert['issuer'])
        if cert['trusted'] != p['trusted']:
            reasons.append('trusted is %s' % cert['trusted'])
        if cert['digest'] != autokey.digest_name(p['digest']):
            reasons.append('digest %s, expected %s' % (cert['digest'], p['digest']))
        host = self.current.get('host', {}).get('key')
        if host is not None and cert['modulus'] != host.public_key().public_numbers().n:
            reasons.append('certificate does not belong to the host key')
        if reasons:
            self.problems['cert'] = reasons

    def _check_incoming(self):
        """The group key from iffkey_content must be a key this host can use, before anything changes."""
        text = self.module.params['iffkey_content']
        if not text.endswith('\n'):
            text += '\n'
        info = autokey.parse_key_text(text, 'iffkey_content')
        if info['kind'] != 'IFFkey':
            raise autokey.AutokeyError('iffkey_content is not an IFF group key file (it is %s)' % info['kind'])
        try:
            key = autokey.load_private_key(info, self.password)
        except autokey.AutokeyError as exc:
            raise autokey.AutokeyError(
                'the group key in iffkey_content (%s) does not decrypt with this host\'s password: the servers '
                'of one group need the same password (%s)' % (info['file'], exc)) from exc
        reasons = self._iff_reasons(info, key)
        if reasons:
            raise autokey.AutokeyError('the group key in iffkey_content (%s) does not fit: %s'
                                       % (info['file'], '; '.join(reasons)))
        info['text'] = text
        self.incoming = info

    def incoming_differs(self):
        """Whether the group key from iffkey_content is not yet this host's (file name or text differ)."""
        if self.incoming is None:
            return False
        current = self.current.get('iffkey')
        if current is None or os.path.basename(current['path']) != self.incoming['file']:
            return True
        with open(current['path'], 'r') as handle:
            return handle.read() != self.incoming['text']

    def install_incoming(self):
        """Write the group key from iffkey_content under its own name (atomic rename); returns the
        name of the file it supersedes, if any."""
        name = self.incoming['file']
        dest = os.path.join(self.path, name)
        if not os.path.isdir(self.path):
            raise autokey.AutokeyError('keys directory %s does not exist' % self.path)
        fd, tmp = tempfile.mkstemp(prefix='.iffkey-', dir=self.path)
        try:
            with os.fdopen(fd, 'w') as handle:
                handle.write(self.incoming['text'])
            self.module.set_fs_attributes_if_different(self._file_args(tmp), False)
            os.rename(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        previous = os.path.basename(self.current['iffkey']['path']) if 'iffkey' in self.current else None
        self.current['iffkey'] = autokey.read_key_file(dest)
        return previous if previous != name else None

    def _iff_reasons(self, info, key):
        reasons = []
        if info['name'] != self.group:
            reasons.append('IFF group is %s, expected %s' % (info['name'], self.group))
        try:
            prime = autokey.iff_group_numbers(key)[0]
            if prime.bit_length() != self.module.params['identity_modulus']:
                reasons.append('IFF modulus has %d bits, identity_modulus is %d'
                               % (prime.bit_length(), self.module.params['identity_modulus']))
        except autokey.AutokeyError as exc:
            reasons.append(str(exc))
        return reasons

    def _check_iff(self):
        key = self._decrypt('iffkey')
        if key is None:
            return
        reasons = self._iff_reasons(self.current['iffkey'], key)
        if reasons:
            self.problems['iffkey'] = reasons

    def cert_expiring(self):
        cert = self.current.get('cert', {}).get('cert')
        if cert is None:
            return False
        limit = autokey.ntp_to_datetime(autokey.now_fstamp() + 86400 * self.module.params['renew_before_days'])
        return cert['not_after'] <= limit

    # -- decision -------------------------------------------------------------------------------

    def plan(self):
        mode = self.module.params['regenerate']
        if mode == 'always':
            return [part for part in self.parts if part != 'iffkey' or self.incoming is None]
        todo = set(part for part in self.parts if part not in self.current)
        if self.problems:
            described = '; '.join('%s: %s' % (part, ', '.join(r)) for part, r in sorted(self.problems.items()))
            if mode == 'fail':
                raise autokey.AutokeyError(
                    'existing keys in %s do not match the options (%s). Set regenerate=partial_idempotence '
                    'or always to replace them' % (self.path, described))
            if mode == 'partial_idempotence':
                todo.update(self.problems)
        if mode != 'never' and self.cert_expiring():
            todo.add('cert')
        todo.update(self.module.params['rotate'])
        if 'host' in todo:
            todo.add('cert')
        if self.incoming is not None:
            todo.discard('iffkey')  # installed from iffkey_content instead (install_incoming)
        return [part for part in self.parts if part in todo]

    # -- generation -----------------------------------------------------------------------------

    def generate(self, todo):
        """Run ntp-keygen for ``todo`` in a private work directory and move its files into place.

        ntp-keygen 4.2.8 run without -H on an existing host key stamps every file it writes
        with that host key's filestamp. A renewed certificate therefore keeps the host key's
        filestamp (and its file name), which is what the tool does by hand. The IFF group key is
        made by a second run in an empty directory instead, so that a rotated group key, and
        the client parameters exported from it, carry the time they were made. That run also
        writes a throw-away host key and certificate; only the group key is kept.
        """
        p = self.module.params
        binary = keygen.find_keygen(self.module)
        if 'iffkey' in todo:
            keygen.check_keygen_supports_iff(self.module, binary)
        if not os.path.isdir(self.path):
            os.makedirs(self.path, 0o750)
            dir_args = self._file_args(self.path)
            dir_args['mode'] = 0o750
            self.module.set_fs_attributes_if_different(dir_args, False)
        workdir = keygen.make_workdir(self.path)
        try:
            made = {}
            if 'cert' in todo:
                if 'host' not in todo:
                    keygen.seed_file(workdir, self.current['host']['path'],
                                     autokey.LINK_PREFIX['host'] + self.hostname)
                made.update(self._run(workdir, keygen.keygen_command(
                    binary, host='host' in todo, trusted=p['trusted'], hostname=self.hostname, group=self.group,
                    lifetime=p['lifetime'], digest=p['digest'], modulus=p['modulus']),
                    [part for part in ('host', 'cert') if part in todo]))
            if 'iffkey' in todo:
                iffdir = os.path.join(workdir, 'iff')
                os.mkdir(iffdir, 0o700)
                made.update(self._run(iffdir, keygen.keygen_command(
                    binary, iff=True, hostname=self.hostname, group=self.group, digest=p['digest'],
                    modulus=p['modulus'], identity_modulus=p['identity_modulus']), ['iffkey']))
            old = {}
            for part in todo:
                src = made[part]
                name = os.path.basename(src)
                self.module.set_fs_attributes_if_different(self._file_args(src), False)
                os.rename(src, os.path.join(self.path, name))
                previous = os.path.basename(self.current[part]['path']) if part in self.current else None
                # A renewed certificate keeps the host key's filestamp, hence its file name: the
                # rename above has replaced the old file, and there is nothing left to remove.
                old[part] = previous if previous != name else None
                self.current[part] = autokey.read_key_file(os.path.join(self.path, name))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return old

    def _run(self, cwd, cmd, wanted):
        """One ntp-keygen run in cwd; returns part -> path of the newest file of each wanted part."""
        rc, out, err = self.module.run_command(cmd, cwd=cwd,
                                               environ_update=keygen.keygen_environment(self.password, cwd))
        if rc != 0:
            raise autokey.AutokeyError('ntp-keygen failed (rc=%d): %s' % (rc, (err or out).strip()[-2000:]))
        found = keygen.collect_output(cwd)
        missing = [part for part in wanted if part not in found]
        if missing:
            raise autokey.AutokeyError('ntp-keygen wrote no %s file (digest %s may be unsupported by this '
                                       'ntp-keygen): %s' % (', '.join(missing), self.module.params['digest'],
                                                            (err or out).strip()[-2000:]))
        return dict((part, os.path.join(cwd, found[part][0])) for part in wanted)

    def _file_args(self, path, default_mode=0o600):
        args = self.module.load_file_common_arguments(self.module.params, path=path)
        if args.get('mode') is None:
            args['mode'] = default_mode
        return args

    def desired_links(self, todo=()):
        links = {}
        for part in self.parts:
            if part == 'iffkey' and self.incoming is not None:
                target = self.incoming['file']
            elif part in self.current and part not in todo:
                target = os.path.basename(self.current[part]['path'])
            else:
                target = '(new %s)' % part
            for link in keygen.link_names(part, self.hostname, self.group):
                links[link] = target
        return links

    def existing_links(self):
        links = {}
        for part in self.parts:
            for link in keygen.link_names(part, self.hostname, self.group):
                path = os.path.join(self.path, link)
                if os.path.islink(path):
                    links[link] = os.readlink(path)
                elif os.path.lexists(path):
                    links[link] = '(not a link)'
        return links

    def result_fields(self):
        out = {'files': {}, 'fstamp': {}}
        for part, info in self.current.items():
            out['files'][part] = info['path']
            out['fstamp'][part] = info['fstamp']
        cert = self.current.get('cert', {}).get('cert')
        if cert is None and 'cert' in self.current:
            cert = autokey.certificate_info(self.current['cert']['pem'])
        if cert is not None:
            out['certificate'] = {
                'subject': cert['subject'], 'issuer': cert['issuer'],
                'not_after': cert['not_after'].isoformat(), 'digest': cert['digest'],
                'trusted': cert['trusted'],
            }
        return out


def format_links(links):
    return ''.join('%s -> %s\n' % (name, target) for name, target in sorted(links.items()))


def main():
    argument_spec = dict(
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
    module = AnsibleModule(
        argument_spec=argument_spec,
        add_file_common_args=True,
        supports_check_mode=True,
        required_if=[('iff', True, ['autokey_group'])],
    )
    if not autokey.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography (Debian: python3-cryptography)'),
                         exception=autokey.CRYPTOGRAPHY_IMPORT_ERROR)
    p = module.params
    try:
        if not p['password']:
            raise autokey.AutokeyError('password must not be empty')
        if p['hostname'] is not None:
            autokey.check_name('hostname', p['hostname'])
        if p['autokey_group'] is not None:
            autokey.check_name('autokey_group', p['autokey_group'])
        for name, low in (('modulus', 256), ('identity_modulus', 256)):
            if not low <= p[name] <= 2048:
                raise autokey.AutokeyError('%s must be between %d and 2048 bits, got %d' % (name, low, p[name]))
        if p['identity_modulus'] % 64:
            raise autokey.AutokeyError('identity_modulus must be a multiple of 64 (OpenSSL rounds the IFF prime up to one), '
                                       'got %d' % p['identity_modulus'])
        if p['lifetime'] < 1:
            raise autokey.AutokeyError('lifetime must be a positive number of days, got %d' % p['lifetime'])
        if p['renew_before_days'] < 0:
            raise autokey.AutokeyError('renew_before_days must not be negative')
        if 'iffkey' in p['rotate'] and not p['iff']:
            raise autokey.AutokeyError('rotate=iffkey needs iff=true: this host keeps no IFF group key')
        if p['iffkey_content'] is not None and not p['iff']:
            raise autokey.AutokeyError('iffkey_content needs iff=true: this host keeps no IFF group key')
        if p['iffkey_content'] is not None and 'iffkey' in p['rotate']:
            raise autokey.AutokeyError('rotate=iffkey and iffkey_content exclude each other: rotate the group key '
                                       'on the server it comes from, then pass the new one to the others')
        if p['renew_before_days'] >= p['lifetime'] and p['regenerate'] != 'never':
            module.warn('renew_before_days (%d) is not below lifetime (%d): every run renews the certificate '
                        '(and restarts ntpd). Fine for one run that forces a renewal; lower it for good.'
                        % (p['renew_before_days'], p['lifetime']))

        keys = KeyMaterial(module)
        keys.inspect()
        todo = keys.plan()
        before_links = keys.existing_links()
        copy = keys.incoming_differs()
        replaced = os.path.basename(keys.current['iffkey']['path']) if copy and 'iffkey' in keys.current else None
        changed = bool(todo) or copy
        removed = []
        if todo and not module.check_mode:
            old = keys.generate(todo)
            removed = [name for name in old.values() if name]
        if copy and not module.check_mode:
            removed += [name for name in [keys.install_incoming()] if name]
        desired = keys.desired_links(todo if module.check_mode else ())
        if not module.check_mode:
            for link, target in desired.items():
                changed |= keygen.replace_link(keys.path, link, target)
            removed = keygen.remove_unreferenced(keys.path, removed)
        else:
            changed |= desired != before_links
        for info in keys.current.values():
            changed |= module.set_fs_attributes_if_different(keys._file_args(info['path']), False)
        result = dict(changed=changed, regenerated=todo, removed=removed, iffkey_copied=copy, iffkey_replaced=replaced,
                      links=keys.existing_links() if not module.check_mode else desired)
        result.update(keys.result_fields())
        if module._diff:
            result['diff'] = {'before': format_links(before_links), 'after': format_links(result['links']),
                              'before_header': keys.path, 'after_header': keys.path}
        module.exit_json(**result)
    except autokey.AutokeyError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot manage keys in %s: %s' % (p['path'], exc), exception=traceback.format_exc())


if __name__ == '__main__':
    main()
