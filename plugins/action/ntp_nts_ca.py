# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of timesec.ntp.ntp_nts_ca: the CA's and one server's community.crypto steps under one flock
on the controller (plugins/module_utils/nts_ca.py)."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.timesec.ntp.plugins.module_utils import nts_ca


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ''


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(nts_ca.ARGUMENT_SPEC)

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _validation, args = self.validate_argument_spec(argument_spec=nts_ca.ARGUMENT_SPEC)
        args['ca_dir'] = os.path.expanduser(args['ca_dir'])
        if getattr(self._connection, 'transport', 'local') != 'local':
            result.update(failed=True, msg='ntp_nts_ca works on the controller: delegate the task to localhost')
            return result
        check = bool(self._task.check_mode)
        results = {}
        lock = nts_ca.DirLock(args['ca_dir'], args['lock_timeout'])
        # in check mode a missing CA directory is not created (nothing to lock: nothing is written)
        locked = os.path.isdir(args['ca_dir']) or not check
        try:
            if locked:
                lock.__enter__()
            for key, module, module_args in nts_ca.steps(args):
                if key in ('ca_csr', 'ca_cert') and check and results['ca_key'].get('changed'):
                    continue
                if key in ('csr', 'cert_info', 'cert') and check and (results['ca_key'].get('changed')
                                                                      or results['key'].get('changed')):
                    continue
                if key == 'ca_cert':
                    module_args['csr_content'] = results['ca_csr']['csr']
                if key == 'cert':
                    module_args['csr_content'] = results['csr']['csr']
                    info = results.get('cert_info') or {}
                    renewal = (info.get('valid_at') or {}).get('renewal')
                    module_args['force'] = renewal is not None and not renewal
                step = self._step(module, module_args, task_vars, real=key in ('ca_csr', 'csr'))
                results[key] = step
                # x509_certificate_info fails for a certificate that is not there yet: that is not a failure
                if step.get('failed') and key != 'cert_info':
                    result.update(failed=True, msg='%s (%s): %s' % (key, module, step.get('msg', 'failed')))
                    return result
            # read back under the lock: the role installs exactly these (a concurrent run may sign again right after)
            result['ca_certificate'] = _read(os.path.join(args['ca_dir'], 'ca.pem'))
            result['certificate'] = _read(os.path.join(args['ca_dir'], args['name'], 'cert.pem'))
        except nts_ca.LockTimeout as exc:
            result.update(failed=True, msg='%s: wait for the other run, or remove the lock file if no such run exists'
                          % exc)
            return result
        except OSError as exc:
            result.update(failed=True, msg='cannot lock %s: %s' % (lock.path, exc))
            return result
        finally:
            if locked:
                lock.__exit__(None, None, None)
        changed = {name: bool(results.get(step, {}).get('changed'))
                   for name, step in (('ca_key_changed', 'ca_key'), ('ca_changed', 'ca_cert'),
                                      ('key_changed', 'key'), ('cert_changed', 'cert'))}
        result.update(changed=any(changed.values()), **changed)
        return result

    def _step(self, module, module_args, task_vars, real=False):
        """Run one module where the task runs. ``real``: also in check mode (a signing request changes nothing; older
        community.crypto releases return none in check mode)."""
        check = self._task.check_mode
        if real:
            self._task.check_mode = False
        try:
            return self._execute_module(module_name=module, module_args=module_args, task_vars=task_vars)
        finally:
            self._task.check_mode = check
