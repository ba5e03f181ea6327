"""Symmetric keys on classic ntpd 4.2.8 (Debian 11) and ntpsec 1.2.2 (Debian 12), one site.yml run.

Each client uses both servers with its own key, so both directions ntpd<->ntpsec are proven by the
daemons' own ntpq (auth ok, the client's key ID, reach). The key files hold exactly the keys each
host may know; a rotation in two site.yml runs keeps the clients synchronised; no key value (old or
new) is in the -vvv --diff log or a journal; a client given a wrong key never syncs and reports auth
bad. Waits are bounded and end as soon as the state is there.
"""

import json
import os

import pytest
import testinfra

import lab
from ntpcheck import status, wait_state

SERVERS = {'tsn-sym-srv11': 'ntp', 'tsn-sym-srv12': 'ntpsec'}
CLIENTS = {'tsn-sym-cli11': 'ntp', 'tsn-sym-cli12': 'ntpsec'}
KEYS_FILE = {'ntp': '/etc/ntp.keys', 'ntpsec': '/etc/ntpsec/ntp.keys'}
CONF = {'ntp': '/etc/ntp.conf', 'ntpsec': '/etc/ntpsec/ntp.conf'}
STORE = os.path.join(lab.EPHEMERAL, 'symmetric-keys', 'keys.json')
WRONG = 'tsn-sym-cli12'
ROTATED = 'tsn-sym-cli11'
# Key values that left the store (the rotation's old key): the leak search looks for them too.
RETIRED = {}


def get(name):
    return testinfra.get_host('podman://' + name)


def read_store():
    with open(STORE) as handle:
        return json.load(handle)['keys']


@pytest.fixture
def store():
    return read_store()


def key_lines(host, daemon):
    return sorted(line for line in host.file(KEYS_FILE[daemon]).content_string.splitlines()
                  if line.strip() and not line.startswith('#'))


def line_of(entry):
    return '%d %s %s' % (entry['id'], entry['type'], entry['value'])


def test_store_has_one_key_per_client(store):
    assert sorted(store) == sorted(CLIENTS)
    assert sorted(entry['id'] for entry in store.values()) == [1, 2]
    assert {entry['type'] for entry in store.values()} == {'AES128CMAC'}
    assert oct(os.stat(os.path.dirname(STORE)).st_mode & 0o777) == '0o700'
    assert oct(os.stat(STORE).st_mode & 0o777) == '0o600'


@pytest.mark.parametrize('name', sorted(SERVERS) + sorted(CLIENTS))
def test_keys_file_holds_only_its_keys(name, store):
    daemon = dict(SERVERS, **CLIENTS)[name]
    host = get(name)
    keys = host.file(KEYS_FILE[daemon])
    assert (keys.user, keys.group, keys.mode) == ('root', daemon, 0o640)
    conf = host.file(CONF[daemon]).content_string
    if name in SERVERS:
        expected = sorted(line_of(entry) for entry in store.values())
        assert '\ntrustedkey 1 2\n' in conf, conf
    else:
        expected = [line_of(store[name])]
        key_id = store[name]['id']
        assert '\ntrustedkey %d\n' % key_id in conf, conf
        for server in SERVERS:
            assert '\nserver %s iburst key %d minpoll 4 maxpoll 6\n' % (server, key_id) in conf, conf
    assert '\nkeys %s\n' % KEYS_FILE[daemon] in conf
    assert key_lines(host, daemon) == expected


@pytest.mark.parametrize('name', sorted(CLIENTS))
def test_client_authenticated_by_both_servers(name, store):
    """Both associations (the ntpd and the ntpsec server) pass with the client's key, one is sys.peer."""
    key_id = store[name]['id']

    def both_ok(state):
        assocs = state.get('associations', [])
        return (state['summary'].get('symmetric') and len(assocs) == 2
                and all(a['auth'] == 'ok' and a['reach'] == 'yes' and a['key_id'] == key_id and a['symmetric']
                        for a in assocs))

    state, elapsed, ok = wait_state(get(name), both_ok, timeout=120)
    assert ok, state
    assert state['summary']['authenticated'] and state['summary']['synchronized'], state['summary']
    assert state['summary']['key_id'] == key_id
    lab.log('%s: both servers authenticated with key %d after %.0f s more' % (name, key_id, elapsed))


def test_status_playbook_shows_the_keys(store):
    """playbooks/status.yml: one line per server with auth and key ID, and symmetric=True in the summary."""
    run = lab.run_playbook('status', playbook='timesec.ntp.status')
    assert run.rc == 0, run.errors()
    for name in CLIENTS:
        assert run.output.count('auth=ok   key=%d ' % store[name]['id']) == 2, run.logfile
    assert run.output.count('authenticated=True identity_verified=False nts=False symmetric=True') == 2, run.logfile


@pytest.mark.parametrize('name', sorted(SERVERS))
def test_server_serves_and_refuses_nothing_authenticated(name):
    """The servers answered the clients' authenticated requests without an authentication failure."""
    host = get(name)
    stats = host.check_output('ntpq -n -c sysstats')
    failed = [line for line in stats.splitlines() if line.startswith('authentication failed')]
    assert failed and failed[0].split()[2] == '0', stats


