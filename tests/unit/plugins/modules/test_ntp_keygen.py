# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_keygen module with a fake ntp-keygen that writes the real 4.2.8 fixture files."""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import autokey
from ansible_collections.timesec.ntp.plugins.modules import ntp_keygen
from ansible_collections.timesec.ntp.tests.unit.utils import (
    CLIENT, CLIENT_CERT, CLIENT_HOST, DAYS_LEFT, FSTAMP, GROUP, IFFKEY, KEYGEN_BIN, NOW, PASSWORD, RIPEMD, SERVER,
    SERVER_CERT, SERVER_HOST, FakeKeygen, group_key, install_keys, read_fixture, refuse_run_command, run_module,
    server_args,
)

SERVER_ARGV = [KEYGEN_BIN, '-H', '-T', '-s', SERVER, '-i', GROUP, '-l', '365', '-c', 'RSA-SHA256', '-m', '1024']
# the IFF group key comes from a run of its own in an empty directory, for a fresh filestamp
IFF_ARGV = [KEYGEN_BIN, '-I', '-s', SERVER, '-i', GROUP, '-c', 'RSA-SHA256', '-m', '1024', '-b', '512']
SERVER_LINKS = ['ntpkey_cert_fixhost', 'ntpkey_host_fixhost', 'ntpkey_iffkey_fixgrp', 'ntpkey_iffkey_fixhost']


@pytest.fixture(autouse=True)
def environment(monkeypatch, module_exits):
    monkeypatch.setattr(autokey, 'now_fstamp', lambda: NOW)
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, arg, required=False, opt_dirs=None: KEYGEN_BIN)


def use_keygen(monkeypatch, fake):
    monkeypatch.setattr(AnsibleModule, 'run_command', fake)
    return fake


@pytest.fixture
def keysdir(tmp_path):
    return str(tmp_path / 'keys')


def links_of(keysdir):
    return {name: os.readlink(os.path.join(keysdir, name))
            for name in os.listdir(keysdir) if os.path.islink(os.path.join(keysdir, name))}


def files_of(keysdir):
    return sorted(name for name in os.listdir(keysdir) if not os.path.islink(os.path.join(keysdir, name)))


def test_server_first_run_then_idempotent(monkeypatch, keysdir):
    fake = use_keygen(monkeypatch, FakeKeygen())
    result = run_module(ntp_keygen, server_args(keysdir))

    assert not result.get('failed'), result
    assert result['changed'] is True
    assert fake.argvs == [[KEYGEN_BIN, '--help'], SERVER_ARGV, IFF_ARGV]
    env = fake.environ[0]
    assert env['NTP_KEYGEN_PASSWORD'] == PASSWORD and env['LC_ALL'] == 'C'
    assert os.path.dirname(env['HOME']) == keysdir      # the private work directory, since removed
    assert fake.environ[1]['HOME'] == os.path.join(env['HOME'], 'iff')
    assert result['regenerated'] == ['host', 'cert', 'iffkey']

    # only the group key of the second run is kept; no work dir is left behind
    iffkey = IFFKEY.replace(str(FSTAMP), str(FSTAMP + 1))
    assert files_of(keysdir) == sorted([iffkey, SERVER_CERT, SERVER_HOST])
    assert links_of(keysdir) == {
        'ntpkey_host_fixhost': SERVER_HOST, 'ntpkey_cert_fixhost': SERVER_CERT,
        'ntpkey_iffkey_fixhost': iffkey, 'ntpkey_iffkey_fixgrp': iffkey}
    for name in files_of(keysdir):
        st = os.stat(os.path.join(keysdir, name))
        assert stat.S_IMODE(st.st_mode) == 0o640, name
        assert (st.st_uid, st.st_gid) == (os.getuid(), os.getgid())
    assert stat.S_IMODE(os.stat(keysdir).st_mode) == 0o750
    assert result['fstamp'] == {'host': FSTAMP, 'cert': FSTAMP, 'iffkey': FSTAMP + 1}
    assert result['certificate']['subject'] == 'fixhost@fixgrp' and result['certificate']['trusted'] is True
    assert sorted(result['links']) == SERVER_LINKS

    use_keygen(monkeypatch, refuse_run_command)
    again = run_module(ntp_keygen, server_args(keysdir))
    assert not again.get('failed'), again
    assert again['changed'] is False
    assert again['regenerated'] == [] and again['removed'] == []


