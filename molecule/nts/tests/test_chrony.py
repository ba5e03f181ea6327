"""NTS on chrony (issue 17, ntp_daemon: chrony), next to ntpsec in the same site.yml run.

A chrony server (Debian 12, chrony 4.3) serves a chrony client (Debian 13, 4.6) and an ntpsec client
(Debian 13, 1.2.3); a chrony client (Debian 12) uses the ntpsec server tsn-nts-srv13. Every client
reaches an NTS-authenticated system peer, shown by its own daemon's tools. The client given the wrong
CA never syncs and does not fall back to plain NTP, even with a plain source answering. A server
restart and a certificate renewal keep the clients authenticated, counted per client after the event
(the server's client log, the clients' own counters); after the renewal each client redoes NTS-KE and
accepts the new certificate. Waits are bounded.
"""

import datetime
import re
import time

import pytest
from labkit import oracle
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
MAKESTEP = {'tsn-nts-chrc13': 'makestep 2 -1'}


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
    return oracle.counter(host.check_output('chronyc serverstats'), name)


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
        assert oracle.counter(host.check_output('ntpq -c nts'), 'NTS KE client probes good') >= 1


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


# -- a publicly trusted impostor (issue 25, item 4) ---------------------------------------------------

VICTIM = 'tsn-nts-chrc13'
IMPOSTOR_CONF = """# Test only (molecule/nts/tests/test_chrony.py): an NTS server posing as %(name)s.
ntsserverkey /etc/chrony/rogue-key.pem
ntsservercert /etc/chrony/rogue-cert.pem
allow all
local stratum 1
cmdport 0
ntsdumpdir /var/lib/chrony
"""


def rogue_certificate(name):
    """Key and certificate for ``name`` from a CA made here, which then goes into the victim's system trust store:
    a certificate a public CA would issue to someone who is not our server. The CA's subject is its own: under the
    site CA's subject (wrong_ca/ of prepare.yml) GnuTLS may check the signature against the site CA of
    ntstrustedcerts and call it invalid, and the control would fail by chance."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    now = datetime.datetime.now(datetime.timezone.utc)

    def builder(subject, issuer, public_key):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30)))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'timesec.ntp test: a public CA')])
    ca = (builder(ca_name, ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), ca_name, key.public_key())
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()).decode(),
            cert.public_bytes(serialization.Encoding.PEM).decode(), ca.public_bytes(serialization.Encoding.PEM).decode())


def impostor_authdata(victim, address):
    """The victim's own view of the impostor: (mode, key length, cookies) from chronyc authdata."""
    for line in victim.check_output('chronyc -n authdata').splitlines():
        fields = line.split()
        if fields and fields[0] == address:
            return fields[1], int(fields[4]), int(fields[8])
    return None


def restart_fresh(host):
    """chronyd restarted without its saved cookies: a new NTS-KE, with whoever answers for the name."""
    host.check_output('systemctl stop chrony; rm -f /var/lib/chrony/*.nts; systemctl start chrony')