def wait_key(name, key_id):
    """Both associations of a client authenticated with key ``key_id``, one of them its system peer."""
    def ok(state):
        assocs = state.get('associations', [])
        return (state['summary'].get('symmetric') and state['summary'].get('synchronized') and len(assocs) == 2
                and all(a['auth'] == 'ok' and a['key_id'] == key_id for a in assocs))
    return wait_state(get(name), ok, timeout=120)


def trusted(name):
    conf = get(name).file(CONF[SERVERS[name]]).content_string
    return [line for line in conf.splitlines() if line.startswith('trustedkey')]


def pids():
    return {name: lab.out(name, 'pidof ntpd') for name in CLIENTS}


def test_rotation_without_an_outage():
    """Run 1 (ntp_server_symmetric_rotate): the servers hold the old and the new key of the rotated client,
    the client moves to the new key; the other client is untouched. Run 2 (no rotate): the servers drop
    the old key; neither client changes or restarts. Every client is synchronised and authenticated after each run."""
    old = read_store()[ROTATED]
    before = pids()
    start = lab.run_playbook('rotate-start', extra_vars={'ntp_server_symmetric_rotate': [ROTATED]})
    assert start.rc == 0, start.errors()
    mid = read_store()
    new_id = mid[ROTATED]['next']['id']
    assert (mid[ROTATED]['id'], mid[ROTATED]['value']) == (old['id'], old['value']) and new_id not in (1, 2)
    assert all(trusted(server) == ['trustedkey 1 2 %d' % new_id] for server in SERVERS)
    assert key_lines(get(ROTATED), CLIENTS[ROTATED]) == [line_of(mid[ROTATED]['next'])]
    assert start.recap['tsn-sym-cli12']['changed'] == 0, start.recap
    assert pids()['tsn-sym-cli12'] == before['tsn-sym-cli12']
    for name, key_id in ((ROTATED, new_id), ('tsn-sym-cli12', mid['tsn-sym-cli12']['id'])):
        state, elapsed, ok = wait_key(name, key_id)
        assert ok, state
        lab.log('rotation step 1: %s authenticated with key %d (%.0f s after the run)' % (name, key_id, elapsed))

    middle = pids()
    finish = lab.run_playbook('rotate-finish')
    assert finish.rc == 0, finish.errors()
    end = read_store()
    RETIRED['old key of %s' % ROTATED] = old['value']
    assert end[ROTATED] == mid[ROTATED]['next'], 'the new key did not become the only one'
    assert all(trusted(server) == ['trustedkey 2 %d' % new_id] for server in SERVERS)
    assert all(finish.recap[name]['changed'] == 0 for name in CLIENTS), finish.recap
    assert pids() == middle, 'a client restarted ntpd in the finishing run'
    for name in CLIENTS:
        state, _elapsed, ok = wait_key(name, end[name]['id'])
        assert ok, state


def test_no_key_in_logs_or_journals(store):
    secrets = dict({'key %s' % name: entry['value'] for name, entry in store.items()}, **RETIRED)
    assert RETIRED, 'the rotation test did not run first'
    _text, logs = lab.verbose_log('AnsiballZ_ntp_symmetric_key.py',
                                  'TASK [timesec.ntp.ntp_common : Write the symmetric keys file]')
    assert lab.logs_containing(logs, secrets) == []
    for name in list(SERVERS) + list(CLIENTS):
        journal = lab.sh(name, 'journalctl --no-pager -o cat | grep -cF -f /dev/stdin',
                         stdin='\n'.join(secrets.values()) + '\n', check=False)
        assert journal.stdout.strip() == '0', '%s: key in the journal' % name
    # On each client the keys appear only in its keys file, and never the other client's key.
    for name, daemon in CLIENTS.items():
        assert lab.files_containing(name, [store[name]['value']]) == [KEYS_FILE[daemon]]
        others = [entry['value'] for other, entry in store.items() if other != name] + list(RETIRED.values())
        assert lab.files_containing(name, others) == []


def test_wrong_key_never_syncs_and_reports_auth_bad(store):
    """The client's key file gets another value for its key ID: both servers answer with crypto-NAKs."""
    host = get(WRONG)
    entry = dict(store[WRONG], value='00' * 16)
    lab.sh(WRONG, 'cat > /etc/ntpsec/ntp.keys && systemctl restart ntpsec', stdin=line_of(entry) + '\n')

    def all_bad(state):
        assocs = state.get('associations', [])
        return len(assocs) == 2 and all(a['auth'] == 'bad' and a['key_id'] == entry['id'] for a in assocs)

    state, elapsed, ok = wait_state(host, all_bad, timeout=60)
    assert ok, state
    # Watch as long again as an authenticated client needed: never a system peer, never synchronised.
    seen = []

    def synced(current):
        seen.append((current['summary'].get('synchronized'), current.get('peer') is not None))
        return current['summary'].get('synchronized') or current.get('peer') is not None

    state, _elapsed, got_peer = wait_state(host, synced, timeout=40)
    assert not got_peer, state
    assert len(seen) > 5
    assert not status(host)['summary']['authenticated']
