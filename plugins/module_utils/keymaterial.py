# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Autokey key material of one host: the engine behind the ntp_keygen module.

Shaped like community.crypto's module backends: the module builds a ``KeyMaterial`` from its
AnsibleModule, asks it for a ``KeyPlan`` with ``plan()`` (reads the keys directory, changes
nothing: the regenerate ladder, the incoming group key, an expiring certificate, the links, the
files' attributes), and, unless in check mode, hands that plan to ``apply()`` (ntp-keygen in a
private work directory inside the keys directory, atomic moves, links, cleanup). Check mode uses
the plan alone (``result(plan)``).

File formats are autokey.py; the ntp-keygen process (argv, environment, links) is keygen.py.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile

from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keygen

PARTS = ('host', 'cert', 'iffkey')


def check_options(params):
    """Refuse option values that cannot work, before anything is read; returns warnings."""
    p = params
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
        return ['renew_before_days (%d) is not below lifetime (%d): every run renews the certificate '
                '(and restarts ntpd). Fine for one run that forces a renewal; lower it for good.'
                % (p['renew_before_days'], p['lifetime'])]
    return []


def format_links(links):
    return ''.join('%s -> %s\n' % (name, target) for name, target in sorted(links.items()))


@contextlib.contextmanager
def _asking_only(module):
    """AnsibleModule has no read-only attribute comparison, but its set_*_if_different methods
    return True without changing anything in check mode: the plan asks them that way."""
    saved = module.check_mode
    module.check_mode = True
    try:
        yield
    finally:
        module.check_mode = saved


class KeyPlan:
    """What one run would change, computed without touching the host.

    regenerate: the parts ntp-keygen would make, in PARTS order; iffkey_copy: whether the group key
    from iffkey_content would be installed, iffkey_replaced: the file name of the group key it would
    supersede; links_before: the links as they are; links: as they would be (a part still to be
    made reads "(new <part>)"); attributes: whether a kept file's owner, group or mode would change.
    """

    FIELDS = ('regenerate', 'iffkey_copy', 'iffkey_replaced', 'links_before', 'links', 'attributes')

    def __init__(self, regenerate, iffkey_copy, iffkey_replaced, links_before, links, attributes):
        self.regenerate = regenerate
        self.iffkey_copy = iffkey_copy
        self.iffkey_replaced = iffkey_replaced
        self.links_before = links_before
        self.links = links
        self.attributes = attributes

    @property
    def changed(self):
        return bool(self.regenerate) or self.iffkey_copy or self.links != self.links_before or self.attributes

    def as_dict(self):
        out = dict((name, getattr(self, name)) for name in self.FIELDS)
        out['changed'] = self.changed
        return out


class KeyMaterial:
    def __init__(self, module):
        p = module.params
        for warning in check_options(p):
            module.warn(warning)
        self.module = module
        self.path = p['path']
        self.password = p['password']
        self.hostname = p['hostname'] or socket.gethostname()
        self.group = p['autokey_group']
        self.subject = self.hostname + ('@' + self.group if self.group else '')
        self.parts = PARTS if p['iff'] else PARTS[:2]
        self.current = {}   # part -> read_key_file info (+ 'key' / 'cert')
        self.incoming = None  # the group key from iffkey_content (parse_key_text info + 'text')
        self.problems = {}  # part -> list of reasons it does not match the options
        self._plan = None   # the last plan(), the only one apply() takes (it rests on self.current)

    # -- plan: reads the keys directory, changes nothing ---------------------------------------------

    def plan(self):
        self.current, self.incoming, self.problems = {}, None, {}
        self._inspect()
        todo = self._regenerate()
        links_before = self._existing_links()
        copy = self._incoming_differs()
        replaced = os.path.basename(self.current['iffkey']['path']) if copy and 'iffkey' in self.current else None
        with _asking_only(self.module):
            attributes = self._set_attributes()
        self._plan = KeyPlan(todo, copy, replaced, links_before, self._desired_links(todo), attributes)
        return self._plan

    def _link(self, part):
        return keygen.link_names(part, self.hostname, self.group)[-1 if part == 'iffkey' else 0]

    def _inspect(self):
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

    def _incoming_differs(self):
        """Whether the group key from iffkey_content is not yet this host's (file name or text differ)."""
        if self.incoming is None:
            return False
        current = self.current.get('iffkey')
        if current is None or os.path.basename(current['path']) != self.incoming['file']:
            return True
        with open(current['path'], 'r') as handle:
            return handle.read() != self.incoming['text']

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

    def _cert_expiring(self):
        cert = self.current.get('cert', {}).get('cert')
        if cert is None:
            return False
        limit = autokey.ntp_to_datetime(autokey.now_fstamp() + 86400 * self.module.params['renew_before_days'])
        return cert['not_after'] <= limit

    def _regenerate(self):
        """The regenerate ladder: the parts to make, from what exists, what does not match, the
        renewal window and rotate."""
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
        if mode != 'never' and self._cert_expiring():
            todo.add('cert')
        todo.update(self.module.params['rotate'])
        if 'host' in todo:
            todo.add('cert')
        if self.incoming is not None:
            todo.discard('iffkey')  # installed from iffkey_content instead (_install_incoming)
        return [part for part in self.parts if part in todo]

    def _desired_links(self, todo=()):
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

    def _existing_links(self):
        links = {}
        for part in self.parts:
            for link in keygen.link_names(part, self.hostname, self.group):
                path = os.path.join(self.path, link)
                if os.path.islink(path):
                    links[link] = os.readlink(path)
                elif os.path.lexists(path):
                    links[link] = '(not a link)'
        return links

    # -- apply: carries out a plan --------------------------------------------------------------------

    def apply(self, plan):
        """Make what ``plan`` says, then point the links at it; returns the module's result."""
        if plan is not self._plan:
            raise ValueError('apply() takes the plan this KeyMaterial made last')
        changed = bool(plan.regenerate) or plan.iffkey_copy
        removed = []
        if plan.regenerate:
            removed = [name for name in self._generate(plan.regenerate).values() if name]
        if plan.iffkey_copy:
            removed += [name for name in [self._install_incoming()] if name]
        for link, target in self._desired_links().items():
            changed |= keygen.replace_link(self.path, link, target)
        removed = keygen.remove_unreferenced(self.path, removed)
        changed |= self._set_attributes()
        return self.result(plan, changed=changed, removed=removed, links=self._existing_links())

    def _generate(self, todo):
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

    def _install_incoming(self):
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

    def _set_attributes(self):
        """Owner, group and mode of the files in use (only asks, inside _asking_only)."""
        changed = False
        for info in self.current.values():
            changed |= self.module.set_fs_attributes_if_different(self._file_args(info['path']), False)
        return changed

    def _file_args(self, path, default_mode=0o600):
        args = self.module.load_file_common_arguments(self.module.params, path=path)
        if args.get('mode') is None:
            args['mode'] = default_mode
        return args

    # -- the module's return values -------------------------------------------------------------------

    def result(self, plan, changed=None, removed=None, links=None):
        """The return values: of the plan alone (check mode), or with what apply() did."""
        out = dict(changed=plan.changed if changed is None else changed, regenerated=plan.regenerate,
                   removed=removed or [], iffkey_copied=plan.iffkey_copy, iffkey_replaced=plan.iffkey_replaced,
                   links=plan.links if links is None else links, files={}, fstamp={})
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
        if self.module._diff:
            out['diff'] = {'before': format_links(plan.links_before), 'after': format_links(out['links']),
                           'before_header': self.path, 'after_header': self.path}
        return out
