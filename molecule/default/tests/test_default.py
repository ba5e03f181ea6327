"""The default scenario: every client reaches sys.peer with auth ok, authenticated by IFF."""

import json
import shlex
import time

import pytest

from ntpcheck import secret_window, status, wait_authenticated

# client2 keeps its keys outside /etc/ntp (molecule.yml), which the AppArmor profile must then allow
KEYSDIRS = {'tsn-default-client2': '/etc/timesec-ntp/keys'}


def keysdir(host):
    return KEYSDIRS.get(host.backend.get_hostname(), '/etc/ntp')


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


def test_ntp_conf_never_readable_by_others(host):
    """The file that holds "crypto pw" had its final owner and mode (0640 root:ntp) before the
    password went in: no chmod or chown reached it after its last write (issue 14, item 6)."""
    late, events = secret_window(host, '/etc/ntp.conf')
    assert late == [], 'ntp.conf got its owner or mode only after the password was in it: %s' % json.dumps(events)


def ntpd_argv(host):
    pid = host.check_output('pidof -s ntpd')  # fails when no ntpd runs
    return host.check_output("tr '\\0' ' ' < /proc/%s/cmdline" % pid).split()


def test_ntpd_runs_our_configuration_only(host):
    """classic ntp: the role's drop-in runs ntpd on /etc/ntp.conf (never a DHCP hook's copy), with -g:
    the first authenticated sync may step the clock, and nothing else steps it (no ntpdate)."""
    argv = ntpd_argv(host)
    assert argv[argv.index('-c') + 1] == '/etc/ntp.conf', argv
    assert '-g' in argv, argv
    dropin = host.file('/etc/systemd/system/ntp.service.d/timesec-ntp.conf').content_string
    assert 'ExecStart=\nExecStart=/usr/sbin/ntpd -p /var/run/ntpd.pid -u ntp:ntp -c /etc/ntp.conf -g' in dropin
    assert not host.package('ntpdate').is_installed


def test_keys_protected(host):
    keys = host.file(keysdir(host))
    assert keys.mode == 0o750 and keys.user == 'root' and keys.group == 'ntp'
    secret = [name for name in keys.listdir() if name.startswith(('ntpkey_RSAhost_', 'ntpkey_IFFkey_'))]
    assert secret, 'no private key files in %s' % keysdir(host)
    for name in secret:
        key = host.file('%s/%s' % (keysdir(host), name))
        assert key.mode & 0o037 == 0, '%s is group-writable or world-accessible' % name
        assert key.user == 'root' and key.group == 'ntp'
        assert 'ENCRYPTED PRIVATE KEY' in key.content_string


def test_server_holds_iff_group_key(host):
    if is_client(host):
        pytest.skip('server only')
    assert host.file(keysdir(host) + '/ntpkey_iffkey_tsn-default-server').is_symlink
    rv = host.check_output('ntpq -n -c "rv 0 flags,cert"')
    assert 'tsn-default-server@tsn-default-server' in rv


def test_client_conf_uses_ident(host):
    if not is_client(host):
        pytest.skip('client only')
    conf = host.file('/etc/ntp.conf').content_string
    assert 'server tsn-default-server iburst autokey ident tsn-default-server' in conf
    params = host.file(keysdir(host) + '/ntpkey_iffpar_tsn-default-server')
    assert params.is_symlink
    assert params.content_string.startswith('# ntpkey_iffpar_tsn-default-server.')
    assert 'BEGIN DSA PRIVATE KEY' in params.content_string


def test_apparmor_allows_the_keys_directory(host):
    """Debian's ntpd profile reads keys under /etc/ntp only: a keysdir elsewhere gets read rules in the
    profile's local include, which apparmor_parser accepts (containers cannot load profiles, so the
    parser compiles it without loading: -Q). Keys back under /etc/ntp leave no rules (issue 14, item 8)."""
    local = host.file('/etc/apparmor.d/local/usr.sbin.ntpd')
    if keysdir(host) == '/etc/ntp':
        assert 'timesec.ntp' not in (local.content_string if local.exists else '')
        return
    assert '%s/ r,\n%s/** r,' % ((keysdir(host),) * 2) in local.content_string
    compiled = host.run('apparmor_parser -Q -K -T /etc/apparmor.d/usr.sbin.ntpd')
    assert compiled.rc == 0, compiled.stderr
    assert '%s/** r,' % keysdir(host) in host.check_output('apparmor_parser -p /etc/apparmor.d/usr.sbin.ntpd')
    conf = host.file('/etc/ntp.conf').content_string
    assert 'keysdir %s\n' % keysdir(host) in conf


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
    """Parameters that never verify (the seed's ``ntp-keygen -e`` file) log "identity not verified" at
    every poll, forever. Under load a client once logged it a single time during its first exchange (a
    retransmitted challenge crossing the server's answer) and verified the server right after: so the
    journal's last 30 s must come clean within a minute, and no filestamp may ever be refused."""
    if not is_client(host):
        pytest.skip('client only')
    log = host.check_output('journalctl -u ntp --no-pager -o cat')
    assert 'Listen normally' in log, 'ntpd log not readable, so this check would prove nothing'
    assert 'invalid filestamp' not in log   # parameters of another IFF key than the server's
    deadline = time.monotonic() + 60
    while True:
        recent = host.check_output('journalctl -u ntp --no-pager -o cat --since -30s')
        if 'identity not verified' not in recent:
            break
        assert time.monotonic() < deadline, 'ntpd keeps failing the IFF identity: %s' % recent[-1500:]
        time.sleep(5)


def test_dhcp_hook_cannot_replace_the_servers(host):
    """Debian 11's dhclient hook copies ntp.conf to /run/ntp.conf.dhcp with our server lines replaced by
    the offered ones, and the packaged start script prefers that copy. Run the hook as dhclient would
    (offering another host of this scenario, which serves no time), restart ntpd: it still runs
    /etc/ntp.conf, and the client authenticates its own server again (issue 14, item 2)."""
    if host.backend.get_hostname() != 'tsn-default-client2':
        pytest.skip('one client is enough; it is restarted')
    offered = host.check_output('getent ahostsv4 tsn-default-client1 | head -n 1 | cut -d" " -f1')
    hook = 'reason=BOUND new_ntp_servers=%s; . /etc/dhcp/dhclient-exit-hooks.d/ntp' % offered
    host.run('sh -c %s' % shlex.quote(hook))  # its own restart of ntpd may fail in a container: judged below
    dhcp = host.file('/run/ntp.conf.dhcp')
    assert dhcp.exists and 'server %s iburst' % offered in dhcp.content_string, 'the hook did not run as DHCP would'
    assert 'tsn-default-server' not in dhcp.content_string
    host.run_expect([0], 'systemctl restart ntp')
    argv = ntpd_argv(host)
    assert argv[argv.index('-c') + 1] == '/etc/ntp.conf', argv
    state = wait_authenticated(host, timeout=150)
    assert state['authenticated'], 'not IFF-authenticated again after the restart: %r' % state
    addresses = {a['address'] for a in status(host)['associations']}
    assert offered not in addresses, 'ntpd took the DHCP-offered server: %r' % addresses
