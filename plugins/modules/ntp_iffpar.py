#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_iffpar
short_description: Write Autokey IFF client parameters that ntpd 4.2.8 can verify
version_added: 0.1.0
description:
  - On an IFF server, derives the client parameters file from the server's encrypted IFF group
    key, without running C(ntp-keygen -e). That option writes parameters no client can verify
    (a PKCS#8 key whose public value is lost) and rewrites the server certificate as a side effect.
  - The file written is a traditional C(DSA PRIVATE KEY) holding p, q, g, the public value
    v = g^(q-b) mod p and the private value 1, after the header line
    C(# ntpkey_iffpar_<group>.<filestamp>) that carries the server IFF key's filestamp.
  - On a client, installs such a file from O(content) (as fetched from the server), checks that
    it parses, and links it as C(ntpkey_iffpar_<group>), the name ntpd opens for C(ident <group>).
  - The parameters hold no group secret; they are public by design and returned as RV(content).
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - The Python C(cryptography) library on the target when exporting from a key
    (Debian package C(python3-cryptography)). Installing from O(content) needs nothing.
  - Python 3.9 or newer on the target.
extends_documentation_fragment:
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - timesec.ntp.attributes
options:
  path:
    description:
      - The keys directory. The parameters file is written here as C(ntpkey_iffpar_<group>.<filestamp>).
    type: path
    default: /etc/ntp
  autokey_group:
    description:
      - The IFF group name.
      - When exporting, the group key is read through the link C(ntpkey_iffkey_<group>) unless O(key) is set.
      - With O(content), optional; when set it must match the group in the content's header.
    type: str
  password:
    description:
      - Password that decrypts the server's IFF group key (the server's C(crypto pw)).
      - Selects export mode. Mutually exclusive with O(content).
    type: str
  key:
    description:
      - Path of the encrypted IFF group key file to export from, instead of the C(ntpkey_iffkey_<group>) link.
    type: path
  content:
    description:
      - The text of a parameters file to install, as this module returned it on the server.
      - Selects install mode. Mutually exclusive with O(password).
    type: str
  links:
    description:
      - Extra link names to point at the parameters file, such as the legacy C(ntpkey_iff_<server>).
      - Each must start with C(ntpkey_) and contain no C(/).
    type: list
    elements: str
    default: []
  mode:
    description:
      - Mode of the parameters file. Defaults to C(0644); it is public.
seealso:
  - module: timesec.ntp.ntp_keygen
notes:
  - Earlier parameter files of the same group that no link names any more are removed.
"""

EXAMPLES = r"""
- name: Export the client parameters on the server
  timesec.ntp.ntp_iffpar:
    path: /etc/ntp
    autokey_group: timelab
    password: "{{ ntp_server_crypto_password }}"
  register: iffpar
  no_log: true

- name: Install them on a client, with the seed's legacy link
  timesec.ntp.ntp_iffpar:
    path: /etc/ntp
    content: "{{ lookup('ansible.builtin.file', 'export/ntp1/ntpkey_iffpar') }}"
    links:
      - ntpkey_iff_ntp1
    owner: root
    group: ntp
    mode: "0640"
"""

RETURN = r"""
autokey_group:
  description: The IFF group name.
  returned: success
  type: str
  sample: timelab
fstamp:
  description: The server IFF key's filestamp (NTP seconds), which ntpd compares.
  returned: success
  type: int
  sample: 4004683375
content:
  description: The parameters file's text. Public by design; it holds no group secret.
  returned: success
  type: str
  sample: "# ntpkey_iffpar_timelab.4004683375\n# Thu Nov 26 12:02:55 2026\n-----BEGIN DSA PRIVATE KEY-----\n..."
dest:
  description: Path of the parameters file.
  returned: success
  type: str
  sample: /etc/ntp/ntpkey_iffpar_timelab.4004683375
links:
  description: Links pointing at the parameters file.
  returned: success
  type: list
  elements: str
  sample: ["ntpkey_iffpar_timelab", "ntpkey_iff_ntp1"]
removed:
  description: Superseded parameter files of this group that were removed.
  returned: success
  type: list
  elements: str
  sample: []
"""

import os
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keygen


def export_content(module):
    p = module.params
    if not autokey.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib('cryptography (Debian: python3-cryptography)'),
                         exception=autokey.CRYPTOGRAPHY_IMPORT_ERROR)
    if not p['autokey_group']:
        raise autokey.AutokeyError('autokey_group is required to export parameters')
    source = p['key'] or autokey.resolve_link(p['path'], autokey.LINK_PREFIX['iffkey'] + p['autokey_group'])
    if source is None or not os.path.isfile(source):
        raise autokey.AutokeyError(
            'no IFF group key for group %s in %s (expected the link ntpkey_iffkey_%s): create it with '
            'timesec.ntp.ntp_keygen iff=true first' % (p['autokey_group'], p['path'], p['autokey_group']))
    info = autokey.read_key_file(source)
    if info['kind'] != 'IFFkey':
        raise autokey.AutokeyError('%s is not an IFF group key file (it is %s)' % (source, info['kind']))
    if info['name'] != p['autokey_group']:
        raise autokey.AutokeyError('%s belongs to group %s, not %s' % (source, info['name'], p['autokey_group']))
    p_, q, g, b = autokey.iff_group_numbers(autokey.load_private_key(info, p['password']))
    return autokey.iffpar_content(info['name'], info['fstamp'], p_, q, g, b)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='path', default='/etc/ntp'),
            autokey_group=dict(type='str', no_log=False),
            password=dict(type='str', no_log=True),
            key=dict(type='path'),
            content=dict(type='str'),
            links=dict(type='list', elements='str', default=[]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
        mutually_exclusive=[('password', 'content')],
        required_one_of=[('password', 'content')],
    )
    p = module.params
    try:
        if p['autokey_group'] is not None:
            autokey.check_name('autokey_group', p['autokey_group'])
        for link in p['links']:
            if not link.startswith('ntpkey_') or '/' in link or not autokey.valid_name(link):
                raise autokey.AutokeyError('link %r must start with ntpkey_ and be a plain file name' % link)

        content = export_content(module) if p['password'] is not None else p['content']
        if not content.endswith('\n'):
            content += '\n'
        parsed = autokey.parse_iffpar(content, 'content' if p['content'] is not None else 'exported parameters')
        group = parsed['group']
        if p['autokey_group'] and group != p['autokey_group']:
            raise autokey.AutokeyError('the parameters are for group %s, not %s' % (group, p['autokey_group']))

        name = autokey.iffpar_filename(group, parsed['fstamp'])
        dest = os.path.join(p['path'], name)
        links = [autokey.LINK_PREFIX['iffpar'] + group] + list(p['links'])
        before = ''
        if os.path.isfile(dest):
            with open(dest, 'r') as handle:
                before = handle.read()
        old_targets = {}
        for link in links:
            path = os.path.join(p['path'], link)
            old_targets[link] = os.readlink(path) if os.path.islink(path) else None
        changed = before != content or any(target != name for target in old_targets.values())

        removed = []
        file_args = module.load_file_common_arguments(p, path=dest)
        if file_args.get('mode') is None:
            file_args['mode'] = 0o644
        if not module.check_mode:
            if not os.path.isdir(p['path']):
                raise autokey.AutokeyError('keys directory %s does not exist' % p['path'])
            if before != content:
                fd, tmp = tempfile.mkstemp(prefix='.iffpar-', dir=p['path'])
                with os.fdopen(fd, 'w') as handle:
                    handle.write(content)
                module.atomic_move(tmp, dest)
            for link in links:
                keygen.replace_link(p['path'], link, name)
            stale = [os.path.basename(t) for t in old_targets.values() if t and os.path.basename(t) != name]
            removed = keygen.remove_unreferenced(p['path'], stale)
            changed = module.set_fs_attributes_if_different(file_args, changed)
        elif os.path.exists(dest):
            changed = module.set_fs_attributes_if_different(file_args, changed)

        result = dict(changed=changed, autokey_group=group, fstamp=parsed['fstamp'], content=content,
                      dest=dest, links=links, removed=removed)
        if module._diff:
            result['diff'] = {
                'before': before + ''.join('%s -> %s\n' % (k, v) for k, v in old_targets.items() if v),
                'after': content + ''.join('%s -> %s\n' % (k, name) for k in links),
                'before_header': dest, 'after_header': dest,
            }
        module.exit_json(**result)
    except autokey.AutokeyError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg='cannot write IFF parameters in %s: %s' % (p['path'], exc),
                         exception=traceback.format_exc())


if __name__ == '__main__':
    main()
