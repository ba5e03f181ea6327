"""Symmetric keys on classic ntpd 4.2.8 (Debian 11), ntpsec 1.2.2 (Debian 12) and chrony (4.6 server on
Debian 13, 4.0 client on Debian 11), one site.yml run.

Each client uses all three servers with its own key, so every pairing of the three daemons is proven
by the daemons' own tools (ntpq or chronyc: auth ok, the client's key ID, reach). The key files hold
exactly the keys each host may know, in each daemon's syntax; a rotation keeps the clients synchronised
and finishes only when asked, a revocation replaces a key everywhere in one run; no key value (old or new) is in the -vvv --diff log or a journal; a client
given a wrong key never syncs and reports auth bad. Waits are bounded and end as soon as the state is
there.
"""

import json
import os
import re
import time

import pytest
from labkit import hosts, oracle
from labkit.hosts import container_host

import lab
from ntpcheck import status, wait_state

SERVERS = {'tsn-sym-srv11': 'ntp', 'tsn-sym-srv12': 'ntpsec', 'tsn-sym-chr13': 'chrony'}
CLIENTS = {'tsn-sym-cli11': 'ntp', 'tsn-sym-cli12': 'ntpsec', 'tsn-sym-chrc11': 'chrony'}
DAEMONS = dict(SERVERS, **CLIENTS)
KEYS_FILE = {'ntp': '/etc/ntp.keys', 'ntpsec': '/etc/ntpsec/ntp.keys', 'chrony': '/etc/chrony/chrony.keys'}
CONF = {'ntp': '/etc/ntp.conf', 'ntpsec': '/etc/ntpsec/ntp.conf', 'chrony': '/etc/chrony/chrony.conf'}
GROUP = {'ntp': 'ntp', 'ntpsec': 'ntpsec', 'chrony': '_chrony'}
PROCESS = {'ntp': 'ntpd', 'ntpsec': 'ntpd', 'chrony': 'chronyd'}
STORE = os.path.join(lab.EPHEMERAL, 'symmetric-keys', 'keys.json')
WRONG = ('tsn-sym-cli12', 'tsn-sym-chrc11')
ROTATED = 'tsn-sym-cli11'
REVOKED = 'tsn-sym-cli12'
# Key values that left the store (the rotation's old key): the leak search looks for them too.
RETIRED = {}


def get(name):
    return container_host(name)


def read_store():
    with open(STORE) as handle:
        return json.load(handle)['keys']


@pytest.fixture
def store():
    return read_store()


def key_lines(host, daemon):
    return sorted(line for line in host.file(KEYS_FILE[daemon]).content_string.splitlines()
                  if line.strip() and not line.startswith('#'))


def line_of(entry, daemon):
    """The key's line as each daemon's documentation spells it (ntpd/ntpsec: ID TYPE HEX; chrony:
    ID TYPE HEX:HEX, CMAC named AES128)."""
    if daemon == 'chrony':
        return '%d %s HEX:%s' % (entry['id'], {'AES128CMAC': 'AES128'}.get(entry['type'], entry['type']),
                                 entry['value'])
    return '%d %s %s' % (entry['id'], entry['type'], entry['value'])


def generations(entry):
    return [entry] + ([entry['next']] if entry.get('next') else [])


def server_lines(store, daemon):
    return sorted(line_of(key, daemon) for entry in store.values() for key in generations(entry))


def held_ids(store):
    return sorted(key['id'] for entry in store.values() for key in generations(entry))


def test_store_has_one_key_per_client(store):
    assert sorted(store) == sorted(CLIENTS)
    assert sorted(entry['id'] for entry in store.values()) == [1, 2, 3]
    assert {entry['type'] for entry in store.values()} == {'AES128CMAC'}
    assert oct(os.stat(os.path.dirname(STORE)).st_mode & 0o777) == '0o700'
    assert oct(os.stat(STORE).st_mode & 0o777) == '0o600'


