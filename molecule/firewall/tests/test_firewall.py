"""Access control proven with packets, for each firewall (see ../molecule.yml).

Runs after side_effect.yml flushed and restarted every firewall and ntpd, so everything here
also proves that the rules came back from each firewall's persistent configuration.
"""

import os
import re
import subprocess
import time

import pytest
from labkit.hosts import container_host

from ntpcheck import RATE_LIMIT_TOLERANCE, status, sysstat, wait_authenticated, wait_state

FIREWALLS = ['ipt', 'nft', 'fwd', 'ufw']
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Sends an NTP packet to udp/123 of argv[1] and waits for any answer: mode 3 (a client asking for
# the time) or mode 6 (an ntpq "read variables" control query). Exit 0: an answer came back; exit 3:
# three tries went unanswered (or came back as ICMP errors). Any other exit (a traceback's 1: the name
# did not resolve, no socket...) is the probe failing, which answered() reports as such.
PROBE = r'''
import socket, struct, sys
server, mode = sys.argv[1], int(sys.argv[2])
if mode not in (3, 6):
    sys.exit("mode must be 3 or 6")
address = socket.getaddrinfo(server, 123, socket.AF_INET, socket.SOCK_DGRAM)[0][4]
packet = b"\x23" + bytes(47) if mode == 3 else struct.pack("!BBHHHHH", 0x16, 2, 1, 0, 0, 0, 0)
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(2)
for attempt in range(3):
    sock.sendto(packet, address)
    try:
        data = sock.recv(2048)
    except OSError as exc:
        print("try %d: %s" % (attempt + 1, exc))
        continue
    print("answer of %d bytes from %s" % (len(data), address[0]))
    sys.exit(0)
print("no answer from %s" % address[0])
sys.exit(3)
'''
PROBE_SILENT = 3


def get(name):
    return container_host(name)


def server(fw):
    return get('tsn-fw-%s-server' % fw)


def client(fw):
    return get('tsn-fw-%s-client' % fw)


def refused():
    return get('tsn-fw-refused')


UPSTREAM = '10.201.123.201'
UPSTREAM_STRATUM = 3


def upstream():
    return get('tsn-fw-upstream')


def answered(source, target, mode):
    """Whether ``target`` answered a probe from ``source``; a probe that failed (rather than heard
    nothing) is an error, never a "no"."""
    probe = source.run('python3 -c %s %s %d' % (_quote(PROBE), target, mode))
    assert probe.rc in (0, PROBE_SILENT), 'the probe itself failed (rc=%s): %s' % (probe.rc, probe.stderr[-500:])
    return probe.rc == 0


def test_a_broken_probe_is_an_error_not_silence():
    """The negative probes below count only "no answer"; a probe that cannot even run must not pass as one."""
    with pytest.raises(AssertionError, match='the probe itself failed'):
        answered(refused(), 'no-such-host.invalid', 3)
    with pytest.raises(AssertionError, match='the probe itself failed'):
        answered(refused(), 'tsn-fw-ipt-server', 9)  # no such mode: the probe's own error


def _quote(text):
    return "'" + text.replace("'", "'\"'\"'") + "'"


@pytest.mark.parametrize('fw', FIREWALLS)
def test_allowed_client_authenticated_after_restarts(fw):
    state = wait_authenticated(client(fw), timeout=180)
    assert state['authenticated'], 'tsn-fw-%s-client: no IFF-authenticated system peer within 180 s: %r' % (fw, state)
    assert state['peer']['ident'] == 'tsn-fw-%s-server' % fw


@pytest.mark.parametrize('fw', FIREWALLS)
def test_allowed_client_gets_time(fw):
    assert answered(client(fw), 'tsn-fw-%s-server' % fw, 3)


@pytest.mark.parametrize('fw', FIREWALLS)
def test_clients_at_fastest_polling_are_not_rate_limited(fw):
    """limited kod is on (issue 14, item 5), and side_effect.yml restarted every server and client:
    a full iburst + Autokey start (the ipt client polls at minpoll 3) stays within ntpd's limits."""
    conf = server(fw).file('/etc/ntp.conf').content_string
    assert re.search(r'^restrict 10\.201\.123\.0 mask 255\.255\.255\.128 limited kod nomodify noquery nopeer noepeer$', conf, re.M), conf
    assert wait_authenticated(client(fw), timeout=180)['authenticated']
    assert sysstat(server(fw), 'rate limited') <= RATE_LIMIT_TOLERANCE
    assert sysstat(server(fw), 'KoD responses') <= RATE_LIMIT_TOLERANCE


@pytest.mark.parametrize('fw', FIREWALLS)
def test_server_uses_the_upstream_outside_the_sources(fw):
    """The upstream answers from udp/123 outside the firewall sources: its replies must pass (issue 14,
    item 1), or the server falls back to orphan mode at stratum 5."""
    state, elapsed, ok = wait_state(server(fw), lambda st: (st.get('peer') or {}).get('address') == UPSTREAM, timeout=120)
    assert ok, 'tsn-fw-%s-server: upstream %s not the system peer after %d s: %r' % (fw, UPSTREAM, elapsed, state)
    assert state['system']['stratum'] == UPSTREAM_STRATUM + 1, state['system']
    assert upstream().service('ntp').is_running


@pytest.mark.parametrize('fw', FIREWALLS)
@pytest.mark.parametrize('outsider', ['refused', 'upstream'])
def test_outside_host_gets_nothing_and_reaches_nothing(fw, outsider):
    """No time, no mode-6 answer - and ntpd never even saw the packets: the firewall dropped them
    (had they reached ntpd, "restrict default ignore" would have counted them as restricted).
    The upstream, whose replies the server accepts, gets nothing either when it asks itself."""
    srv = server(fw)
    source = refused() if outsider == 'refused' else upstream()
    before = sysstat(srv, 'restricted')
    assert not answered(source, 'tsn-fw-%s-server' % fw, 3), 'the %s host got time' % outsider
    assert not answered(source, 'tsn-fw-%s-server' % fw, 6), 'the %s host got a mode-6 answer' % outsider
    assert sysstat(srv, 'restricted') == before, 'the %s packets reached ntpd: the firewall let them in' % outsider


@pytest.mark.parametrize('fw', FIREWALLS)
def test_allowed_client_cannot_query(fw):
    """noquery: an allowed client's mode-6 query reaches ntpd and is refused by it."""
    srv = server(fw)
    before = sysstat(srv, 'restricted')
    assert not answered(client(fw), 'tsn-fw-%s-server' % fw, 6)
    assert sysstat(srv, 'restricted') > before, 'the query never reached ntpd, so noquery was not what refused it'
    out = client(fw).run('ntpq -n -c rv tsn-fw-%s-server' % fw)
    assert 'timed out' in out.stdout + out.stderr


@pytest.mark.parametrize('fw', FIREWALLS)
def test_localhost_on_server_can_query(fw):
    assert answered(server(fw), '127.0.0.1', 6)
    assert 'version="ntpd 4.2.8' in server(fw).check_output('ntpq -n -c rv 127.0.0.1')


@pytest.mark.parametrize('fw', FIREWALLS)
def test_server_loaded_the_leap_second_file(fw):
    """Classic ntp keeps Debian's leapfile (issue 14, item 5): ntpd reports the TAI offset from it."""
    assert '\nleapfile /usr/share/zoneinfo/leap-seconds.list\n' in server(fw).file('/etc/ntp.conf').content_string
    variables = server(fw).check_output('ntpq -n -c "rv 0 tai,leapsec,expire" 127.0.0.1')
    assert re.search(r'tai=3[7-9]', variables), variables


# A burst of mode-3 packets back to back, as a misbehaving client would send: prints how many got
# an ordinary answer and how many a kiss-o'-death (stratum 0, reference id RATE).
BURST = r'''
import socket, sys, time
server, count = sys.argv[1], int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.3)
answers = kods = 0
for i in range(count):
    sock.sendto(b"\x23" + bytes(47), (server, 123))
    try:
        data = sock.recv(2048)
    except OSError:
        continue
    if data[1] == 0 and data[12:16] == b"RATE":
        kods += 1
    else:
        answers += 1
print(answers, kods)
'''


def test_flooding_client_is_rate_limited_and_kissed():
    """limited kod: an allowed host that floods gets a few answers, then kiss-o'-death packets and
    silence; ntpd counts it as rate limited. (Another server's client, so that no client under test
    is slowed down.)"""
    srv = server('ipt')
    before = {name: sysstat(srv, name) for name in ('rate limited', 'KoD responses')}
    out = client('ufw').check_output('python3 -c %s tsn-fw-ipt-server 30' % _quote(BURST))
    answers, kods = (int(n) for n in out.split())
    assert kods >= 1, out
    assert answers < 30, out
    assert sysstat(srv, 'rate limited') > before['rate limited']
    assert sysstat(srv, 'KoD responses') > before['KoD responses']


def test_rules_are_in_the_persistent_configuration():
    assert 'timesec.ntp' in server('ipt').check_output('cat /etc/iptables/rules.v4')
    assert '10.201.123.0/25' in server('nft').check_output('cat /etc/nftables.d/timesec.ntp.nft')
    assert '10.201.123.0/25' in server('fwd').check_output('firewall-cmd --permanent --list-rich-rules')
    assert '10.201.123.0/25' in server('ufw').check_output('ufw show added')
    nft_client = client('nft').check_output('nft list ruleset')
    assert 'ip saddr 10.201.123.12 udp dport 123 accept' in nft_client


def _playbook(playbook, *args):
    cmd = ['ansible-playbook', '-i', os.environ['MOLECULE_INVENTORY_FILE'], os.path.join(SCENARIO, playbook)]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, check=False)


