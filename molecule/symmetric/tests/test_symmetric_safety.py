"""Changes that cannot break a running site (issue 26), on the three daemons of this scenario. Runs after
test_symmetric.py (file order), on its converged hosts.

- The original files: the package's configuration and a keys file of the user's own are kept next to the roles'
  files as <file>.orig-timesec, with their modes, once.
- Unauthenticated clock steppers (ntpdate, ntpsec-ntpdate, installed by prepare.yml) are purged with their hooks,
  and the client's verify step fails on one left behind.
- Reconcile: a key rotation fails at the firewall step (a file where nftables' drop-in directory belongs) - in
  site.yml (force_handlers: the daemons restart all the same) and in a playbook without force_handlers (they keep
  the old keys); the re-run restarts every daemon that runs older files than those on disk, and the clients that
  moved to their new keys are authenticated by all three servers.
- No broken configuration goes live: classic ntpd and chronyd refuse it before it replaces the old file, ntpsec
  gets its previous file back after its restart; each run fails naming the line.
"""

import json
import os
import re

import pytest
from labkit.hosts import container_host

import lab
from ntpcheck import wait_state

SERVERS = {'tsn-sym-srv11': 'ntp', 'tsn-sym-srv12': 'ntpsec', 'tsn-sym-chr13': 'chrony'}
CLIENTS = {'tsn-sym-cli11': 'ntp', 'tsn-sym-cli12': 'ntpsec', 'tsn-sym-chrc11': 'chrony'}
DAEMONS = dict(SERVERS, **CLIENTS)
CONF = {'ntp': '/etc/ntp.conf', 'ntpsec': '/etc/ntpsec/ntp.conf', 'chrony': '/etc/chrony/chrony.conf'}
KEYS_FILE = {'ntp': '/etc/ntp.keys', 'ntpsec': '/etc/ntpsec/ntp.keys', 'chrony': '/etc/chrony/chrony.keys'}
SERVICE = {'ntp': 'ntp', 'ntpsec': 'ntpsec', 'chrony': 'chrony'}
# Debian's stock configurations all use the Debian pool; the roles' never do.
STOCK_LINE = re.compile(r'^pool [0-9]\.debian\.pool\.ntp\.org iburst', re.M)
USER_KEYS = '42 SHA1 0123456789abcdef0123456789abcdef01234567'
STEPPER_HOSTS = {'tsn-sym-cli11': 'ntpdate', 'tsn-sym-cli12': 'ntpsec-ntpdate', 'tsn-sym-chr13': 'ntpsec-ntpdate'}
HOOK = '/etc/network/if-up.d/ntpsec-ntpdate'
# The firewall step fails on a file where its drop-in directory belongs (a real failure after the config step).
BREAK_FIREWALL = 'rm -rf /etc/nftables.d && touch /etc/nftables.d'
FIX_FIREWALL = 'rm -f /etc/nftables.d'
ROTATE_FIRST, ROTATE_SECOND = 'tsn-sym-cli12', 'tsn-sym-chrc11'
ORIGINALS = {}
SCENARIO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STORE = os.path.join(lab.EPHEMERAL, 'symmetric-keys', 'keys.json')


def read_store():
    with open(STORE) as handle:
        return json.load(handle)['keys']


def get(name):
    return container_host(name)


def pid(name):
    return lab.out(name, 'systemctl show -p MainPID --value %s' % SERVICE[DAEMONS[name]])


def sha(name, path):
    return lab.out(name, 'sha256sum %s' % path).split()[0]


def originals(name):
    """{copy: (owner, group, mode, sha256)} of the *.orig-timesec files of a host's daemon."""
    daemon = DAEMONS[name]
    found = {}
    for path in (CONF[daemon], KEYS_FILE[daemon]):
        copy = get(name).file(path + '.orig-timesec')
        if copy.exists:
            found[copy.path] = (copy.user, copy.group, copy.mode, sha(name, copy.path))
    return found


def test_original_files_are_kept():
    """The stock configuration (and chrony's stock keys file, 0640) of every host, and the user's
    own keys file of tsn-sym-cli12 (0600), next to the roles' files."""
    for name, daemon in DAEMONS.items():
        host = get(name)
        copy = host.file(CONF[daemon] + '.orig-timesec')
        assert copy.exists, '%s: no copy of the original %s' % (name, CONF[daemon])
        assert STOCK_LINE.search(copy.content_string) and 'timesec.ntp' not in copy.content_string, name
        assert (copy.user, copy.group, copy.mode) == ('root', 'root', 0o644), name
        assert 'written by timesec.ntp' in host.file(CONF[daemon]).content_string
        ORIGINALS[name] = originals(name)
    # chrony's stock keys file as Debian ships it: 0640 root:root (chrony 4.0, Debian 11), root:_chrony (Debian 13)
    for name, group in (('tsn-sym-chr13', '_chrony'), ('tsn-sym-chrc11', 'root')):
        keys = ORIGINALS[name]['/etc/chrony/chrony.keys.orig-timesec']
        assert keys[:3] == ('root', group, 0o640), (name, keys)
    own = get('tsn-sym-cli12').file('/etc/ntpsec/ntp.keys.orig-timesec')
    assert (own.user, own.group, own.mode) == ('root', 'root', 0o600)
    assert USER_KEYS in own.content_string
    assert USER_KEYS not in get('tsn-sym-cli12').file('/etc/ntpsec/ntp.keys').content_string


