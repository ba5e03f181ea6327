# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan step of the key engine (module_utils/keymaterial.py), table-driven: a keys directory and
module arguments in, the expected KeyPlan out. Every case also proves that planning leaves the
directory exactly as it was (names, link targets, bytes, modes, owners, times) and runs no process,
even with the module out of check mode."""

from __future__ import annotations

import os

import pytest

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keymaterial
from ansible_collections.timesec.ntp.plugins.modules import ntp_keygen
from ansible_collections.timesec.ntp.tests.unit.utils import (
    CLIENT, CLIENT_CERT, CLIENT_HOST, DAYS_LEFT, FSTAMP, IFFKEY, NOW, SERVER, SERVER_CERT, SERVER_HOST,
    group_key, install_keys, patch_module_args, read_fixture, refuse_run_command, run_module, server_args,
)

NEW_IFFKEY = IFFKEY.replace(str(FSTAMP), str(FSTAMP + 9))   # the group key another server of the group made


@pytest.fixture(autouse=True)
def environment(monkeypatch, module_exits):
    monkeypatch.setattr(autokey, 'now_fstamp', lambda: NOW)
    monkeypatch.setattr(AnsibleModule, 'run_command', refuse_run_command)


def server_links(host=SERVER_HOST, cert=SERVER_CERT, iffkey=IFFKEY):
    links = {'ntpkey_host_fixhost': host, 'ntpkey_cert_fixhost': cert}
    if iffkey:
        links.update({'ntpkey_iffkey_fixhost': iffkey, 'ntpkey_iffkey_fixgrp': iffkey})
    return links


def client_links(host=CLIENT_HOST, cert=CLIENT_CERT):
    return {'ntpkey_host_fixclient': host, 'ntpkey_cert_fixclient': cert}


PARTS = ['host', 'cert', 'iffkey']
NEW = server_links('(new host)', '(new cert)', '(new iffkey)')
KEPT = server_links()


# keys directory set-ups
def absent(keysdir):
    pass


def server(keysdir):
    install_keys(keysdir, SERVER)


def server_0600(keysdir):
    install_keys(keysdir, SERVER, mode=0o600)


def server_without_iffkey(keysdir):
    install_keys(keysdir, SERVER)
    for name in ('ntpkey_iffkey_fixhost', 'ntpkey_iffkey_fixgrp', IFFKEY):
        os.unlink(os.path.join(keysdir, name))


def client(keysdir):
    install_keys(keysdir, CLIENT)


def plan(regenerate=(), links=None, before=None, copy=False, replaced=None, attributes=False):
    """The expected KeyPlan (as_dict); links default to the directory's links kept as they are."""
    before = KEPT if before is None else before
    links = before if links is None else links
    return dict(regenerate=list(regenerate), iffkey_copy=copy, iffkey_replaced=replaced, links_before=before,
                links=links, attributes=attributes,
                changed=bool(regenerate) or copy or links != before or attributes)


EXPIRING = DAYS_LEFT + 1   # renew_before_days that makes the fixture certificate due; DAYS_LEFT does not

# (id, set-up, arguments besides server_args (client=True: a client's instead), expected plan)
CASES = [
    # a fresh host: missing files are made in every regenerate mode
    ('fresh partial_idempotence', absent, {}, plan(PARTS, NEW, {})),
    ('fresh never', absent, dict(regenerate='never'), plan(PARTS, NEW, {})),
    ('fresh fail', absent, dict(regenerate='fail'), plan(PARTS, NEW, {})),
    ('fresh client', absent, dict(client=True), plan(['host', 'cert'], client_links('(new host)', '(new cert)'), {})),
    # keys that match the options: the ladder
    ('kept never', server, dict(regenerate='never'), plan()),
    ('kept fail', server, dict(regenerate='fail'), plan()),
    ('kept partial_idempotence', server, {}, plan()),
    ('kept always', server, dict(regenerate='always'), plan(PARTS, NEW)),
    ('kept client', client, dict(client=True), plan(before=client_links())),
    # a host key of another size (the fixture's is 1024 bits): the certificate follows the host key
    ('modulus never', server, dict(modulus=2048, regenerate='never'), plan()),
    ('modulus partial_idempotence', server, dict(modulus=2048),
     plan(['host', 'cert'], server_links('(new host)', '(new cert)'))),
    ('modulus always', server, dict(modulus=2048, regenerate='always'), plan(PARTS, NEW)),
    # a certificate of another digest: only the certificate
    ('digest never', server, dict(digest='RSA-SHA1', regenerate='never'), plan()),
    ('digest partial_idempotence', server, dict(digest='RSA-SHA1'), plan(['cert'], server_links(cert='(new cert)'))),
    # an expiring certificate: renewed unless regenerate=never; the window's edge is exact
    ('expiring partial_idempotence', server, dict(renew_before_days=EXPIRING),
     plan(['cert'], server_links(cert='(new cert)'))),
    ('expiring fail', server, dict(renew_before_days=EXPIRING, regenerate='fail'),
     plan(['cert'], server_links(cert='(new cert)'))),
    ('expiring never', server, dict(renew_before_days=EXPIRING, regenerate='never'), plan()),
    ('not yet expiring', server, dict(renew_before_days=DAYS_LEFT), plan()),
    # rotate works in every mode, never included; a new host key brings a new certificate
    ('rotate host never', server, dict(rotate=['host'], regenerate='never'),
     plan(['host', 'cert'], server_links('(new host)', '(new cert)'))),
    ('rotate iffkey', server, dict(rotate=['iffkey']), plan(['iffkey'], server_links(iffkey='(new iffkey)'))),
    # one part missing: only that part
    ('iffkey missing', server_without_iffkey, {},
     plan(['iffkey'], server_links(iffkey='(new iffkey)'), server_links(iffkey=None))),
    # the group key of another server (iffkey_content): installed when it differs, never made here
    ('incoming differs', server, dict(iffkey_content=group_key(FSTAMP + 9)),
     plan(links=server_links(iffkey=NEW_IFFKEY), copy=True, replaced=IFFKEY)),
    ('incoming is ours', server, dict(iffkey_content=read_fixture('server', IFFKEY)), plan()),
    ('incoming always', server, dict(iffkey_content=group_key(FSTAMP + 9), regenerate='always'),
     plan(['host', 'cert'], server_links('(new host)', '(new cert)', NEW_IFFKEY), copy=True, replaced=IFFKEY)),
    ('incoming on a fresh host', absent, dict(iffkey_content=group_key(FSTAMP + 9)),
     plan(['host', 'cert'], server_links('(new host)', '(new cert)', NEW_IFFKEY), {}, copy=True)),
    # keys that the password does not open, with regenerate=always: everything anew
    ('wrong password always', server, dict(password='Other-Secret-8', regenerate='always'), plan(PARTS, NEW)),
    # only the files' mode differs
    ('mode differs', server_0600, {}, plan(attributes=True)),
]