def _fingerprint(host):
    # rules without packet counters, ntp.conf, the keys directory
    return host.check_output('iptables -S; ip6tables -S; md5sum /etc/ntp.conf; ls -l --time-style=+%s /etc/ntp')


@pytest.mark.parametrize('extra, message', [
    (['-e', 'ntp_server_firewall=pf'],
     'ntp_server_firewall must be one of: auto, iptables, nftables, firewalld, ufw, none'),
    (['-e', 'ntp_server_firewall=ufw', '-e', 'ntp_server_firewall_install=false'],
     'ntp_server_firewall is ufw, but ufw is not installed on this host and ntp_server_firewall_install is false'),
])
def test_bad_firewall_choice_fails_before_any_change(extra, message):
    srv = server('ipt')
    before = _fingerprint(srv)
    run = _playbook('converge.yml', '--limit', 'tsn-fw-ipt-server', *extra)
    output = ' '.join((run.stdout + run.stderr).split())
    assert run.returncode != 0 and message in output, output[-3000:]
    assert _fingerprint(srv) == before


# --- The chain of trust (issue 25): authenticated upstreams, no time pushed in by a client, honest servers ---

UPSTREAM_KEY_ID = 42
NTS_UPSTREAM = 'tsn-fw-nts-upstream'
NTS_UPSTREAM_IP = '10.201.123.202'
NTS_SERVERS = {'ntpsec': 'tsn-fw-ntpsec-server', 'chrony': 'tsn-fw-chrony-server'}
EPHEMERAL = os.environ['MOLECULE_EPHEMERAL_DIRECTORY']
INVENTORY = os.path.dirname(os.environ['MOLECULE_INVENTORY_FILE'])