@pytest.mark.parametrize('name', sorted(STEPPER_HOSTS))
def test_unauthenticated_steppers_are_purged(name):
    """prepare.yml installed them; the roles purged them, hooks (conffiles) included."""
    package = STEPPER_HOSTS[name]
    state = lab.sh(name, "dpkg-query -W -f='${db:Status-Abbrev}' %s" % package, check=False).stdout.strip()
    assert state in ('', 'un', 'pn'), '%s: %s is %r' % (name, package, state)
    left = lab.sh(name, 'ls -d /etc/network/if-up.d/*ntpdate* /etc/dhcp/dhclient-exit-hooks.d/*ntpdate* '
                        '/etc/NetworkManager/dispatcher.d/*ntpdate* /usr/sbin/ntpdate* 2>/dev/null', check=False).stdout
    assert left.strip() == '', '%s: %s' % (name, left)


def servers_ok(key_id):
    """Every server's association passes with ``key_id``, one of them the system peer (the daemons' own view,
    read with the collection's readers)."""
    def ok(state):
        assocs = state.get('associations', [])
        return (len(assocs) == len(SERVERS) and state['summary'].get('synchronized')
                and all(a['auth'] == 'ok' and a['reach'] == 'yes' and a['key_id'] == key_id for a in assocs))
    return ok


def raw_authenticated(name, key_id):
    """The daemon's own words: ntpq's association list (auth ok, three times) or chronyc's (every source with
    key_id, one selected: authselectmode require selects authenticated sources only)."""
    if DAEMONS[name] == 'chrony':
        auth = lab.out(name, 'chronyc -n -c authdata')
        sources = lab.out(name, 'chronyc -n -c sources')
        return (len(auth.splitlines()) == len(SERVERS)
                and all(line.split(',')[1] == 'SK' and line.split(',')[2] == str(key_id) for line in auth.splitlines())
                and any(line.split(',')[1] == '*' for line in sources.splitlines()))
    lines = lab.out(name, 'ntpq -n -c associations').splitlines()[2:]
    return len(lines) == len(SERVERS) and all(line.split()[5] == 'ok' for line in lines)


def active_key(store, name):
    entry = store[name]
    return (entry.get('next') or entry)['id']


def test_a_failed_rotation_is_reconciled():
    """Run A (site.yml, servers only): tsn-sym-cli12's key rotates, the firewall step fails; force_handlers still
    restarts every server on its new keys file. Run B (a playbook without force_handlers): tsn-sym-chrc11's key
    rotates, the firewall step fails, no server restarts. Run C (site.yml, firewall fixed): the servers' files are
    unchanged, yet each restarts (its daemon started before its keys file changed), and both clients, now on their
    new keys, are authenticated by all three servers."""
    extra = {'ntp_server_firewall': 'nftables'}
    for name in SERVERS:
        lab.sh(name, BREAK_FIREWALL)
    try:
        before = {name: pid(name) for name in SERVERS}
        run_a = lab.run_playbook('reconcile-a-site', limit='ntp_servers',
                                 extra_vars=dict(extra, ntp_server_symmetric_rotate=[ROTATE_FIRST]))
        assert run_a.rc not in (0, -1), run_a
        assert all(run_a.recap[name]['failed'] == 1 for name in SERVERS), run_a.recap
        assert run_a.says('/etc/nftables.d already exists as a file'), run_a.errors()
        store = read_store()
        first_id = store[ROTATE_FIRST]['next']['id']
        after_a = {name: pid(name) for name in SERVERS}
        assert all(after_a[name] != before[name] for name in SERVERS), ('force_handlers did not restart', before, after_a)

        run_b = lab.run_playbook('reconcile-b-no-force-handlers', playbook=os.path.join(SCENARIO, 'servers.yml'),
                                 extra_vars=dict(extra, ntp_server_symmetric_rotate=[ROTATE_FIRST, ROTATE_SECOND]))
        assert run_b.rc not in (0, -1), run_b
        assert all(run_b.recap[name]['failed'] == 1 for name in SERVERS), run_b.recap
        store = read_store()
        second_id = store[ROTATE_SECOND]['next']['id']
        for name, daemon in SERVERS.items():
            assert re.search(r'^%d ' % second_id, get(name).file(KEYS_FILE[daemon]).content_string, re.M), name
        after_b = {name: pid(name) for name in SERVERS}
        assert after_b == after_a, 'a server restarted without force_handlers'
    finally:
        for name in SERVERS:
            lab.sh(name, FIX_FIREWALL)

    run_c = lab.run_playbook('reconcile-c-rerun', extra_vars=dict(extra, ntp_server_symmetric_rotate=[ROTATE_FIRST, ROTATE_SECOND]))
    assert run_c.rc == 0, run_c.errors()
    for name, daemon in SERVERS.items():
        assert run_c.says('%s (PID %s) started before %s' % (SERVICE[daemon], after_b[name], CONF[daemon])) or \
            run_c.says('%s (PID %s) started before %s' % (SERVICE[daemon], after_b[name], KEYS_FILE[daemon])), name
    after_c = {name: pid(name) for name in SERVERS}
    assert all(after_c[name] != after_b[name] for name in SERVERS), (after_b, after_c)
    store = read_store()
    assert active_key(store, ROTATE_FIRST) == first_id and active_key(store, ROTATE_SECOND) == second_id
    for name in CLIENTS:
        key_id = active_key(store, name)
        state, elapsed, ok = wait_state(get(name), servers_ok(key_id), timeout=120)
        assert ok, (name, key_id, state)
        assert raw_authenticated(name, key_id), name
        lab.log('reconcile: %s authenticated by every server with key %d (%.0f s)' % (name, key_id, elapsed))