def test_password_reaches_ntp_keygen_only_through_its_environment(monkeypatch, keysdir):
    """Every ntp-keygen run of a server's first converge (host key + certificate, then the group key)
    gets the password in NTP_KEYGEN_PASSWORD and nowhere in its argv (ps shows argv to everyone)."""
    password = 'Argv-Would-Show-Me-7q'
    fake = use_keygen(monkeypatch, FakeKeygen())
    result = run_module(ntp_keygen, server_args(keysdir, password=password))
    assert result['changed'] is True and not result.get('failed'), result
    runs = [argv for argv in fake.argvs if argv[1:] != ['--help']]
    assert len(runs) == 2 and len(fake.environ) == 2, fake.argvs   # the calls this test is about did happen
    for argv, env in zip(runs, fake.environ):
        assert not [arg for arg in argv if password in arg or arg in ('-p', '-q')], argv
        assert env['NTP_KEYGEN_PASSWORD'] == password


def test_client_first_run(monkeypatch, keysdir):
    fake = use_keygen(monkeypatch, FakeKeygen())
    args = dict(path=keysdir, password=PASSWORD, hostname=CLIENT, autokey_group=GROUP, modulus=512,
                digest='RSA-MD5', mode='0640')
    result = run_module(ntp_keygen, args)
    assert result['changed'] is True, result
    # no --help probe: that only guards -I
    assert fake.argvs == [[KEYGEN_BIN, '-H', '-s', CLIENT, '-i', GROUP, '-l', '365', '-c', 'RSA-MD5', '-m', '512']]
    assert links_of(keysdir) == {'ntpkey_host_fixclient': CLIENT_HOST, 'ntpkey_cert_fixclient': CLIENT_CERT}

    use_keygen(monkeypatch, refuse_run_command)
    assert run_module(ntp_keygen, args)['changed'] is False


def test_existing_fixture_keys_are_kept(monkeypatch, keysdir):
    install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir))
    assert result['changed'] is False, result


def test_ripemd160_keys_are_kept(monkeypatch, keysdir):
    install_keys(keysdir, RIPEMD)
    use_keygen(monkeypatch, refuse_run_command)
    args = dict(path=keysdir, password=PASSWORD, hostname=RIPEMD, autokey_group=GROUP, modulus=512,
                digest='RSA-RIPEMD160', regenerate='fail', mode='0640')
    result = run_module(ntp_keygen, args)
    assert not result.get('failed'), result
    assert result['changed'] is False


def test_check_mode_on_empty_dir(monkeypatch, tmp_path):
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(str(tmp_path)), check_mode=True)
    assert result['changed'] is True, result
    assert result['regenerated'] == ['host', 'cert', 'iffkey']
    assert os.listdir(str(tmp_path)) == []


def test_wrong_password_fails_without_leaking_it(monkeypatch, keysdir):
    install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir, password='Wrong-Secret-42'))
    assert result['failed'] is True
    assert 'password' in result['msg'] and 'regenerate=always' in result['msg']
    assert 'Wrong-Secret-42' not in json.dumps(result)
    assert files_of(keysdir) == sorted([IFFKEY, SERVER_CERT, SERVER_HOST])


def test_group_name_with_slash_fails_before_running(monkeypatch, keysdir):
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir, autokey_group='fix/grp'))
    assert result['failed'] is True
    assert 'autokey_group' in result['msg'] and "'/'" in result['msg']
    assert not os.path.exists(keysdir)


