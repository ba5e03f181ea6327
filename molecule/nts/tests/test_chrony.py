"""NTS on chrony (issue 17, ntp_daemon: chrony), next to ntpsec in the same site.yml run.

A chrony server (Debian 12, chrony 4.3) serves a chrony client (Debian 13, 4.6) and an ntpsec client
(Debian 13, 1.2.3); a chrony client (Debian 12) uses the ntpsec server tsn-nts-srv13. Every client
reaches an NTS-authenticated system peer, shown by its own daemon's tools. The client given the wrong
CA never syncs and does not fall back to plain NTP, even with a plain source answering. A server
restart and a certificate renewal keep the clients authenticated. Waits are bounded.
"""

import re

import pytest
from labkit.hosts import container_host

import lab
from ntpcheck import secret_window, status, wait_authenticated

SERVER = 'tsn-nts-chr12'
# (client, server, the client's daemon)
PAIRS = [('tsn-nts-chrc13', SERVER, 'chronyd'), ('tsn-nts-ntpc13', SERVER, 'ntpd'),
         ('tsn-nts-chrk12', 'tsn-nts-srv13', 'chronyd')]
BAD = 'tsn-nts-chrbad13'
PLAIN = 'tsn-nts-srv12'
CONF = '/etc/chrony/chrony.conf'
KEY, CERT, CA = '/etc/chrony/nts-key.pem', '/etc/chrony/nts-cert.pem', '/etc/chrony/nts-ca.pem'
VERSIONS = {SERVER: '4.3', 'tsn-nts-chrc13': '4.6', 'tsn-nts-chrk12': '4.3', BAD: '4.6'}
# makestep: Debian's default, or the client's step options (molecule.yml; tests/test_options.py)
MAKESTEP = {'tsn-nts-chrc13': 'makestep 2.0 -1'}


def get(name):
    return container_host(name)


def lines(host, path=CONF):
    """The configuration's directives (comments and blank lines left out)."""
    return [line for line in host.file(path).content_string.splitlines() if line and not line.startswith('#')]


def journal(host, unit='chrony'):
    """The unit's log since it last started (its current systemd invocation)."""
    return host.check_output('journalctl --no-pager -o cat _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID '
                             '--value %s)' % unit)


def serverstat(host, name):
    out = host.check_output('chronyc serverstats')
    match = re.search(r'^%s\s*:\s*(\d+)' % re.escape(name), out, re.M)
    assert match, out
    return int(match.group(1))


def served_serial(client, server):
    """The serial of the certificate the server presents on its NTS-KE port (TLS with ALPN ntske/1)."""
    return client.check_output('echo | openssl s_client -connect %s:4460 -alpn ntske/1 -servername %s 2>/dev/null '
                               '| openssl x509 -noout -serial' % (server, server))


def wait_all_authenticated(timeout):
    states = {pair[0]: wait_authenticated(get(pair[0]), timeout=timeout, key='nts') for pair in PAIRS}
    failed = {client: state for client, state in states.items() if not state['authenticated']}
    assert not failed, 'no NTS-authenticated system peer within %d s: %r' % (timeout, failed)
    return states


# -- the chrony server ------------------------------------------------------------------------------

def test_chrony_server_configuration():
    host = get(SERVER)
    assert host.package('chrony').version.startswith(VERSIONS[SERVER])
    assert not host.package('ntpsec').is_installed
    service = host.service('chrony')
    assert service.is_running and service.is_enabled
    conf = lines(host)
    for line in ('ntsserverkey %s' % KEY, 'ntsservercert %s' % CERT, 'ntsdumpdir /var/lib/chrony',
                 'local stratum 5 orphan', 'bindcmdaddress 127.0.0.1', 'bindcmdaddress ::1',
                 'leapsectz right/UTC', 'driftfile /var/lib/chrony/chrony.drift'):
        assert line in conf, (line, conf)
    # allow: the server's own IPv4 and IPv6 networks (nothing else is served)
    allowed = sorted(line for line in conf if line.startswith('allow '))
    assert len(allowed) == 2 and 'allow fd42:201:125::/64' in allowed, conf
    assert not [line for line in conf if re.match(r'(pool|sourcedir|confdir|server|authselectmode) ', line)], conf
    log = journal(host)
    assert 'Could not set credentials' not in log and 'Permission denied' not in log, log
    assert 'Disabled control of system clock' in log  # the test-only -x (prepare.yml)