@pytest.mark.parametrize('name', sorted(DAEMONS))
def test_keys_file_holds_only_its_keys(name, store):
    daemon = DAEMONS[name]
    host = get(name)
    keys = host.file(KEYS_FILE[daemon])
    assert (keys.user, keys.group, keys.mode) == ('root', GROUP[daemon], 0o640)
    conf = host.file(CONF[daemon]).content_string
    if daemon == 'chrony':
        assert '\nkeyfile %s\n' % KEYS_FILE[daemon] in conf, conf
        assert 'trustedkey' not in conf
    else:
        assert '\nkeys %s\n' % KEYS_FILE[daemon] in conf, conf
    if name in SERVERS:
        expected = server_lines(store, daemon)
        if daemon != 'chrony':
            assert '\ntrustedkey %s\n' % ' '.join(map(str, held_ids(store))) in conf, conf
    else:
        expected = [line_of(store[name], daemon)]
        key_id = store[name]['id']
        if daemon == 'chrony':
            assert '\nauthselectmode require\n' in conf, conf
        else:
            assert '\ntrustedkey %d\n' % key_id in conf, conf
        for server in SERVERS:
            assert '\nserver %s iburst key %d minpoll 4 maxpoll 6\n' % (server, key_id) in conf, conf
    assert key_lines(host, daemon) == expected


def all_servers_ok(key_id, synchronized=False):
    """A predicate: every server's association passes with ``key_id`` (and, if asked, one is the system peer)."""
    def ok(state):
        assocs = state.get('associations', [])
        return (state['summary'].get('symmetric') and len(assocs) == len(SERVERS)
                and (not synchronized or state['summary'].get('synchronized'))
                and all(a['auth'] == 'ok' and a['reach'] == 'yes' and a['key_id'] == key_id and a['symmetric']
                        for a in assocs))
    return ok


@pytest.mark.parametrize('name', sorted(CLIENTS))
def test_client_authenticated_by_every_server(name, store):
    """The associations with the ntpd, the ntpsec and the chrony server pass with the client's key, one is sys.peer."""
    key_id = store[name]['id']
    state, elapsed, ok = wait_state(get(name), all_servers_ok(key_id), timeout=120)
    assert ok, state
    assert state['summary']['authenticated'] and state['summary']['synchronized'], state['summary']
    assert state['summary']['key_id'] == key_id
    lab.log('%s: every server authenticated with key %d after %.0f s more' % (name, key_id, elapsed))


def test_status_playbook_shows_the_keys(store):
    """playbooks/status.yml: one line per server with auth and key ID, and symmetric=True in the summary."""
    run = lab.run_playbook('status', playbook='timesec.ntp.status')
    assert run.rc == 0, run.errors()
    for name in CLIENTS:
        assert run.output.count('auth=ok   key=%d ' % store[name]['id']) == len(SERVERS), run.logfile
    assert run.output.count('authenticated=True identity_verified=False nts=False symmetric=True') == len(CLIENTS), \
        run.logfile


def per_client_packets(host, daemon):
    """{client address: packets the server received from it}: ntpd's MRU list, chronyd's client log."""
    if daemon == 'chrony':
        return {address: ntp for address, (ntp, _cmd) in oracle.chrony_clients(host.check_output('chronyc -c -n clients')).items()}
    return oracle.mru_counts(host.check_output('ntpq -n -c mrulist'))


def server_counters(host, daemon, packets_first=False):
    """(MACs the server verified, authentication failures or None, per-client packets). The client counts
    are read last at the start of a window and first at its end, so that the MAC count spans them."""
    def auth():
        if daemon == 'chrony':
            return oracle.counter(host.check_output('chronyc serverstats'), 'Authenticated NTP packets'), None
        return (oracle.counter(host.check_output('ntpq -c authinfo'), 'decryptions'),
                oracle.counter(host.check_output('ntpq -n -c sysstats'), 'authentication failed'))
    if packets_first:
        packets = per_client_packets(host, daemon)
        return auth() + (packets,)
    verified, failed = auth()
    return verified, failed, per_client_packets(host, daemon)