def test_a_publicly_trusted_impostor_is_never_authenticated():
    """The victim (a chrony client of tsn-nts-chr12) finds a CA in its system trust store that signed a certificate for
    its server's name, presented by an impostor its name now resolves to. With nosystemcert (every server's CA is known
    to the role) the NTS-KE fails and the impostor is never authenticated or selected. Control in the same test: the
    victim without nosystemcert authenticates the impostor, so the setup is a real attack."""
    victim, impostor = get(VICTIM), get(BAD)
    assert 'nosystemcert' in lines(victim) and 'ntstrustedcerts %s' % CA in lines(victim)
    # both of the impostor's addresses under the server's name (the network is dual-stack; glibc prefers the ULA)
    addresses = lab.out(BAD, "ip -o addr show eth0 scope global | awk '{print $4}' | cut -d/ -f1").split()
    key, cert, rogue_ca = rogue_certificate(SERVER)
    lab.sh(BAD, 'umask 027; cat > /etc/chrony/rogue-key.pem; chgrp _chrony /etc/chrony/rogue-key.pem', stdin=key)
    lab.sh(BAD, 'cat > /etc/chrony/rogue-cert.pem', stdin=cert)
    lab.sh(BAD, 'cat > /etc/chrony/impostor.conf', stdin=IMPOSTOR_CONF % {'name': SERVER})
    impostor.check_output('systemctl stop chrony; systemd-run --unit tsn-impostor /usr/sbin/chronyd -d -x -f '
                          '/etc/chrony/impostor.conf')
    lab.sh(VICTIM, 'cat > /usr/local/share/ca-certificates/tsn-rogue.crt && update-ca-certificates >/dev/null',
           stdin=rogue_ca)
    victim.check_output('cp /etc/hosts /root/hosts.before && { %s cat /root/hosts.before; } > /etc/hosts'
                        % ''.join('echo "%s %s";' % (address, SERVER) for address in addresses))
    try:
        resolved = {line.split()[0] for line in victim.check_output('getent ahosts %s' % SERVER).splitlines()}
        assert resolved == set(addresses), (resolved, addresses)
        assert 'tsn-rogue' in victim.check_output('ls /etc/ssl/certs')
        restart_fresh(victim)
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            for address in addresses:
                data = impostor_authdata(victim, address)
                assert data is None or data[1:] == (0, 0), 'the victim got NTS keys from the impostor: %r' % (data,)
                assert not re.search(r'^\^\*\s+%s\s' % re.escape(address), victim.check_output('chronyc -n sources'), re.M)
            time.sleep(5)
        log = journal(victim)
        assert re.search(r'TLS handshake with \S+ \(%s\) failed' % SERVER, log), log[-2000:]
        # control: without nosystemcert the same victim authenticates the impostor
        victim.check_output("sed -i 's/^nosystemcert$/# (control) nosystemcert/' %s" % CONF)
        restart_fresh(victim)
        control = lab.wait_for('victim authenticates the impostor without nosystemcert',
                               lambda: any((impostor_authdata(victim, address) or ('', 0, 0))[1] > 0
                                           for address in addresses), 60)
        assert control[2], 'without nosystemcert the impostor was not authenticated either: the attack was not real'
    finally:
        victim.run("sed -i 's/^# (control) nosystemcert$/nosystemcert/' %s" % CONF)
        victim.run('cp /root/hosts.before /etc/hosts; rm -f /usr/local/share/ca-certificates/tsn-rogue.crt; '
                   'update-ca-certificates --fresh >/dev/null')
        impostor.run('systemctl stop tsn-impostor; systemctl start chrony')
        restart_fresh(victim)
    assert wait_authenticated(victim, timeout=90, key='nts')['authenticated']


# -- restart and renewal ------------------------------------------------------------------------------
# Evidence is counted after the event, per client: the server's own client log (chronyc clients, which
# a chronyd restart empties) and serverstats, and each client's own counters read after the event.

SERVER_CLIENTS = {client: daemon for client, server, daemon in PAIRS if server == SERVER}


def client_addresses(name):
    """The container's eth0 addresses (IPv4 and IPv6 ULA): the server logs a client by the one it used."""
    return {a for a in get(name).interface('eth0').addresses if not a.lower().startswith('fe80')}


def per_client(server):
    """{client: (NTP packets, NTS-KE connections)} from the server's client log (chronyc -c clients -k),
    for the server's NTS clients, by any of their addresses."""
    counts = oracle.chrony_clients(server.check_output('chronyc -c -n clients -k'))
    return {client: tuple(map(sum, zip((0, 0), *[counts[a] for a in client_addresses(client) if a in counts])))
            for client in SERVER_CLIENTS}


def replies(client, daemon):
    """Authenticated replies the client accepted so far: chronyd's "Total valid RX" of its source (an
    NTS-only source: a reply that fails NTS is not valid), ntpsec's "NTS client recvs good"."""
    if daemon == 'chronyd':
        out = get(client).check_output('chronyc ntpdata')
        assert re.search(r'^Authenticated\s*: Yes$', out, re.M), out
        return int(re.search(r'^Total valid RX\s*: (\d+)$', out, re.M).group(1))
    return oracle.counter(get(client).check_output('ntpq -c nts'), 'NTS client recvs good')


def served_after(server, what, enough, timeout=150):
    """Wait until every NTS client of the server shows ``enough(packets, nts_ke)`` in the server's client
    log, and every NTP packet counted there was authenticated (serverstats, read after the client log)."""
    def check():
        counts = per_client(server)
        authenticated = serverstat(server, 'Authenticated NTP packets')
        if all(enough(*counts[c]) for c in counts) and authenticated >= sum(n for n, _ke in counts.values()):
            return counts, authenticated
        return None
    result, elapsed, ok = lab.wait_for(what, check, timeout)
    assert ok, '%s: not within %d s: %r, %s' % (what, timeout, per_client(server), server.check_output('chronyc serverstats'))
    lab.log('%s after %.0f s: per client (NTP, NTS-KE) %r, authenticated %d' % ((what, elapsed) + result))
    return result