def test_chrony_server_key_and_certificate():
    host = get(SERVER)
    key, cert = host.file(KEY), host.file(CERT)
    assert (key.user, key.group, key.mode) == ('root', '_chrony', 0o640)
    assert (cert.user, cert.group, cert.mode) == ('root', 'root', 0o644)
    assert 'DNS:%s' % SERVER in host.check_output('openssl x509 -in %s -noout -text' % CERT)
    late, events = secret_window(host, KEY)
    assert late == [], 'nts-key.pem got its owner or mode only after the key was in it: %r' % events
    # chronyd reads the key after dropping root: it serves TLS (a client completed NTS-KE)
    assert host.socket('tcp://0.0.0.0:4460').is_listening


def test_chrony_command_port_answers_localhost_only():
    host = get(SERVER)
    assert host.socket('udp://127.0.0.1:323').is_listening
    assert not host.socket('udp://0.0.0.0:323').is_listening
    # from a client: no answer (chronyc gives up: "506 Cannot talk to daemon")
    remote = get('tsn-nts-chrc13').run('chronyc -n -h %s tracking' % SERVER)
    assert remote.rc != 0 and 'Cannot talk to daemon' in remote.stdout + remote.stderr, remote


# -- clients ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('client, server, daemon', PAIRS)
def test_client_reaches_sys_peer_authenticated_by_nts(client, server, daemon):
    host = get(client)
    state = wait_authenticated(host, timeout=90, key='nts')
    assert state['authenticated'], '%s: no NTS-authenticated system peer within 90 s: %r' % (client, state)
    peer = state['peer']
    assert (peer['nts'], peer['auth'], peer['condition']) == (True, 'ok', 'sys.peer'), peer
    assert peer['cookies'] > 0 and state['summary']['synchronized'] is True
    if daemon == 'chronyd':
        # chrony's own view: chronyc -N authdata names the server (the TLS name), KeyID, KLen, cookies
        (row,) = [line.split() for line in host.check_output('chronyc -N authdata').splitlines() if line.startswith(server)]
        name, mode, key_id, _type, key_length, _last, _atmp, _nak, cookies = row[:9]
        assert (name, mode) == (server, 'NTS') and int(key_id) >= 1 and int(key_length) in (128, 256) and int(cookies) > 0, row
        tracking = host.check_output('chronyc tracking')
        assert re.search(r'^Leap status\s*: Normal$', tracking, re.M), tracking
    else:
        nts = host.check_output('ntpq -c nts')
        assert re.search(r'NTS KE client probes good:\s+[1-9]', nts), nts


@pytest.mark.parametrize('client, server, daemon', [pair for pair in PAIRS if pair[2] == 'chronyd'])
def test_chrony_client_configuration(client, server, daemon):
    host = get(client)
    assert host.package('chrony').version.startswith(VERSIONS[client])
    conf = lines(host)
    assert conf[0] == 'server %s iburst minpoll 4 maxpoll 6 nts' % server, conf
    for line in ('authselectmode require', 'ntstrustedcerts %s' % CA, 'ntsdumpdir /var/lib/chrony', MAKESTEP.get(client, 'makestep 1 3'),
                 'bindcmdaddress 127.0.0.1'):
        assert line in conf, (line, conf)
    assert [line for line in conf if re.match(r'(server|pool|sourcedir|confdir|allow|ntsserverkey) ', line)] == [conf[0]], conf
    # Debian 13's chrony reads the leap seconds from tzdata's list (right/UTC is gone there)
    assert ('leapseclist /usr/share/zoneinfo/leap-seconds.list' if VERSIONS[client] == '4.6' else 'leapsectz right/UTC') in conf
    ca = host.file(CA)
    assert (ca.user, ca.mode) == ('root', 0o644)
    # the private CA is for chronyd alone, not in the system store
    assert 'timesec' not in host.check_output('ls /usr/local/share/ca-certificates /etc/ssl/certs')


def test_ntpsec_client_of_chrony_names_the_ca_on_its_server_line():
    conf = get('tsn-nts-ntpc13').file('/etc/ntpsec/ntp.conf').content_string
    assert '\nserver %s iburst minpoll 4 maxpoll 6 nts ca /usr/local/share/ca-certificates/timesec-ntp-nts-ca.pem\n' % SERVER in conf


# -- the wrong CA -------------------------------------------------------------------------------------