def test_regenerate_always_replaces_everything(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 1000))
    result = run_module(ntp_keygen, server_args(keysdir, regenerate='always'))
    assert result['changed'] is True, result
    assert fake.argvs == [[KEYGEN_BIN, '--help'], SERVER_ARGV, IFF_ARGV]
    new = {part: os.path.basename(path) for part, path in result['files'].items()}
    stamps = {'host': FSTAMP + 1000, 'cert': FSTAMP + 1000, 'iffkey': FSTAMP + 1001}
    assert new == {part: name.replace(str(FSTAMP), str(stamps[part])) for part, name in old.items()}
    assert sorted(result['removed']) == sorted(old.values())
    assert files_of(keysdir) == sorted(new.values())
    assert links_of(keysdir)['ntpkey_iffkey_fixgrp'] == new['iffkey']


def test_renew_before_days_renews_only_the_certificate(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    assert run_module(ntp_keygen, server_args(keysdir, renew_before_days=DAYS_LEFT))['changed'] is False

    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 1000))
    result = run_module(ntp_keygen, server_args(keysdir, renew_before_days=DAYS_LEFT + 1))
    assert result['changed'] is True, result
    assert fake.argvs == [[KEYGEN_BIN, '-T', '-s', SERVER, '-i', GROUP, '-l', '365', '-c', 'RSA-SHA256',
                           '-m', '1024']]
    assert result['regenerated'] == ['cert']
    # ntp-keygen stamps the new certificate with the host key's filestamp: same name, new file
    assert result['removed'] == []
    assert files_of(keysdir) == sorted(old.values())
    with open(os.path.join(keysdir, SERVER_CERT)) as handle:
        assert 'BEGIN CERTIFICATE' in handle.read()
    assert links_of(keysdir) == {
        'ntpkey_host_fixhost': old['host'], 'ntpkey_cert_fixhost': SERVER_CERT,
        'ntpkey_iffkey_fixhost': old['iffkey'], 'ntpkey_iffkey_fixgrp': old['iffkey']}


def test_missing_ntp_keygen(monkeypatch, keysdir):
    monkeypatch.setattr(AnsibleModule, 'get_bin_path', lambda self, arg, required=False, opt_dirs=None: None)
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir))
    assert result['failed'] is True
    assert 'ntp-keygen was not found' in result['msg'] and 'ntp 4.2.8' in result['msg']


def test_rotate_iffkey_keeps_host_key_and_certificate_links(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 1000))
    result = run_module(ntp_keygen, server_args(keysdir, rotate=['iffkey']))
    assert result['changed'] is True, result
    assert fake.argvs == [[KEYGEN_BIN, '--help'], IFF_ARGV]
    assert result['regenerated'] == ['iffkey']
    # a fresh filestamp (not the host key's), so the exported client parameters get a new name too
    new_iff = old['iffkey'].replace(str(FSTAMP), str(FSTAMP + 1000))
    assert result['fstamp'] == {'host': FSTAMP, 'cert': FSTAMP, 'iffkey': FSTAMP + 1000}
    assert result['removed'] == [old['iffkey']]
    assert files_of(keysdir) == sorted([old['host'], old['cert'], new_iff])
    assert links_of(keysdir) == {
        'ntpkey_host_fixhost': old['host'], 'ntpkey_cert_fixhost': old['cert'],
        'ntpkey_iffkey_fixhost': new_iff, 'ntpkey_iffkey_fixgrp': new_iff}


def test_rotate_host_brings_a_new_certificate_and_keeps_the_group_key(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 1000))
    result = run_module(ntp_keygen, server_args(keysdir, rotate=['host'], regenerate='never'))
    assert result['changed'] is True, result
    assert fake.argvs == [[KEYGEN_BIN, '-H', '-T', '-s', SERVER, '-i', GROUP, '-l', '365', '-c', 'RSA-SHA256',
                           '-m', '1024']]
    assert result['regenerated'] == ['host', 'cert']
    assert links_of(keysdir)['ntpkey_iffkey_fixgrp'] == old['iffkey']
    assert links_of(keysdir)['ntpkey_host_fixhost'] != old['host']


def test_rotate_iffkey_without_iff_fails_before_running(monkeypatch, keysdir):
    install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir, iff=False, rotate=['iffkey']))
    assert result['failed'] is True
    assert 'rotate=iffkey needs iff=true' in result['msg']