def test_servers_answer_every_client_authenticated():
    """Every client's packets reach every server while we watch (each per-client count grows), and each
    server verified at least as many MACs in that window as those clients sent it, with no authentication
    failure in that window (ntpd and ntpsec: authinfo decryptions, sysstats; chronyd: serverstats). A server that
    received nothing fails this."""
    addresses = {hosts.address(client): client for client in CLIENTS}
    start = {name: server_counters(get(name), daemon) for name, daemon in SERVERS.items()}
    seen = {}

    def grown():
        for name, daemon in SERVERS.items():
            if name in seen:
                continue
            verified, failed, packets = server_counters(get(name), daemon, packets_first=True)
            sent = {addresses[a]: packets.get(a, 0) - start[name][2].get(a, 0) for a in addresses}
            if all(sent.values()):
                # failures in this window (the counter counts since the daemon started: an earlier test
                # planted a wrong key on purpose)
                seen[name] = {'verified': verified - start[name][0],
                              'failed': None if failed is None else failed - start[name][1], 'sent': sent}
        return len(seen) == len(SERVERS)
    _done, elapsed, ok = lab.wait_for('every client heard by every server', grown, 60)
    assert ok, 'not every client sent every server a packet within 60 s: %r (start %r)' % (seen, start)
    for name, counts in seen.items():
        assert counts['verified'] >= sum(counts['sent'].values()), (name, counts)
        assert counts['failed'] in (None, 0), (name, counts)
    lab.log('servers: %s after %.0f s' % (seen, elapsed))


def wait_key(name, key_id):
    """Every server's association of a client authenticated with key ``key_id``, one of them its system peer."""
    return wait_state(get(name), all_servers_ok(key_id, synchronized=True), timeout=120)


def trusted(name):
    conf = get(name).file(CONF[SERVERS[name]]).content_string
    return [line for line in conf.splitlines() if line.startswith('trustedkey')]


def servers_hold(store):
    """Every server's keys file holds exactly the store's keys (both of a rotated name), and ntpd's and
    ntpsec's trust exactly their IDs."""
    for server, daemon in SERVERS.items():
        assert key_lines(get(server), daemon) == server_lines(store, daemon), server
        if daemon != 'chrony':
            assert trusted(server) == ['trustedkey ' + ' '.join(map(str, held_ids(store)))], server


def pids():
    return {name: lab.out(name, 'pidof %s' % PROCESS[daemon]) for name, daemon in CLIENTS.items()}


ATTACKER = 'tsn-sym-cli11'
# Rewrites the converged client's ntp.conf as a compromised host would: each "server X iburst key N" becomes a
# symmetric-active "peer X key N", and the client claims to be an orphan parent at stratum 3 (the servers: 5).
ATTACK = r"""
set -e
cp /etc/ntp.conf /root/ntp.conf.before-attack
sed -i -e 's/^server \(\S*\) iburst key \([0-9]*\)/peer \1 key \2/' -e '/^tos /d' /etc/ntp.conf
echo 'tos orphan 3 orphanwait 1' >> /etc/ntp.conf
grep -c '^peer .* key ' /etc/ntp.conf
systemctl restart ntp
"""


def received(name):
    """Packets the server's daemon received, by its own counters."""
    host = get(name)
    if SERVERS[name] == 'chrony':
        out = host.check_output('chronyc -n serverstats')
        return int(re.search(r'^NTP packets received\s*:\s*(\d+)', out, re.M).group(1))
    out = host.check_output('ntpq -n -c sysstats 127.0.0.1')
    return int(re.search(r'^(?:packets )?received(?: packets)?:\s*(\d+)', out, re.M).group(1))


def test_a_client_cannot_push_time_into_a_server():
    """A client holding a key every server trusts (its own) sends symmetric-active packets and claims a better
    stratum. No server - classic ntpd (restrict ... nopeer noepeer), ntpsec (no symmetric mode), chrony - mobilises
    an association for it or takes it as system peer (classic ntpd without noepeer does within seconds:
    CVE-2016-1549, docs/autokey.md)."""
    address = lab.out(ATTACKER, "getent ahostsv4 %s | awk 'NR==1{print $1}'" % ATTACKER)
    before = {name: received(name) for name in SERVERS}
    attacker = get(ATTACKER)
    assert attacker.check_output(ATTACK).splitlines()[0] == '3'
    try:
        _state, elapsed, claims = wait_state(attacker, lambda st: (st.get('system') or {}).get('stratum') == 3, timeout=120)
        assert claims, 'the attacking client never claimed stratum 3 after %d s: the test would prove nothing' % elapsed
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for name in SERVERS:
                st = status(get(name))
                assert not any(a.get('address') == address for a in st['associations']), (name, st['associations'])
                assert st['system'].get('stratum') == 5, (name, st['system'])
            time.sleep(5)
        # the attack reached every server (their own counters), and none lists the attacker
        assert all(received(name) > before[name] for name in SERVERS), (before, {n: received(n) for n in SERVERS})
        assert address not in get('tsn-sym-srv11').check_output('ntpq -n -c as -c pe 127.0.0.1')
        assert address not in get('tsn-sym-chr13').check_output('chronyc -n sources')
    finally:
        attacker.run('cp /root/ntp.conf.before-attack /etc/ntp.conf && systemctl restart ntp')