def _group_vars(name):
    import yaml
    with open(os.path.join(INVENTORY, 'group_vars', name)) as handle:
        return yaml.safe_load(handle)


def upstream_key():
    return _group_vars('all')['tsn_upstream_key']


def ntpq_sys_peer(host):
    """The daemon's own view (ntpq, not our parser): (srcadr, auth column, rv variables) of its system peer."""
    rows = [line.split() for line in host.check_output('ntpq -n -c as 127.0.0.1').splitlines()]
    peer = [row for row in rows if len(row) >= 8 and row[1].isdigit() and row[6] == 'sys.peer']
    if not peer:
        return None, None, {}
    variables = dict(re.findall(r'(\w+)=([^,\s]+)', host.check_output('ntpq -n -c "rv %s" 127.0.0.1' % peer[0][1])))
    # ind assid status conf reach auth condition last_event cnt
    return variables.get('srcadr'), peer[0][5], variables


def selected_source(state):
    return next((u for u in state.get('upstreams') or [] if u['selected']), None)


def on_its_upstream(state):
    """The server's selected source is its upstream (classic ntpd's or the NTS one), authenticated."""
    source = selected_source(state) or {}
    return bool(source.get('authenticated')) and source.get('address') in (UPSTREAM, NTS_UPSTREAM_IP)


