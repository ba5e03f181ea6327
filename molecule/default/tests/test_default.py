"""The default scenario: every client reaches sys.peer with auth ok, authenticated by IFF."""

import pytest

from ntpcheck import wait_authenticated

KEYSDIR = '/etc/ntp'


def is_client(host):
    return 'client' in host.backend.get_hostname()


def test_ntpd_running_and_enabled(host):
    service = host.service('ntp')
    assert service.is_running
    assert service.is_enabled


def test_ntp_conf_protected(host):
    conf = host.file('/etc/ntp.conf')
    assert conf.mode == 0o640
    assert conf.user == 'root'
    assert conf.group == 'ntp'
    assert 'crypto pw ' in conf.content_string


def test_keys_protected(host):
    keysdir = host.file(KEYSDIR)
    assert keysdir.mode == 0o750 and keysdir.user == 'root' and keysdir.group == 'ntp'
    secret = [name for name in keysdir.listdir() if name.startswith(('ntpkey_RSAhost_', 'ntpkey_IFFkey_'))]
    assert secret, 'no private key files in %s' % KEYSDIR
    for name in secret:
        key = host.file('%s/%s' % (KEYSDIR, name))
        assert key.mode & 0o037 == 0, '%s is group-writable or world-accessible' % name
        assert key.user == 'root' and key.group == 'ntp'
        assert 'ENCRYPTED PRIVATE KEY' in key.content_string


def test_server_holds_iff_group_key(host):
    if is_client(host):
        pytest.skip('server only')
    assert host.file(KEYSDIR + '/ntpkey_iffkey_tsn-default-server').is_symlink
    rv = host.check_output('ntpq -n -c "rv 0 flags,cert"')
    assert 'tsn-default-server@tsn-default-server' in rv


def test_client_conf_uses_ident(host):
    if not is_client(host):
        pytest.skip('client only')
    conf = host.file('/etc/ntp.conf').content_string
    assert 'server tsn-default-server iburst autokey ident tsn-default-server' in conf
    params = host.file(KEYSDIR + '/ntpkey_iffpar_tsn-default-server')
    assert params.is_symlink
    assert params.content_string.startswith('# ntpkey_iffpar_tsn-default-server.')
    assert 'BEGIN DSA PRIVATE KEY' in params.content_string


def test_client_authenticated_by_iff(host):
    if not is_client(host):
        pytest.skip('client only')
    state = wait_authenticated(host, timeout=120)
    assert state['authenticated'], 'no IFF-authenticated system peer within 120 s: %r' % state
    peer = state['peer']
    assert peer['auth'] == 'ok'
    assert peer['identity'] == 'iff'
    assert peer['ident'] == 'tsn-default-server'
    assert peer['host'] == 'tsn-default-server@tsn-default-server'
    assert {'CERT', 'VRFY', 'IFF', 'PROV'} <= set(peer['flags']['names'])


def test_client_log_has_no_identity_failure(host):
    if not is_client(host):
        pytest.skip('client only')
    log = host.check_output('journalctl -u ntp --no-pager -o cat')
    assert 'Listen normally' in log, 'ntpd log not readable, so this check would prove nothing'
    assert 'identity not verified' not in log
    assert 'invalid filestamp' not in log   # parameters of another IFF key than the server's