def test_server_restart_keeps_clients_authenticated():
    """After a restart of the chrony server, each of its clients sends it NTS-authenticated packets (its
    client log, new with the process) and accepts an authenticated reply (the client's own counter,
    read after the restart). The clients keep their cookies: the server's NTS keys survive in ntsdumpdir,
    so no NTS-KE is needed (docs/chrony.md)."""
    server = get(SERVER)
    wait_all_authenticated(90)
    server.check_output('systemctl restart chrony')
    before = {client: replies(client, daemon) for client, daemon in SERVER_CLIENTS.items()}
    served_after(server, 'every client of the restarted server authenticated', lambda packets, _ke: packets >= 1)
    for client, daemon in SERVER_CLIENTS.items():
        _value, elapsed, ok = lab.wait_for('%s accepts a reply of the restarted server' % client,
                                           lambda c=client, d=daemon: replies(c, d) > before[c], 150)
        assert ok, '%s accepted no authenticated reply after the restart (still %d)' % (client, before[client])
    wait_all_authenticated(90)


def chrony_nts_row(host, server, keyed=False):
    """chronyc's authdata row (split) of ``server`` on ``host``; with ``keyed``, only once it is an NTS source with a
    key (KeyID >= 1) and cookies, else None."""
    rows = [line.split(',') for line in host.check_output('chronyc -c -N authdata').splitlines()
            if line.startswith(server + ',')]
    assert len(rows) == 1, rows
    row = rows[0]
    if keyed and not (row[1] == 'NTS' and int(row[2]) >= 1 and int(row[8]) > 0):  # Mode, KeyID, Cook
        return None
    return row


def force_nts_ke(client, daemon):
    """A fresh NTS-KE: chronyd without the cookies it saved in ntsdumpdir, ntpsec restarted (it keeps none)."""
    if daemon == 'chronyd':
        get(client).check_output('systemctl stop chrony && rm -f /var/lib/chrony/*.nts && systemctl start chrony')
    else:
        get(client).check_output('systemctl restart ntpsec')


def test_certificate_renewal_is_served_and_clients_stay_authenticated():
    """Renewal restarts chronyd onto the new certificate; each client, made to redo NTS-KE, accepts it: the
    server counts one NTS-KE per client since its restart, chrony holds new cookies with no attempt
    failed, ntpsec logs the certificate as valid; then every client is authenticated again."""
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
    for name, daemon in SERVER_CLIENTS.items():
        force_nts_ke(name, daemon)
    counts, _authenticated = served_after(server, 'every client redid NTS-KE with the renewed server',
                                          lambda packets, nts_ke: nts_ke >= 1 and packets >= 1)
    # The server's counts since its restart may include a client's activity before its forced restart (stop 32 and
    # session 10's CI: the server counted 2 NTS-KE, while the restarted chronyd's own NTS-KE was still under way,
    # KeyID 0): each client's own state is awaited too, bounded.
    for name, daemon in SERVER_CLIENTS.items():
        host = get(name)
        if daemon == 'chronyd':
            row, elapsed, ok = lab.wait_for('%s holds cookies of the renewed server' % name,
                                            lambda h=host: chrony_nts_row(h, SERVER, keyed=True), 60)
            assert ok, '%s: no NTS key and cookies within %d s: %s' % (name, elapsed, chrony_nts_row(host, SERVER))
            assert int(row[6]) == 0, row  # Atmp: no failed NTS-KE attempt since the last good one
            assert oracle.nts_ke_log(journal(host)) == set(), journal(host)[-2000:]   # chronyd logs failures only
        else:
            _value, elapsed, ok = lab.wait_for(
                '%s probed the renewed server' % name,
                lambda h=host: oracle.counter(h.check_output('ntpq -c nts'), 'NTS KE client probes good') >= 1, 60)
            assert ok, '%s: no good NTS-KE probe within %d s' % (name, elapsed)
            log = journal(host, 'ntpsec')
            assert oracle.nts_ke_log(log) == {'valid'}, log[-2000:]
    wait_all_authenticated(90)
    # with the certificate unchanged, a run restarts nothing
    again = lab.run_playbook('renew-again', limit=SERVER)
    assert again.rc == 0 and again.recap[SERVER]['changed'] == 0, again.recap


def test_status_playbook_reports_chrony_and_ntpsec_clients_alike():
    wait_all_authenticated(90)  # its own starting point: a failure of the test before it must not fail this one
    run = lab.run_playbook('status', limit='tsn-nts-chrc13,tsn-nts-chrk12,tsn-nts-ntpc13,' + BAD,
                           playbook='timesec.ntp.status')
    assert run.rc == 0, run.errors()
    rows = re.findall(r'"(\S+)\s+(\S+)\s+auth=(\S+)\s+nts name=\S+ cookies=(\d+) ntpd-up=(\d+)s"', run.output)
    good = [row for row in rows if row[1:3] == ('sys.peer', 'ok') and int(row[3]) > 0 and int(row[4]) > 0]
    assert len(good) == 3, rows
    assert [row for row in rows if row[1:4] == ('reject', 'bad', '0')], rows  # the wrong-CA client
    assert run.output.count('nts=True') == 3 and run.output.count('nts=False') == 1, run.output[-3000:]
