# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared constants and helpers for the unit tests (fixtures: see fixtures/README.md)."""

from __future__ import annotations

import contextlib
import datetime
import glob
import grp
import importlib
import json
import os
import pwd
import shutil
import subprocess
import sys

import yaml

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

from ansible_collections.timesec.ntp.plugins.module_utils import autokey

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19: AnsibleModule reads basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')
PASSWORD = 'fixturepw'
FSTAMP = 4004684094          # filestamp of every fixture file
GROUP = 'fixgrp'
SERVER = 'fixhost'
CLIENT = 'fixclient'
RIPEMD = 'fixripemd'          # client set made with -c RSA-RIPEMD160 (its own filestamp)
KEYGEN_BIN = '/usr/sbin/ntp-keygen'

IFFKEY = 'ntpkey_IFFkey_fixgrp.%d' % FSTAMP
SERVER_HOST = 'ntpkey_RSAhost_fixhost.%d' % FSTAMP
SERVER_CERT = 'ntpkey_RSA-SHA256cert_fixhost.%d' % FSTAMP
CLIENT_HOST = 'ntpkey_RSAhost_fixclient.%d' % FSTAMP
CLIENT_CERT = 'ntpkey_RSA-MD5cert_fixclient.%d' % FSTAMP
KEYGEN_E_OUTPUT = os.path.join(FIXTURES, 'ntp-keygen-e_iffpar_fixgrp.out')

# hostname -> fixture directory
FIXTURE_SET = {SERVER: 'server', CLIENT: 'client', RIPEMD: 'ripemd'}


class ModuleExit(Exception):
    def __init__(self, result):
        super().__init__(result)
        self.result = result


class ModuleFail(ModuleExit):
    pass


def fixture_path(*parts):
    return os.path.join(FIXTURES, *parts)


def read_fixture(*parts):
    with open(fixture_path(*parts)) as handle:
        return handle.read()


def run_module(module, args, check_mode=False):
    """Run ``module.main()`` with ``args``; return the result dict (``failed`` set on fail_json).

    Needs the ``module_exits`` fixture.
    """
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        try:
            module.main()
        except ModuleExit as exc:
            return exc.result
    raise AssertionError('the module returned without exit_json/fail_json')


def install_keys(keysdir, hostname, group=GROUP, mode=0o640):
    """Put one fixture set into keysdir with the links ntp-keygen and ntp_keygen make."""
    os.makedirs(keysdir, exist_ok=True)
    names = {}
    for src in sorted(glob.glob(fixture_path(FIXTURE_SET[hostname], 'ntpkey_*'))):
        name = os.path.basename(src)
        shutil.copyfile(src, os.path.join(keysdir, name))
        os.chmod(os.path.join(keysdir, name), mode)
        kind = name.split('_')[1]
        role = 'iffkey' if kind == 'IFFkey' else 'host' if kind.endswith('host') else 'cert'
        names[role] = name
        os.symlink(name, os.path.join(keysdir, 'ntpkey_%s_%s' % (role, hostname)))
        if role == 'iffkey':
            os.symlink(name, os.path.join(keysdir, 'ntpkey_iffkey_%s' % group))
    return names


# "now" for the module (patch autokey.now_fstamp): one day and one hour after the fixtures were made,
# whatever the real date; DAYS_LEFT: whole days the server's fixture certificate then has left
NOW = FSTAMP + 86400 + 3600


def _days_left():
    pem = autokey.read_key_file(fixture_path('server', SERVER_CERT))['pem']
    return (autokey.certificate_info(pem)['not_after'] - autokey.ntp_to_datetime(NOW)) // datetime.timedelta(days=1)


DAYS_LEFT = _days_left()


def server_args(keysdir, **extra):
    """ntp_keygen arguments that fit the server fixture set (files owned by the test's own user)."""
    args = dict(path=keysdir, password=PASSWORD, hostname=SERVER, autokey_group=GROUP, trusted=True, iff=True,
                modulus=1024, identity_modulus=512, digest='RSA-SHA256', owner=pwd.getpwuid(os.getuid()).pw_name,
                group=grp.getgrgid(os.getgid()).gr_name, mode='0640')
    args.update(extra)
    return args


