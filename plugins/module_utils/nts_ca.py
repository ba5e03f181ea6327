# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The private NTS CA on the controller (action plugin ntp_nts_ca): its options, the module steps it runs
under one lock, and the lock (issue 26, item 9).

The CA's key and certificate and a server's key and certificate are made by community.crypto modules, one
after the other; two ansible-playbook runs (or two forks of one) doing that at once could pair a CA
certificate with another run's CA key, or a server certificate with another run's server key. The action
holds an exclusive flock on ``<ca_dir>/.lock`` for the whole sequence: the lock is the kernel's, so it
serialises separate processes and is released when the holder exits, however it ends.
"""

from __future__ import annotations

import errno
import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - POSIX only
    fcntl = None

LOCK_FILE = '.lock'

ARGUMENT_SPEC = dict(
    ca_dir=dict(type='path', required=True),
    name=dict(type='str', required=True),
    common_name=dict(type='str', required=True),
    subject_alt_name=dict(type='list', elements='str', required=True),
    ca_subject=dict(type='str', default='timesec.ntp NTS CA'),
    lifetime=dict(type='int', default=365),
    renew_before_days=dict(type='int', default=30),
    lock_timeout=dict(type='int', default=600),
)


class LockTimeout(Exception):
    pass


class DirLock(object):
    """An exclusive flock on ``<directory>/.lock`` (created 0600), waited for at most ``timeout`` seconds."""

    def __init__(self, directory, timeout=600, interval=0.1):
        self.path = os.path.join(directory, LOCK_FILE)
        self.timeout, self.interval, self.fd = timeout, interval, None

    def __enter__(self):
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if fcntl is None:
            return self
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self.fd)
                self.fd = None
                raise LockTimeout('%s is held by another run for more than %d s' % (self.path, self.timeout))
            time.sleep(self.interval)

    def __exit__(self, *exc):
        if self.fd is not None:
            if fcntl is not None:
                fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
        return False


def steps(args):
    """The module calls, in order: (key, module, module_args, run_when) where run_when(results) says whether the
    step runs given the results so far (in check mode, a key that would be made first cannot sign yet)."""
    ca_dir, server_dir = args['ca_dir'], os.path.join(args['ca_dir'], args['name'])
    ca_key, ca_cert = os.path.join(ca_dir, 'ca-key.pem'), os.path.join(ca_dir, 'ca.pem')
    key, cert = os.path.join(server_dir, 'key.pem'), os.path.join(server_dir, 'cert.pem')
    return [
        ('ca_key', 'community.crypto.openssl_privatekey',
         dict(path=ca_key, type='ECC', curve='secp256r1', mode='0600')),
        ('ca_csr', 'community.crypto.openssl_csr_pipe',
         dict(privatekey_path=ca_key, common_name=args['ca_subject'], basic_constraints=['CA:TRUE'],
              basic_constraints_critical=True, key_usage=['keyCertSign', 'cRLSign'], key_usage_critical=True,
              use_common_name_for_san=False)),
        ('ca_cert', 'community.crypto.x509_certificate',
         dict(path=ca_cert, privatekey_path=ca_key, provider='selfsigned', selfsigned_not_after='+3650d', mode='0644')),
        ('key', 'community.crypto.openssl_privatekey',
         dict(path=key, type='ECC', curve='secp256r1', format='pkcs8', mode='0600')),
        ('csr', 'community.crypto.openssl_csr_pipe',
         dict(privatekey_path=key, common_name=args['common_name'], subject_alt_name=args['subject_alt_name'],
              basic_constraints=['CA:FALSE'], basic_constraints_critical=True, key_usage=['digitalSignature'],
              key_usage_critical=True, extended_key_usage=['serverAuth'], use_common_name_for_san=False)),
        ('cert_info', 'community.crypto.x509_certificate_info',
         dict(path=cert, valid_at={'renewal': '+%dd' % args['renew_before_days']})),
        ('cert', 'community.crypto.x509_certificate',
         dict(path=cert, provider='ownca', ownca_path=ca_cert, ownca_privatekey_path=ca_key,
              ownca_not_after='+%dd' % args['lifetime'], mode='0644')),
    ]