@pytest.mark.parametrize('kind', sorted(NTS_SERVERS))
def test_nts_upstream_is_an_authenticated_system_peer(kind):
    """A site server behind a default-drop firewall takes its time from an NTS server outside its allowed networks,
    whose certificate comes from a CA of its own (not the site's): ntpsec and chrony alike."""
    srv = get(NTS_SERVERS[kind])
    state, elapsed, ok = wait_state(srv, lambda st: (selected_source(st) or {}).get('address') == NTS_UPSTREAM_IP
                                    and selected_source(st)['scheme'] == 'nts' and selected_source(st)['authenticated'],
                                    timeout=180)
    assert ok, '%s: %s not an NTS-authenticated system peer after %d s: %r' % (kind, NTS_UPSTREAM, elapsed, state.get('upstreams'))
    assert state['system']['stratum'] == UPSTREAM_STRATUM + 1, state['system']
    if kind == 'chrony':
        assert re.search(r'^\^\*\s+%s\s' % re.escape(NTS_UPSTREAM_IP), srv.check_output('chronyc -n sources'), re.M)
        row = [line.split() for line in srv.check_output('chronyc -n authdata').splitlines()
               if line.startswith(NTS_UPSTREAM_IP)]
        # Name/IP, Mode, KeyID, Type, KLen, Last, Atmp, NAK, Cook, CLen
        assert row and row[0][1] == 'NTS' and int(row[0][4]) > 0 and int(row[0][8]) > 0, row
        conf = srv.file('/etc/chrony/chrony.conf').content_string
        assert 'ntstrustedcerts /etc/chrony/upstream-ca.pem' in conf and '\nnosystemcert\n' in conf
        assert '\nauthselectmode require\n' in conf
    else:
        address, auth, variables = ntpq_sys_peer(srv)
        assert address == NTS_UPSTREAM_IP and auth == 'ok' and int(variables.get('ntscookies', 0)) > 0, variables
        conf = srv.file('/etc/ntpsec/ntp.conf').content_string
        assert re.search(r'^server tsn-fw-nts-upstream iburst minpoll 3 maxpoll 4 nts ca /usr/local/share/ca-certificates/'
                         r'timesec-ntp-upstream-ca.pem$', conf, re.M), conf
        # ntpsec rejects noepeer as a syntax error that drops the whole line: the role leaves it out there
        assert 'noepeer' not in conf and re.search(r'^restrict 10\.201\.123\.0 mask 255\.255\.255\.128 .*nopeer', conf, re.M)


@pytest.mark.parametrize('fw', FIREWALLS)
def test_symmetric_upstream_is_an_authenticated_system_peer(fw):
    """Classic ntpd has no NTS: its upstream proves itself with a symmetric key shared with its operator."""
    srv = server(fw)
    state, elapsed, ok = wait_state(srv, lambda st: (selected_source(st) or {}).get('address') == UPSTREAM
                                    and selected_source(st)['authenticated'], timeout=180)
    assert ok, '%s: the upstream is not an authenticated system peer after %d s: %r' % (fw, elapsed, state.get('upstreams'))
    assert selected_source(state)['scheme'] == 'symmetric' and selected_source(state)['key_id'] == UPSTREAM_KEY_ID
    address, auth, variables = ntpq_sys_peer(srv)
    assert (address, auth, variables.get('keyid')) == (UPSTREAM, 'ok', str(UPSTREAM_KEY_ID)), variables
    conf = srv.file('/etc/ntp.conf').content_string
    assert re.search(r'^server 10\.201\.123\.201 iburst key 42 minpoll 3 maxpoll 4$', conf, re.M), conf
    assert re.search(r'^trustedkey 42$', conf, re.M) and re.search(r'^keys /etc/ntp\.keys$', conf, re.M)
    # no client may make the server mobilise an association (CVE-2016-1549)
    assert re.search(r'^restrict 10\.201\.123\.0 mask 255\.255\.255\.128 limited kod nomodify noquery nopeer noepeer$',
                     conf, re.M), conf
    keys = srv.file('/etc/ntp.keys')
    assert (keys.mode, keys.user, keys.group) == (0o640, 'root', 'ntp')


def test_the_upstream_key_is_never_logged():
    """The key comes from the inventory (a vault on a real site): it must not reach the -vvv --diff log, and on the
    server it is in the keys file and nowhere else."""
    import lab
    key = upstream_key()
    _text, logs = lab.verbose_log('Write the symmetric keys file')
    assert lab.logs_containing(logs, {'upstream key': key}) == []
    assert lab.files_containing('tsn-fw-ipt-server', [key]) == ['/etc/ntp.keys']