def group_key(fstamp=FSTAMP, group=GROUP):
    """The fixture group key's text, as another server of the group would hold it (its own filestamp)."""
    with open(fixture_path('server', IFFKEY)) as handle:
        text = handle.read()
    return text.replace('ntpkey_IFFkey_%s.%d' % (GROUP, FSTAMP), 'ntpkey_IFFkey_%s.%d' % (group, fstamp))


class FakeKeygen:
    """Stands in for ``AnsibleModule.run_command`` running ntp-keygen 4.2.8.

    Records every argv and writes into the given cwd what ntp-keygen would write there:
    the fixture files of the host named by ``-s`` (renamed to filestamp ``start + n``
    for the n-th generation, header included) and the ``ntpkey_<role>_<host>`` links.
    Like the real 4.2.8 tool (measured): with ``-H``, or without a host key in cwd, it makes
    a new host key; without ``-H`` but with a seeded ``ntpkey_host_<host>`` link, every file
    it writes carries that host key's filestamp instead of a fresh one.
    """

    def __init__(self, start=FSTAMP):
        self.start = start
        self.calls = []
        self.environ = []

    @property
    def argvs(self):
        return [list(call) for call in self.calls]

    def __call__(self, args, cwd=None, environ_update=None, **kwargs):
        self.calls.append(list(args))
        if list(args[1:]) == ['--help']:
            return 0, 'ntp-keygen (ntp) 4.2.8p15\n   -I no  id-key     generate IFF parameters\n' \
                      '   -e no  iffkey     write IFF client keys\n', ''
        self.environ.append(dict(environ_update or {}))
        fstamp = self.start + len(self.environ) - 1
        host = args[args.index('-s') + 1]
        src_dir = fixture_path(FIXTURE_SET[host])

        def emit(pattern, role):
            src = glob.glob(os.path.join(src_dir, pattern))[0]
            with open(src) as handle:
                text = handle.read().replace(str(FSTAMP), str(fstamp))
            name = os.path.basename(src).replace(str(FSTAMP), str(fstamp))
            with open(os.path.join(cwd, name), 'w') as handle:
                handle.write(text)
            link = os.path.join(cwd, 'ntpkey_%s_%s' % (role, host))
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(name, link)

        seeded = os.path.join(cwd, 'ntpkey_host_%s' % host)
        if '-H' in args or not os.path.islink(seeded):
            emit('ntpkey_RSAhost_*', 'host')
        else:
            fstamp = int(os.readlink(seeded).rsplit('.', 1)[1])
        if '-I' in args:
            emit('ntpkey_IFFkey_*', 'iffkey')
        emit('ntpkey_*cert_*', 'cert')
        return 0, 'Generating new cert file and link\n', ''


def refuse_run_command(args, **kwargs):
    raise AssertionError('run_command must not be called, got %r' % (args,))


def plugin_options(documentation):
    """A plugin's options as ansible-doc shows them: its own plus those of the timesec.ntp doc
    fragments it extends (the unit tests configure plugins without Ansible's loader)."""
    doc = yaml.safe_load(documentation)
    options = {}
    for fragment in doc.get('extends_documentation_fragment', []):
        namespace, collection, name = fragment.split('.')[:3]
        module = importlib.import_module('ansible_collections.%s.%s.plugins.doc_fragments.%s' % (namespace, collection, name))
        options.update(yaml.safe_load(module.ModuleDocFragment.DOCUMENTATION)['options'])
    options.update(doc['options'])
    return options


def render_roles(jobs):
    """Run tests/unit/role_render.py (Ansible's Templar on the roles' own files) on ``jobs`` in its own process, so
    that Ansible's collection loader stays out of pytest; its results, one per job."""
    import ansible_collections
    parent = os.path.dirname(list(ansible_collections.__path__)[0])
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'role_render.py')
    run = subprocess.run([sys.executable, script, parent], input=json.dumps(jobs), capture_output=True, text=True,
                         check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout)