# (id, set-up, arguments besides server_args, words of the error) - planning refuses, nothing changes
REFUSALS = [
    ('modulus fail', server, dict(modulus=2048, regenerate='fail'),
     ['do not match the options (host: host key has 1024 bits, modulus is 2048)', 'regenerate=partial_idempotence']),
    ('digest fail', server, dict(digest='RSA-SHA1', regenerate='fail'), ['cert: digest', 'expected RSA-SHA1']),
    ('wrong password', server, dict(password='Other-Secret-8'), ['password does not match', 'regenerate=always']),
    ('incoming of another group', server, dict(iffkey_content=group_key(group='othergrp')),
     ['IFF group is othergrp, expected fixgrp']),
    ('lifetime', absent, dict(lifetime=0), ['lifetime must be a positive number of days, got 0']),
]


def snapshot(keysdir):
    """Everything planning could disturb: entries (hidden ones too), link targets, bytes, mode, owner, times."""
    if not os.path.lexists(keysdir):
        return None
    state = {'.': os.lstat(keysdir)}
    for name in os.listdir(keysdir):
        path = os.path.join(keysdir, name)
        st = os.lstat(path)
        if os.path.islink(path):
            state[name] = ('link', os.readlink(path))
        else:
            with open(path, 'rb') as handle:
                state[name] = ('file', handle.read(), st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_ino)
    state['.'] = (state['.'].st_mode, state['.'].st_mtime_ns, state['.'].st_ino)
    return state


def engine(args, check_mode=False):
    args = dict(args)
    if check_mode:
        args['_ansible_check_mode'] = True
    with patch_module_args(args):
        module = AnsibleModule(argument_spec=ntp_keygen.ARGUMENT_SPEC, add_file_common_args=True,
                               supports_check_mode=True)
    return keymaterial.KeyMaterial(module)


def arguments(keysdir, extra):
    """server_args with ``extra``; ``client=True`` asks for the client fixture set's arguments instead."""
    extra = dict(extra)
    if extra.pop('client', False):
        extra.update(hostname=CLIENT, trusted=False, iff=False, modulus=512, digest='RSA-MD5')
    return server_args(keysdir, **extra)


@pytest.mark.parametrize('setup, extra, expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_plan(tmp_path, setup, extra, expected):
    keysdir = str(tmp_path / 'keys')
    setup(keysdir)
    before = snapshot(keysdir)
    keys = engine(arguments(keysdir, extra))
    assert keys.plan().as_dict() == expected
    assert snapshot(keysdir) == before
    assert keys.module.check_mode is False   # the attribute question leaves the module as it found it


@pytest.mark.parametrize('setup, extra, words', [c[1:] for c in REFUSALS], ids=[c[0] for c in REFUSALS])
def test_plan_refuses(tmp_path, setup, extra, words):
    keysdir = str(tmp_path / 'keys')
    setup(keysdir)
    before = snapshot(keysdir)
    with pytest.raises(autokey.AutokeyError) as failure:
        engine(server_args(keysdir, **extra)).plan()
    for word in words:
        assert word in str(failure.value)
    assert snapshot(keysdir) == before


@pytest.mark.parametrize('setup, extra, expected', [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_check_mode_is_the_plan_and_changes_nothing(tmp_path, setup, extra, expected):
    """The module in check mode returns the plan (changed, regenerated, links, the group key copy) and leaves
    the keys directory as it was."""
    keysdir = str(tmp_path / 'keys')
    setup(keysdir)
    before = snapshot(keysdir)
    result = run_module(ntp_keygen, arguments(keysdir, extra), check_mode=True)
    assert not result.get('failed'), result
    assert (result['changed'], result['regenerated'], result['links'], result['iffkey_copied'],
            result['iffkey_replaced'], result['removed']) == (
        expected['changed'], expected['regenerate'], expected['links'], expected['iffkey_copy'],
        expected['iffkey_replaced'], [])
    assert snapshot(keysdir) == before


def test_apply_takes_only_its_own_last_plan(tmp_path):
    keysdir = str(tmp_path / 'keys')
    install_keys(keysdir, SERVER)
    keys = engine(server_args(keysdir))
    stale = keys.plan()
    keys.plan()
    with pytest.raises(ValueError):
        keys.apply(stale)
    with pytest.raises(ValueError):
        engine(server_args(keysdir)).apply(stale)