def restarted_at(name, daemon):
    """CLOCK_MONOTONIC (s) of the daemon's last start: the containers share the kernel's clock with this test."""
    return int(lab.out(name, 'systemctl show -p ActiveEnterTimestampMonotonic --value %s' % daemon)) / 1e6


def test_rotation_without_an_outage_and_a_revocation():
    """Run 1 (ntp_server_symmetric_rotate): the servers hold the old and the new key of the rotated client,
    the client moves to the new key; the other clients are untouched. Run 2 revokes another client's key
    (ntp_server_symmetric_revoke) and says nothing about the rotation: the rotation is kept (issue 26: it
    finishes only when asked), the revoked key leaves the store, the servers and the client in that one run,
    and the client is authenticated with its new key at the end. Run 3 (ntp_server_symmetric_rotate_finish):
    the servers drop the rotated client's old key; no client changes or restarts. Every client is synchronised
    and authenticated after each run."""
    old = read_store()[ROTATED]
    before = pids()
    others = [name for name in CLIENTS if name != ROTATED]
    start = lab.run_playbook('rotate-start', extra_vars={'ntp_server_symmetric_rotate': [ROTATED]})
    assert start.rc == 0, start.errors()
    mid = read_store()
    new_id = mid[ROTATED]['next']['id']
    assert (mid[ROTATED]['id'], mid[ROTATED]['value']) == (old['id'], old['value']) and new_id not in (1, 2, 3)
    servers_hold(mid)
    assert key_lines(get(ROTATED), CLIENTS[ROTATED]) == [line_of(mid[ROTATED]['next'], CLIENTS[ROTATED])]
    assert all(start.recap[name]['changed'] == 0 for name in others), start.recap
    assert all(pids()[name] == before[name] for name in others)
    for name in CLIENTS:
        key_id = new_id if name == ROTATED else mid[name]['id']
        state, elapsed, ok = wait_key(name, key_id)
        assert ok, state
        lab.log('rotation step 1: %s authenticated with key %d (%.0f s after the run)' % (name, key_id, elapsed))

    # Run 2: a revocation, and no word about the rotation
    leaked = mid[REVOKED]
    untouched = [name for name in CLIENTS if name not in (ROTATED, REVOKED)]
    middle = pids()
    revoke = lab.run_playbook('revoke', extra_vars={'ntp_server_symmetric_revoke': [REVOKED]})
    assert revoke.rc == 0, revoke.errors()
    after = read_store()
    RETIRED['revoked key of %s' % REVOKED] = leaked['value']
    assert after[ROTATED] == mid[ROTATED], 'a run that did not ask finished (or changed) the rotation'
    assert after[REVOKED]['id'] not in (leaked['id'], new_id) and after[REVOKED]['value'] != leaked['value']
    assert leaked['id'] not in held_ids(after) and leaked['value'] not in json.dumps(after)
    servers_hold(after)
    assert key_lines(get(REVOKED), CLIENTS[REVOKED]) == [line_of(after[REVOKED], CLIENTS[REVOKED])]
    assert all(revoke.recap[name]['changed'] == 0 for name in untouched + [ROTATED]), revoke.recap
    assert all(pids()[name] == middle[name] for name in untouched + [ROTATED])
    servers_started = [restarted_at(name, daemon) for name, daemon in SERVERS.items()]
    client_started = restarted_at(REVOKED, CLIENTS[REVOKED])
    state, _elapsed, ok = wait_key(REVOKED, after[REVOKED]['id'])
    authenticated = time.monotonic()
    assert ok, state
    lab.log('revocation outage of %s: servers restarted within %.1f s of each other; the client restarted %.1f s after '
            'the last of them and was authenticated with its new key %d by %.1f s after the first (polled)'
            % (REVOKED, max(servers_started) - min(servers_started), client_started - max(servers_started),
               after[REVOKED]['id'], authenticated - min(servers_started)))
    for name in CLIENTS:
        key_id = new_id if name == ROTATED else after[name]['id']
        state, _elapsed, ok = wait_key(name, key_id)
        assert ok, state

    # Run 3: finish the rotation
    middle = pids()
    finish = lab.run_playbook('rotate-finish', extra_vars={'ntp_server_symmetric_rotate_finish': [ROTATED]})
    assert finish.rc == 0, finish.errors()
    end = read_store()
    RETIRED['old key of %s' % ROTATED] = old['value']
    assert end[ROTATED] == mid[ROTATED]['next'], 'the new key did not become the only one'
    assert new_id in held_ids(end) and old['id'] not in held_ids(end)
    servers_hold(end)
    assert all(finish.recap[name]['changed'] == 0 for name in CLIENTS), finish.recap
    assert pids() == middle, 'a client restarted its daemon in the finishing run'
    for name in CLIENTS:
        state, _elapsed, ok = wait_key(name, end[name]['id'])
        assert ok, state