@pytest.fixture(scope='module')
def broken():
    """timesec.ntp.ntp_common's own steps on the three servers with a source line no daemon can parse."""
    before = {name: (sha(name, CONF[daemon]), pid(name)) for name, daemon in SERVERS.items()}
    run = lab.run_playbook('broken-config', playbook=os.path.join(SCENARIO, 'broken_config.yml'))
    return before, run


@pytest.mark.parametrize('name', ['tsn-sym-srv11', 'tsn-sym-chr13'])
def test_a_config_the_daemon_refuses_never_goes_live(broken, name):
    """Classic ntpd (--saveconfigquit) and chronyd (-p) read it first: the old file stays, the daemon keeps
    running (same PID), and the run fails naming the line."""
    before, run = broken
    daemon = SERVERS[name]
    assert run.recap[name]['failed'] == 1, run.recap
    process = 'chronyd' if daemon == 'chrony' else 'ntpd'
    assert run.says('%s refused the new %s: line' % (process, CONF[daemon])), run.errors()
    assert run.says('server 192.0.2.1 iburst no-such-option'), run.errors()
    assert run.says('keeps running the previous one')
    assert (sha(name, CONF[daemon]), pid(name)) == before[name]


def test_ntpsec_gets_its_previous_file_back(broken):
    """ntpsec read the new file and skipped the line; the previous file went back, ntpsec runs it again (a new
    PID, no syntax error in its current run's log), and no backup is left behind."""
    before, run = broken
    name = 'tsn-sym-srv12'
    assert run.recap[name]['failed'] == 1, run.recap
    assert run.says('ntpd skipped lines of the new /etc/ntpsec/ntp.conf as syntax errors: line'), run.errors()
    assert run.says('server 192.0.2.1 iburst no-such-option'), run.errors()
    assert run.says('The previous file went back, and ntpsec runs on it again.'), run.errors()
    assert sha(name, CONF['ntpsec']) == before[name][0]
    assert pid(name) != before[name][1]
    assert lab.out(name, 'ls /etc/ntpsec/ | grep -c "~$" || true') == '0'
    log = lab.out(name, 'journalctl _SYSTEMD_INVOCATION_ID=$(systemctl show -p InvocationID --value ntpsec) -o cat')
    assert 'readconfig: parsing file: /etc/ntpsec/ntp.conf' in log and 'syntax error' not in log, log[-2000:]


def test_clients_stay_authenticated_after_the_refused_configs(broken):
    store = read_store()
    for name in CLIENTS:
        key_id = active_key(store, name)
        state, _elapsed, ok = wait_state(get(name), servers_ok(key_id), timeout=120)
        assert ok, (name, state)


def test_verify_reports_a_stepper_left():
    """A hook no package owns (the roles purge packages only): the client's verify step fails naming it."""
    name = 'tsn-sym-cli12'
    lab.sh(name, 'mkdir -p /etc/network/if-up.d && printf "#!/bin/sh\\nntpdate-debian -s\\n" > %s && chmod 755 %s'
           % (HOOK, HOOK))
    try:
        run = lab.run_playbook('stepper-left', limit=name)
    finally:
        lab.sh(name, 'rm -f %s' % HOOK)
    assert run.rc not in (0, -1), run
    assert run.recap[name]['failed'] == 1, run.recap
    assert run.says('has hooks or tools that step the clock from plain, unauthenticated NTP: %s' % HOOK), run.errors()


def test_the_originals_were_kept_once():
    """Every run since (rotations, refused configurations) left the copies as they were."""
    assert ORIGINALS, 'test_original_files_are_kept did not run first'
    for name in DAEMONS:
        assert originals(name) == ORIGINALS[name], name