ATTACK = r"""
set -e
cp /etc/ntp.conf /root/ntp.conf.before-attack
sed -i -e 's/^server \(tsn-fw-[a-z]*-server\) iburst autokey/peer \1 autokey/' -e '/^tos /d' /etc/ntp.conf
echo 'tos orphan 2 orphanwait 1' >> /etc/ntp.conf
grep -c '^peer .* autokey' /etc/ntp.conf
systemctl restart ntp
"""


def test_a_client_cannot_push_time_into_its_server():
    """A compromised Autokey client rewrites its ntp.conf to a symmetric-active peer that claims a better stratum
    (an orphan parent at 2 against the server's 4). The server mobilises nothing for it ("declined"), keeps its
    upstream and never takes the client as system peer (without noepeer classic ntpd does: CVE-2016-1549)."""
    cli, srv = client('ufw'), server('ufw')
    victim_address = cli.check_output("getent ahostsv4 tsn-fw-ufw-client | awk 'NR==1{print $1}'")
    declined = sysstat(srv, 'declined')
    assert cli.check_output(ATTACK).splitlines()[0] == '1'
    try:
        _state, elapsed, claims = wait_state(cli, lambda st: (st.get('system') or {}).get('stratum') == 2, timeout=120)
        assert claims, 'the attacking client never claimed stratum 2 after %d s: the test would prove nothing' % elapsed
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            st = status(srv)
            assert not any(a['address'] == victim_address for a in st['associations']), st['associations']
            assert (selected_source(st) or {}).get('address') == UPSTREAM, st.get('upstreams')
            assert st['system']['stratum'] == UPSTREAM_STRATUM + 1
            time.sleep(5)
        assert sysstat(srv, 'declined') > declined, 'the attacker\'s packets never reached ntpd: nothing was proven'
        assert victim_address not in srv.check_output('ntpq -n -c as -c pe 127.0.0.1')
    finally:
        cli.run('cp /root/ntp.conf.before-attack /etc/ntp.conf && systemctl restart ntp')


def _site(name, inventories=(), limit=None):
    import lab
    return lab.run_playbook(name, limit=limit, inventories=(INVENTORY,) + tuple(inventories))


def _status(limit):
    import lab
    run = lab.run_playbook('status', limit=limit, playbook='timesec.ntp.status')
    assert run.rc == 0, run.output[-3000:]
    return ' '.join(run.output.split())


WRONG = ['tsn-fw-ntpsec-server', 'tsn-fw-chrony-server', 'tsn-fw-ipt-server']