def test_no_key_in_logs_or_journals(store):
    secrets = dict({'key %s' % name: entry['value'] for name, entry in store.items()}, **RETIRED)
    assert RETIRED, 'the rotation test did not run first'
    _text, logs = lab.verbose_log('AnsiballZ_ntp_symmetric_key.py',
                                  'TASK [timesec.ntp.ntp_common : Write the symmetric keys file]')
    assert lab.logs_containing(logs, secrets) == []
    for name in DAEMONS:
        # The journal is searched on the controller (a grep there once read the journal as its patterns).
        found = lab.journal_containing(name, secrets)
        assert found == [], '%s: key in the journal: %s' % (name, found)
    # On each client the keys appear only in its keys file, and never another client's key.
    for name, daemon in CLIENTS.items():
        assert lab.files_containing(name, [store[name]['value']]) == [KEYS_FILE[daemon]]
        others = [entry['value'] for other, entry in store.items() if other != name] + list(RETIRED.values())
        assert lab.files_containing(name, others) == []


def test_wrong_key_never_syncs_and_reports_auth_bad(store):
    """An ntpsec and a chrony client get another value for their key ID: every server refuses them
    (ntpd and ntpsec with crypto-NAKs, which chronyd drops as it drops unauthenticated replies)."""
    wrong = {}
    for name in WRONG:
        daemon = CLIENTS[name]
        wrong[name] = dict(store[name], value='00' * 16)
        # the daemon names are also the services' names
        lab.sh(name, 'cat > %s && systemctl restart %s' % (KEYS_FILE[daemon], daemon),
               stdin=line_of(wrong[name], daemon) + '\n')

    def all_bad(key_id):
        def bad(state):
            assocs = state.get('associations', [])
            return len(assocs) == len(SERVERS) and all(a['auth'] == 'bad' and a['key_id'] == key_id for a in assocs)
        return bad

    for name in WRONG:
        state, _elapsed, ok = wait_state(get(name), all_bad(wrong[name]['id']), timeout=60)
        assert ok, state
    # Watch as long again as an authenticated client needed: never a system peer, never synchronised.
    seen = {name: [] for name in WRONG}

    def synced(name):
        def check(current):
            seen[name].append(current['summary'].get('synchronized'))
            return current['summary'].get('synchronized') or current.get('peer') is not None
        return check

    for name in WRONG:
        state, _elapsed, got_peer = wait_state(get(name), synced(name), timeout=20)
        assert not got_peer, state
        assert len(seen[name]) > 3
        assert not status(get(name))['summary']['authenticated']
    # chronyd kept asking all along (its requests went out), and no reply was valid (chrony 4.0 has no
    # "Total good RX" line; a reply that fails authentication is not valid).
    ntpdata = lab.out('tsn-sym-chrc11', 'chronyc ntpdata')
    counts = [(key.strip(), int(value)) for key, value in
              (line.split(':', 1) for line in ntpdata.splitlines() if line.startswith('Total'))]
    sent = [value for key, value in counts if key == 'Total TX']
    valid = [value for key, value in counts if key == 'Total valid RX']
    assert len(sent) == len(valid) == len(SERVERS) and all(value >= 3 for value in sent), ntpdata
    assert valid == [0] * len(SERVERS), ntpdata