def test_renewal_and_rotation_in_one_run(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 1000))
    result = run_module(ntp_keygen, server_args(keysdir, rotate=['cert', 'iffkey']))
    assert result['changed'] is True, result
    assert fake.argvs == [[KEYGEN_BIN, '--help'],
                          [KEYGEN_BIN, '-T', '-s', SERVER, '-i', GROUP, '-l', '365', '-c', 'RSA-SHA256', '-m', '1024'],
                          IFF_ARGV]
    assert result['regenerated'] == ['cert', 'iffkey']
    assert result['fstamp'] == {'host': FSTAMP, 'cert': FSTAMP, 'iffkey': FSTAMP + 1001}
    assert result['removed'] == [old['iffkey']]


def test_renewal_window_not_below_lifetime_warns(monkeypatch, keysdir):
    install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    warnings = []
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning, *args, **kwargs: warnings.append(warning))
    result = run_module(ntp_keygen, server_args(keysdir, lifetime=2, renew_before_days=5))
    assert not result.get('failed'), result
    assert len(warnings) == 1
    assert 'renew_before_days (5) is not below lifetime (2): every run renews the certificate' in warnings[0]


def documented_returns():
    return yaml.safe_load(ntp_keygen.RETURN)


@pytest.mark.parametrize('installed', [False, True], ids=['empty-dir', 'renewal-due'])
def test_check_mode_result_matches_the_return_docs(monkeypatch, tmp_path, installed):
    """Every key the module returns is documented, every "returned: always" key is there, and the
    check-mode specifics the docs promise hold: links to files still to be made read "(new <part>)",
    and "certificate" describes only a certificate that exists before the run."""
    path = str(tmp_path)
    if installed:
        install_keys(path, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    args = server_args(path, renew_before_days=36500) if installed else server_args(path)
    result = run_module(ntp_keygen, args, check_mode=True)
    docs = documented_returns()
    own = set(result) - {'changed', 'failed', 'invocation', 'warnings', 'diff'}
    assert own <= set(docs), 'undocumented return values: %s' % sorted(own - set(docs))
    always = {name for name, doc in docs.items() if doc['returned'] == 'always'}
    assert always <= set(result), 'missing "returned: always" values: %s' % sorted(always - set(result))
    if installed:
        assert result['regenerated'] == ['cert']
        assert result['certificate']['subject'] == '%s@%s' % (SERVER, GROUP)
        assert result['links']['ntpkey_cert_%s' % SERVER] == '(new cert)'
        assert result['files']['cert'].startswith(path)
    else:
        assert 'certificate' not in result
        assert docs['certificate']['returned'] == 'when a certificate exists'
        assert any('V((new <part>))' in line for line in docs['links']['description'])
        assert set(result['links'].values()) == {'(new host)', '(new cert)', '(new iffkey)'}
        assert result['files'] == {} and result['fstamp'] == {}


# --- iffkey_content: the group key of another server of the group -----------------------------------

def test_copied_group_key_on_a_fresh_server_then_idempotent(monkeypatch, keysdir):
    fake = use_keygen(monkeypatch, FakeKeygen())
    result = run_module(ntp_keygen, server_args(keysdir, iffkey_content=group_key(FSTAMP + 7)))
    assert not result.get('failed'), result
    # host key and certificate made here; the group key is not made (no -I run, no --help probe)
    assert fake.argvs == [SERVER_ARGV]
    assert result['regenerated'] == ['host', 'cert']
    assert result['iffkey_copied'] is True and result['iffkey_replaced'] is None
    copied = IFFKEY.replace(str(FSTAMP), str(FSTAMP + 7))
    assert files_of(keysdir) == sorted([copied, SERVER_CERT, SERVER_HOST])
    assert links_of(keysdir)['ntpkey_iffkey_fixgrp'] == copied == links_of(keysdir)['ntpkey_iffkey_fixhost']
    with open(os.path.join(keysdir, copied)) as handle:
        assert handle.read() == group_key(FSTAMP + 7)   # byte for byte: the same exported parameters
    assert stat.S_IMODE(os.stat(os.path.join(keysdir, copied)).st_mode) == 0o640
    assert result['fstamp']['iffkey'] == FSTAMP + 7

    use_keygen(monkeypatch, refuse_run_command)
    again = run_module(ntp_keygen, server_args(keysdir, iffkey_content=group_key(FSTAMP + 7)))
    assert again['changed'] is False, again
    assert again['iffkey_copied'] is False
    # the same, and with regenerate=always the group key is still the copied one
    fake = use_keygen(monkeypatch, FakeKeygen(start=FSTAMP + 50))
    always = run_module(ntp_keygen, server_args(keysdir, iffkey_content=group_key(FSTAMP + 7), regenerate='always'))
    assert always['regenerated'] == ['host', 'cert'] and always['iffkey_copied'] is False
    assert links_of(keysdir)['ntpkey_iffkey_fixgrp'] == copied


def test_a_different_own_group_key_is_replaced(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    result = run_module(ntp_keygen, server_args(keysdir, iffkey_content=group_key(FSTAMP + 9)))
    assert not result.get('failed'), result
    assert result['changed'] is True and result['iffkey_copied'] is True
    assert result['iffkey_replaced'] == old['iffkey'] and result['removed'] == [old['iffkey']]
    new = IFFKEY.replace(str(FSTAMP), str(FSTAMP + 9))
    assert files_of(keysdir) == sorted([old['host'], old['cert'], new])
    assert links_of(keysdir) == {
        'ntpkey_host_fixhost': old['host'], 'ntpkey_cert_fixhost': old['cert'],
        'ntpkey_iffkey_fixhost': new, 'ntpkey_iffkey_fixgrp': new}


def test_copied_group_key_in_check_mode_changes_nothing(monkeypatch, keysdir):
    old = install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    before = (files_of(keysdir), links_of(keysdir))
    result = run_module(ntp_keygen, server_args(keysdir, iffkey_content=group_key(FSTAMP + 9)), check_mode=True)
    assert result['changed'] is True and result['iffkey_copied'] is True
    assert result['iffkey_replaced'] == old['iffkey']
    assert result['links']['ntpkey_iffkey_fixgrp'] == IFFKEY.replace(str(FSTAMP), str(FSTAMP + 9))
    assert (files_of(keysdir), links_of(keysdir)) == before


# (id, extra module arguments, words of the message) - each fails before anything changes
COPY_REFUSALS = [
    ('another password', dict(password='Other-Secret-8'), ['does not decrypt with this host', 'same password']),
    ('another group', dict(iffkey_content=group_key(group='othergrp')), ['IFF group is othergrp, expected fixgrp']),
    ('another modulus', dict(identity_modulus=1024), ['IFF modulus has 512 bits, identity_modulus is 1024']),
    ('not a group key', dict(iffkey_content=read_fixture('server', SERVER_HOST)), ['not an IFF group key file']),
    ('with rotate=iffkey', dict(rotate=['iffkey']), ['rotate=iffkey and iffkey_content exclude each other']),
    ('without iff', dict(iff=False), ['iffkey_content needs iff=true']),
]


@pytest.mark.parametrize('extra, words', [c[1:] for c in COPY_REFUSALS], ids=[c[0] for c in COPY_REFUSALS])
def test_copied_group_key_refusals(monkeypatch, keysdir, extra, words):
    install_keys(keysdir, SERVER)
    use_keygen(monkeypatch, refuse_run_command)
    before = (files_of(keysdir), links_of(keysdir))
    args = server_args(keysdir, iffkey_content=group_key(FSTAMP + 9))
    args.update(extra)
    if 'password' in extra:  # the host's own keys must not be the reason: they are not read
        args['regenerate'] = 'always'
    result = run_module(ntp_keygen, args)
    assert result.get('failed') is True, result
    for word in words:
        assert word in result['msg']
    assert 'Other-Secret-8' not in json.dumps(result) and PASSWORD not in json.dumps(result)
    assert (files_of(keysdir), links_of(keysdir)) == before