def test_wrong_ca_or_key_never_selected_and_status_says_so():
    """The NTS servers trust the site's CA for the upstream instead of its own; the ipt server has a wrong key.
    None of them ever selects the upstream, and status.yml shows the hop as not authenticated. Then the right
    settings come back and the upstreams are selected again."""
    import lab
    site_ca = os.path.join(EPHEMERAL, 'nts_ca', 'ca.pem')
    # Extra vars (the molecule host_vars files would win over another inventory's host vars): one expression
    # that picks each host's wrong upstreams from a dict.
    wrong = {
        'tsn-fw-ntpsec-server': [{'host': NTS_UPSTREAM, 'auth': 'nts', 'nts_ca': site_ca, 'minpoll': 3, 'maxpoll': 4}],
        'tsn-fw-chrony-server': [{'host': NTS_UPSTREAM, 'auth': 'nts', 'nts_ca': site_ca, 'minpoll': 3, 'maxpoll': 4}],
        'tsn-fw-ipt-server': [{'host': UPSTREAM, 'auth': 'symmetric', 'key_id': UPSTREAM_KEY_ID, 'key': 'f' * 32,
                               'minpoll': 3, 'maxpoll': 4}],
    }
    run = lab.run_playbook('wrong-upstreams', limit=','.join(WRONG), inventories=(INVENTORY,), extra_vars={
        'tsn_wrong_upstreams': wrong,
        'ntp_server_upstream_servers': '{{ tsn_wrong_upstreams[inventory_hostname] }}'})
    assert run.rc == 0, run.output[-3000:]
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            for name in WRONG:
                st = status(get(name))
                # ntpsec keeps an NTS source whose NTS-KE failed at address 0.0.0.0, under its name
                up = [u for u in st['upstreams'] if u['address'] in (UPSTREAM, NTS_UPSTREAM_IP) or u['name'] == NTS_UPSTREAM]
                assert up and not any(u['authenticated'] or u['selected'] for u in up), (name, up)
            time.sleep(10)
        # the daemons' own words
        assert ntpq_sys_peer_row(get('tsn-fw-ipt-server'), UPSTREAM)[5] == 'bad'  # the 'auth' column
        row = [line.split() for line in get('tsn-fw-chrony-server').check_output('chronyc -n authdata').splitlines()
               if line.startswith(NTS_UPSTREAM_IP)]
        assert row and row[0][1] == 'NTS' and int(row[0][4]) == 0, row
        journal = get('tsn-fw-ntpsec-server').check_output('journalctl -u ntpsec --no-pager -o cat --since -3min')
        assert 'certificate verify failed' in journal or 'certificate invalid' in journal, journal[-2000:]
        report = _status(','.join(WRONG))
        # one line for each of the two NTS servers
        assert len(re.findall(r'upstream \S+ \((%s|0\.0\.0\.0)\): scheme=nts authenticated=False selected=False'
                              % re.escape(NTS_UPSTREAM_IP), report)) == 2, report[-3000:]
        assert 'upstream 10.201.123.201 (10.201.123.201): scheme=symmetric key=42 authenticated=False selected=False' \
            in report, report[-3000:]
    finally:
        run = _site('right-upstreams', limit=','.join(WRONG))
        assert run.rc == 0, run.output[-3000:]
    for name in WRONG:
        _state, elapsed, ok = wait_state(get(name), on_its_upstream, timeout=180)
        assert ok, '%s did not select its upstream again within %d s' % (name, elapsed)
    report = _status(','.join(WRONG + ['tsn-fw-ipt-client']))
    assert re.search(r'chain: tsn-fw-ipt-client <- tsn-fw-ipt-server \S+ \(autokey, authenticated\) <- 10\.201\.123\.201 '
                     r'\(symmetric key 42, authenticated\)', report), report[-3000:]


def ntpq_sys_peer_row(host, address):
    """The ntpq 'as' row (split) of the association with srcadr ``address``."""
    for line in host.check_output('ntpq -n -c as 127.0.0.1').splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[1].isdigit():
            rv = host.check_output('ntpq -n -c "rv %s srcadr" 127.0.0.1' % fields[1])
            if 'srcadr=%s' % address in rv:
                return fields
    raise AssertionError('no association with %s' % address)


def _stratum_and_leap(host):
    state = status(host)
    return state['system'].get('stratum'), state['system'].get('leap'), state


