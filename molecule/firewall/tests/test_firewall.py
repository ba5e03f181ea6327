"""Access control proven with packets, for each firewall (see ../molecule.yml).

Runs after side_effect.yml flushed and restarted every firewall and ntpd, so everything here
also proves that the rules came back from each firewall's persistent configuration.
"""

import os
import re
import subprocess

import pytest
from labkit.hosts import container_host

from ntpcheck import RATE_LIMIT_TOLERANCE, sysstat, wait_authenticated, wait_state

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
    assert re.search(r'^restrict 10\.201\.123\.0 mask 255\.255\.255\.128 limited kod nomodify noquery$', conf, re.M), conf
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