def test_wrong_ca_never_syncs_and_never_falls_back_to_plain_ntp():
    host = get(BAD)
    seen = lab.wait_for('TLS failure on %s' % BAD, lambda: 'TLS handshake' in journal(host), 60)[2]
    log = journal(host)
    assert seen and re.search(r'TLS handshake with \S+ \(%s\) failed' % SERVER, log), log[-3000:]
    assert 'certificate' in log
    state = status(host)
    (assoc,) = state['associations']
    assert (assoc['nts'], assoc['auth'], assoc['cookies'], assoc['key_length'], int(assoc['reach_register'], 8)) == \
        (True, 'bad', 0, 0, 0), assoc
    assert re.search(r'^Total TX\s*: 0$', host.check_output('chronyc ntpdata'), re.M)  # no NTP packet at all
    assert not state['summary']['synchronized'] and not state['summary']['nts']
    # A plain source that answers (as a DHCP hook would add one; here the ntpsec server, which serves plain
    # NTP to its network too) is never selected: authselectmode require.
    host.check_output('chronyc add server %s iburst minpoll 2 maxpoll 2' % PLAIN)
    try:
        plain, answered = lab.wait_for(
            'plain source answers on %s' % BAD,
            lambda: [a for a in status(host)['associations'] if not a['nts'] and int(a['reach_register'], 8) >= 0o7], 60)[::2]
        assert answered, status(host)
        (plain,) = plain
        assert (plain['auth'], plain['condition']) == ('none', 'reject'), plain
        tracking = host.check_output('chronyc tracking')
        assert re.search(r'^Leap status\s*: Not synchronised$', tracking, re.M), tracking
        assert not status(host)['summary']['synchronized']
    finally:
        host.run('chronyc delete %s' % PLAIN)
    # the same server authenticated its good clients meanwhile
    assert wait_authenticated(get('tsn-nts-chrc13'), timeout=5, key='nts')['authenticated']


# -- restart and renewal ------------------------------------------------------------------------------

def test_server_restart_keeps_clients_authenticated():
    server = get(SERVER)
    wait_all_authenticated(90)
    server.check_output('systemctl restart chrony')
    served = lab.wait_for('authenticated NTP packets after the restart',
                          lambda: serverstat(server, 'Authenticated NTP packets') >= 4, 150)[2]
    assert served, server.check_output('chronyc serverstats')
    wait_all_authenticated(90)


def test_certificate_renewal_is_served_and_clients_stay_authenticated():
    server, client = get(SERVER), get('tsn-nts-chrc13')
    before = served_serial(client, SERVER)
    assert before == server.check_output('openssl x509 -in %s -noout -serial' % CERT)
    pid = server.check_output('systemctl show -p MainPID --value chrony')
    run = lab.run_playbook('renew', limit=SERVER, extra_vars={'ntp_server_nts_cert_renew_before_days': 400})
    assert run.rc == 0, run.errors()
    assert run.recap[SERVER]['changed'] >= 2, run.recap  # the certificate, and the restart
    after = server.check_output('openssl x509 -in %s -noout -serial' % CERT)
    assert after != before
    # chronyd loads certificates only at start: the handler restarted it, and it serves the new one
    assert server.check_output('systemctl show -p MainPID --value chrony') != pid
    assert served_serial(client, SERVER) == after
    wait_all_authenticated(90)
    # with the certificate unchanged, a run restarts nothing
    again = lab.run_playbook('renew-again', limit=SERVER)
    assert again.rc == 0 and again.recap[SERVER]['changed'] == 0, again.recap


def test_status_playbook_reports_chrony_and_ntpsec_clients_alike():
    run = lab.run_playbook('status', limit='tsn-nts-chrc13,tsn-nts-chrk12,tsn-nts-ntpc13,' + BAD,
                           playbook='timesec.ntp.status')
    assert run.rc == 0, run.errors()
    rows = re.findall(r'"(\S+)\s+(\S+)\s+auth=(\S+)\s+nts name=\S+ cookies=(\d+) ntpd-up=(\d+)s"', run.output)
    good = [row for row in rows if row[1:3] == ('sys.peer', 'ok') and int(row[3]) > 0 and int(row[4]) > 0]
    assert len(good) == 3, rows
    assert [row for row in rows if row[1:4] == ('reject', 'bad', '0')], rows  # the wrong-CA client
    assert run.output.count('nts=True') == 3 and run.output.count('nts=False') == 1, run.output[-3000:]