def test_servers_stay_honest_when_the_upstreams_are_gone():
    """Both upstreams stop. ntpd and ntpsec keep their upstream's stratum + 1 until it is unreachable (about 8 polls),
    then serve their own clock at stratum 10 (ntp_server_upstream_orphan_stratum), never 5 to 9 as a server without
    upstreams would; one restarted while the upstream is gone says "not synchronised" (stratum 16) for its orphan
    wait (60 s here, 300 s by default) first. chrony 4.6 keeps its stratum while its root dispersion grows by
    maxclockerror (15 ppm), and serves stratum 10 once its root distance reaches ntp_server_upstream_orphan_distance
    (0.003 s here: about three minutes; computed from maxpoll by default). The Autokey clients follow their server
    to stratum 11, still authenticated."""
    # the starting point: every watched server runs on its authenticated upstream (an earlier test changed them)
    for name in ['tsn-fw-%s-server' % fw for fw in FIREWALLS] + sorted(NTS_SERVERS.values()):
        _state, elapsed, ok = wait_state(get(name), on_its_upstream, timeout=180)
        assert ok, '%s has not selected its authenticated upstream (%d s): the test cannot start' % (name, elapsed)
    get('tsn-fw-upstream').check_output('systemctl stop ntp')
    get(NTS_UPSTREAM).check_output('systemctl stop ntpsec')
    try:
        restarted = server('nft')
        restarted.check_output('systemctl restart ntp')
        started = time.monotonic()
        watched = {fw: server(fw) for fw in FIREWALLS}
        watched['ntpsec'] = get(NTS_SERVERS['ntpsec'])
        watched['chrony'] = get(NTS_SERVERS['chrony'])
        seen = {name: [] for name in watched}
        chrony_dispersion = []
        while time.monotonic() - started < 420:
            for name, host in watched.items():
                try:
                    stratum, leap, _state = _stratum_and_leap(host)
                except Exception:  # ntpd restarting
                    continue
                seen[name].append((round(time.monotonic() - started), stratum, leap))
            tracking = get(NTS_SERVERS['chrony']).check_output('chronyc -n -c tracking').split(',')
            chrony_dispersion.append((int(tracking[2]), float(tracking[11])))
            if all(entries and entries[-1][1] == 10 for entries in seen.values()) and time.monotonic() - started > 90:
                break
            time.sleep(5)
        for name, entries in seen.items():
            sources = 'chronyc -n sources; chronyc -n tracking' if name == 'chrony' else 'ntpq -pn 127.0.0.1'
            assert entries and entries[-1][1] == 10, '%s never became an orphan at stratum 10: %s; its sources: %s; ' \
                'the upstreams: %s' % (name, entries, watched[name].run(sources).stdout,
                                       [get(up).run('systemctl is-active ntp ntpsec').stdout.split()
                                        for up in ('tsn-fw-upstream', NTS_UPSTREAM)])
            assert not [e for e in entries if 5 <= (e[1] or 16) <= 9], '%s claimed a stratum below 10: %s' % (name, entries)
        early = [e for e in seen['nft'] if e[0] < 45]
        assert early and all(e[1] == 16 for e in early), 'restarted server served before its orphan wait: %s' % early
        # chrony, by its own tracking report: the upstream's stratum + 1 while its root dispersion grows, then 10
        assert {s for s, _d in chrony_dispersion} <= {UPSTREAM_STRATUM + 1, 10}, chrony_dispersion
        free = [d for s, d in chrony_dispersion if s == UPSTREAM_STRATUM + 1]
        assert free and free[-1] > free[0] and chrony_dispersion[-1][0] == 10, chrony_dispersion
        # an Autokey client follows its free-running server at stratum 11, still authenticated
        _state, elapsed, ok = wait_state(client('ipt'), lambda st: (st.get('system') or {}).get('stratum') == 11
                                         and st['summary']['authenticated'], timeout=120)
        assert ok, 'the ipt client does not follow its free-running server at stratum 11 (%d s)' % elapsed
    finally:
        get('tsn-fw-upstream').run('systemctl start ntp')
        get(NTS_UPSTREAM).run('systemctl start ntpsec')


def _recap(output):
    return {m.group(1): {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', m.group(2))}
            for m in re.finditer(r'^(\S+)\s+:\s+(ok=.*)$', output, re.M)}


def test_removal_is_idempotent_and_complete():
    """Runs last (file order): ntp_server_firewall_state: absent, twice."""
    first = _playbook('remove.yml')
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    recap = _recap(first.stdout)
    assert all(recap['tsn-fw-%s-server' % fw]['changed'] > 0 for fw in FIREWALLS), recap
    second = _playbook('remove.yml')
    assert second.returncode == 0, second.stdout[-3000:]
    recap = _recap(second.stdout)
    assert all(recap['tsn-fw-%s-server' % fw]['changed'] == 0 for fw in FIREWALLS), second.stdout[-3000:]

    assert 'timesec.ntp' not in server('ipt').check_output('iptables -S INPUT; ip6tables -S INPUT')
    assert 'timesec.ntp' not in server('ipt').check_output('cat /etc/iptables/rules.v4 /etc/iptables/rules.v6')
    assert 'timesec.ntp' not in server('nft').check_output('nft list ruleset')
    assert not server('nft').file('/etc/nftables.d/timesec.ntp.nft').exists
    fwd = server('fwd').check_output('firewall-cmd --list-all; firewall-cmd --permanent --list-all')
    assert 'ntp' not in fwd.replace('tsn-fw', '')
    assert '123' not in server('ufw').check_output('ufw show added')
    # and the packets say so: the allowed client no longer gets an answer through the default-drop firewalls
    for fw in FIREWALLS:
        assert not answered(client(fw), 'tsn-fw-%s-server' % fw, 3), fw
