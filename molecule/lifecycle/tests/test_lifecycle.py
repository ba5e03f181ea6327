"""Issue 7 - lifecycle, faults and secrets - on 1 server + 2 clients after converge (site.yml).

Sequential phases of one lab, numbered as the issue's steps. Each phase starts from a healthy lab
(both clients IFF-authenticated: the ``healthy`` fixture waits for it) and leaves it healthy, so
any phase can run alone after converge (pytest -k step4):

  step0  converge left every client authenticated by IFF
  step1  restart ntpd on the server; every client accepts an authenticated reply from it
  step2  stop and start client2's container: systemd starts ntpd again and it authenticates
  step3  renew the server certificate (renewal window 5 days > its 2-day lifetime) keeping host and
         IFF keys; client1 keeps authenticating without the client role, and client2, once its ntpd
         restarts, authenticates the renewed certificate
  step4  rotate the IFF group key with --limit excluding client2: client1 gets the new parameters;
         client2 fails IFF once its ntpd restarts, the client role's verify step (run alone)
         reports why, and a run without --limit heals it
  step5  a wrong client password fails naming ntp_client_crypto_password and changes nothing;
         regenerate=always with a new password re-authenticates; then back to the scenario's
  step6  no password of the scenario in any log, in any file but /etc/ntp.conf, or in the journal

The bad-input cases (issue 7's step 7) are their own scenario, molecule/input.
Waits are bounded; durations are printed and written to $MOLECULE_EPHEMERAL_DIRECTORY/
lifecycle-times.json, never asserted.
"""

import glob
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from labkit.hosts import container_host

import lab
from ansible_collections.timesec.ntp.plugins.module_utils import autokey, keygen  # on sys.path through lab
from lab import EXPORT_DIR, INVENTORY, KEYSDIR
from ntpcheck import authenticated_since, status, wait_state

SERVER, CLIENT1, CLIENT2 = 'tsn-life-server', 'tsn-life-client1', 'tsn-life-client2'
CLIENTS = (CLIENT1, CLIENT2)
GROUP = SERVER  # ntp_server_group_name defaults to the FQDN, which is the container's host name
VERIFY_PLAYBOOK = os.path.join(os.environ['MOLECULE_SCENARIO_DIRECTORY'], 'verify_role.yml')
WRONG_PASSWORD = 'Wrong-Client-Pw-4t'
NEW_PASSWORD = 'New-Client-Pw-2w'
# The links ntpd opens, named by the collection's own keygen helper.
SERVER_LINKS = {'host': keygen.link_names('host', SERVER)[0], 'cert': keygen.link_names('cert', SERVER)[0],
                'iffkey': keygen.link_names('iffkey', SERVER, GROUP)[-1]}
IFFPAR_LINK = autokey.LINK_PREFIX['iffpar'] + GROUP
SERVER_SUBJECT = '%s@%s' % (SERVER, GROUP)


class Lab:
    def __init__(self):
        self.hosts = {name: container_host(name) for name in (SERVER,) + CLIENTS}
        self.server_password = lab.group_vars('ntp_servers')['ntp_server_crypto_password']
        self.client_password = lab.group_vars('ntp_clients')['ntp_client_crypto_password']
        self.pool = ThreadPoolExecutor(max_workers=4)
        self.times = {}
        self.notes = {}

    def time(self, label, seconds):
        self.times[label] = round(seconds, 1)
        lab.log('time: %s = %.1f s' % (label, seconds))

    def note(self, label, value):
        self.notes[label] = value
        lab.log('note: %s = %s' % (label, value))

    def state(self, name):
        state = status(self.hosts[name])
        state['peer'] = next((a for a in state['associations'] if a['condition'] == 'sys.peer'), None)
        return state


@pytest.fixture(scope='module')
def life():
    os.makedirs(lab.WORK, exist_ok=True)
    started = time.monotonic()
    the_lab = Lab()
    yield the_lab
    the_lab.pool.shutdown(wait=True, cancel_futures=True)
    the_lab.time('verify total', time.monotonic() - started)
    report = {'times_s': the_lab.times, 'notes': the_lab.notes}
    with open(os.path.join(lab.EPHEMERAL, 'lifecycle-times.json'), 'w') as handle:
        json.dump(report, handle, indent=2, default=str)
    lab.log('report: ' + json.dumps(report, indent=2, default=str))


@pytest.fixture
def healthy(life):
    """Each phase's precondition: both clients authenticated by IFF (the previous phase's end state)."""
    results = wait_all(life, {name: (lambda s: s['summary']['identity_verified']) for name in CLIENTS}, 180)
    for name, (state, _elapsed, ok) in results.items():
        assert ok, 'precondition: %s is not authenticated by IFF: %s' % (name, brief(state))
    return life


def brief(state):
    """A state as one line for assertion messages (no secrets in it)."""
    peer = state.get('peer') or next(iter(state.get('associations') or []), {}) or {}
    return 'summary=%s condition=%s auth=%s flags=%s flash=%s reach=%s error=%s' % (
        state.get('summary'), peer.get('condition'), peer.get('auth'), (peer.get('flags') or {}).get('names'),
        peer.get('flash'), peer.get('reach_register'), state.get('error'))


def server_cert_expiry(state):
    """What a client's ntpd holds as the server certificate's expiry (ntp_status_info's view)."""
    return [c['expires'] for c in state['system']['certificates'] if c['subject'] == SERVER_SUBJECT]


def minute(when):
    return when.strftime('%Y-%m-%dT%H:%M:00+00:00')


def wait_all(the_lab, predicate_by_host, timeout):
    """wait_state on several hosts at once; {host: (state, elapsed, satisfied)}."""
    futures = {name: the_lab.pool.submit(wait_state, the_lab.hosts[name], predicate, timeout)
               for name, predicate in predicate_by_host.items()}
    return {name: future.result() for name, future in futures.items()}


def iffpar_sha(name):
    return lab.keys_file_sha(name, IFFPAR_LINK)


def export_sha():
    return lab.controller_sha(os.path.join(EXPORT_DIR, SERVER, 'ntpkey_iffpar'))


def keys_listing(name):
    return lab.out(name, 'ls -la --time-style=full-iso %s' % KEYSDIR)


def fstamp(file_name):
    """The filestamp (NTP seconds) at the end of an ntp-keygen file name."""
    return autokey.parse_filename(file_name)['fstamp']


def iffpar_name(stamp):
    return autokey.iffpar_filename(GROUP, stamp)


# --- the phases ------------------------------------------------------------------------------------

def test_step0_converged_and_authenticated(life):
    results = wait_all(life, {name: (lambda s: s['summary']['identity_verified']) for name in CLIENTS}, 120)
    for name, (state, _elapsed, ok) in results.items():
        assert ok, '%s is not authenticated by IFF after converge: %s' % (name, brief(state))
        peer = state['peer']
        assert peer['identity'] == 'iff' and peer['host'] == SERVER_SUBJECT and peer['ident'] == GROUP
        assert {'CERT', 'VRFY', 'IFF', 'PROV'} <= set(peer['flags']['names'])
    # The converge's certificate is the short one of the inventory (2 days): step 3 renews it.
    not_after = lab.cert_not_after(SERVER, SERVER_LINKS['cert'])
    left = not_after.timestamp() - time.time()
    assert 86400 < left <= 2 * 86400, 'server certificate expires in %.0f s, expected about 2 days' % left


def test_step1_server_restart(healthy):
    life = healthy
    """Step 1: clients accept authenticated replies from a restarted server within a bounded wait."""
    flags_before = {name: life.state(name)['peer']['flags']['hex'] for name in CLIENTS}
    pid_before = lab.ntpd_pid(SERVER)
    lab.sh(SERVER, 'systemctl restart ntp')
    restarted = time.time()
    pid_after = lab.ntpd_pid(SERVER)
    assert pid_after not in ('0', pid_before), 'ntpd on the server did not restart (MainPID %s -> %s)' % (pid_before, pid_after)

    lost = {name: set() for name in CLIENTS}

    def since_restart(name):
        def check(state):
            lost[name].add(bool(state['summary']['identity_verified']))
            return authenticated_since(state, restarted)
        return check

    results = wait_all(life, {name: since_restart(name) for name in CLIENTS}, 120)
    for name, (state, elapsed, ok) in results.items():
        assert ok, '%s: no IFF-authenticated reply from the restarted server within 120 s: %s' % (name, brief(state))
        life.time('step 1: %s authenticated reply after server restart' % name, elapsed)
        life.note('step 1: %s flags before/after server restart' % name, (flags_before[name], state['peer']['flags']['hex']))
        life.note('step 1: %s lost authentication while waiting' % name, False in lost[name])


def restart_client_container(life, name, expected_expiry):
    """Step 2: podman stop/start; systemd starts ntpd; a fresh Autokey exchange follows."""
    start = time.monotonic()
    started_before, started_after = lab.restart_container(name)
    life.time('step 2: podman stop+start %s' % name, time.monotonic() - start)
    active, active_after, ok_active = lab.wait_for(
        'ntpd active on ' + name, lambda: lab.sh(name, 'systemctl is-active ntp', check=False).stdout.strip() == 'active', 60)
    enabled = lab.sh(name, 'systemctl is-enabled ntp', check=False).stdout.strip()
    state, elapsed, ok = wait_state(
        life.hosts[name], lambda s: s['summary']['identity_verified'] and expected_expiry in server_cert_expiry(s), 180)
    return {'started': (started_before, started_after), 'ntpd_active': ok_active, 'enabled': enabled,
            'state': state, 'ok': ok, 'since_start': time.monotonic() - start, 'auth_elapsed': elapsed}


def test_step2_client_container_restart(healthy):
    """Step 2: podman stop/start of client2; its systemd starts ntpd; a fresh Autokey exchange follows."""
    life = healthy
    expected_expiry = minute(lab.cert_not_after(SERVER, SERVER_LINKS['cert']))
    result = restart_client_container(life, CLIENT2, expected_expiry)
    assert result['started'][0] != result['started'][1], 'client2 container did not restart: %s' % (result['started'],)
    assert result['ntpd_active'], 'systemd did not start ntpd again after the container restart'
    assert result['enabled'] == 'enabled'
    assert result['ok'], ('client2 did not authenticate the server certificate (expiry %s) within 180 s '
                          'after its container restart: %s, certificates %s'
                          % (expected_expiry, brief(result['state']), server_cert_expiry(result['state'])))
    life.time('step 2: client2 authenticated, from podman stop', result['since_start'])


def test_step3_certificate_renewal(healthy):
    """Step 3: renewal keeps the keys; the clients keep authenticating without the client role."""
    life = healthy
    links = {part: lab.link_target(SERVER, link) for part, link in SERVER_LINKS.items()}
    key_sha = {part: lab.keys_file_sha(SERVER, SERVER_LINKS[part]) for part in ('host', 'iffkey')}
    not_after = lab.cert_not_after(SERVER, SERVER_LINKS['cert'])
    server_pid = lab.ntpd_pid(SERVER)
    client1 = {'conf': lab.conf_sha(CLIENT1), 'keys': keys_listing(CLIENT1), 'iffpar': iffpar_sha(CLIENT1)}

    run = lab.run_playbook('step3-renew-server-cert', limit=SERVER, extra_vars={'ntp_server_cert_renew_before_days': 5})
    renewed = time.time()
    life.time('step 3: renewal run (server only)', run.seconds)
    assert run.rc == 0, run.errors()
    assert run.recap[SERVER]['failed'] == 0 and run.recap[SERVER]['changed'] >= 1, run.recap

    new_not_after = lab.cert_not_after(SERVER, SERVER_LINKS['cert'])
    expected_expiry = minute(new_not_after)

    assert new_not_after > not_after, 'certificate not renewed: notAfter %s -> %s' % (not_after, new_not_after)
    assert lab.link_target(SERVER, SERVER_LINKS['host']) == links['host'], 'the host key link moved'
    assert lab.keys_file_sha(SERVER, SERVER_LINKS['host']) == key_sha['host'], 'the host key changed'
    assert lab.link_target(SERVER, SERVER_LINKS['iffkey']) == links['iffkey'], 'the IFF key link moved'
    assert lab.keys_file_sha(SERVER, SERVER_LINKS['iffkey']) == key_sha['iffkey'], 'the IFF group key changed'
    life.note('step 3: certificate link target before/after renewal', (links['cert'], lab.link_target(SERVER, SERVER_LINKS['cert'])))
    life.note('step 3: certificate notAfter before/after', (not_after.isoformat(), new_not_after.isoformat()))
    assert lab.ntpd_pid(SERVER) != server_pid, 'ntpd on the server was not restarted onto the renewed certificate'
    _reported, _waited, ok = lab.wait_for('server reports its renewed certificate', lambda: [
        c['expires'] for c in status(life.hosts[SERVER])['system']['certificates'] if c['subject'] == SERVER_SUBJECT
        and c['expires'] == expected_expiry], 30)
    assert ok, 'ntpd on the server does not report the renewed certificate (expected expiry %s)' % expected_expiry

    # client1 was not touched: it keeps authenticating the restarted server with the renewed certificate.
    state, elapsed, ok = wait_state(life.hosts[CLIENT1], lambda s: authenticated_since(s, renewed), 120)
    assert ok, 'client1 lost IFF authentication after the renewal: %s' % brief(state)
    life.time('step 3: client1 authenticated reply after renewal restart', elapsed)
    life.note('step 3: server certificate expiry cached by the running client1', server_cert_expiry(state))
    assert {'conf': lab.conf_sha(CLIENT1), 'keys': keys_listing(CLIENT1), 'iffpar': iffpar_sha(CLIENT1)} == client1, \
        'client1 changed although the client role did not run'
    # A running client keeps the certificate it fetched (client1 above). client2's ntpd restarts (as a
    # reboot would): its fresh Autokey exchange fetches and verifies the renewed certificate.
    lab.sh(CLIENT2, 'systemctl restart ntp')
    state, elapsed, ok = wait_state(life.hosts[CLIENT2], lambda s: s['summary']['identity_verified']
                                    and expected_expiry in server_cert_expiry(s), 180)
    assert ok, ('client2 did not authenticate the renewed server certificate (expiry %s) within 180 s after its '
                'ntpd restart: %s, certificates %s' % (expected_expiry, brief(state), server_cert_expiry(state)))
    life.time('step 3: client2 authenticated the renewed certificate after its ntpd restart', elapsed)


def wrong_password_run(life):
    """Step 5, first half: re-run the client role on client1 with another password."""
    conf, pid, before = lab.conf_sha(CLIENT1), lab.ntpd_pid(CLIENT1), lab.snapshot(CLIENT1)
    started = time.time()
    run = lab.run_playbook('step5-wrong-password', limit=CLIENT1, extra_vars={'ntp_client_crypto_password': WRONG_PASSWORD})
    after = lab.snapshot(CLIENT1)
    state, elapsed, ok = wait_state(life.hosts[CLIENT1], lambda s: authenticated_since(s, started), 120)
    return {'run': run, 'conf': (conf, lab.conf_sha(CLIENT1)), 'pid': (pid, lab.ntpd_pid(CLIENT1)),
            'snapshot': (before, after), 'state': state, 'authenticated': ok}


def excluded_client_fails(life, name, restarted, stale_line):
    """Wait for the identity failure of the client that missed the IFF rotation (its ntpd restarted),
    then run the client role's verify step there with a short timeout: it must fail with the evidence.

    ntpd 4.2.8 compares the filestamp of the server's IFF response with that of the client's
    parameters before any arithmetic, so the stale client logs the rotated key's filestamp."""
    line, elapsed, seen = lab.wait_for(
        'identity failure on ' + name,
        lambda: stale_line in lab.journal_since(name, restarted - 1), 150)
    result = {'seen': seen, 'elapsed': elapsed, 'after': life.state(name)}
    if seen:
        result['verify'] = lab.run_playbook('step4-verify-step-on-excluded-client', limit=name, playbook=VERIFY_PLAYBOOK,
                                            extra_vars={'ntp_client_verify_timeout': 10, 'ntp_client_verify_delay': 2})
    return result


def test_step4_iff_rotation_with_one_client_excluded(healthy):
    """Step 4: rotate the IFF group key with --limit excluding client2; client2 fails once its ntpd
    restarts, the verify step says why, and a run without --limit heals it."""
    life = healthy
    iffkey_link = lab.link_target(SERVER, SERVER_LINKS['iffkey'])
    iffkey_sha = lab.keys_file_sha(SERVER, SERVER_LINKS['iffkey'])
    old_export = export_sha()
    old = {name: {'sha': iffpar_sha(name), 'pid': lab.ntpd_pid(name)} for name in CLIENTS}
    assert old[CLIENT1]['sha'] == old[CLIENT2]['sha'] == old_export
    old_stamp = fstamp(iffkey_link)
    assert lab.link_target(CLIENT1, IFFPAR_LINK) == lab.link_target(CLIENT2, IFFPAR_LINK) == iffpar_name(old_stamp)

    rotation_started = autokey.now_fstamp()
    run = lab.run_playbook('step4-rotate-iff-key', limit='all:!' + CLIENT2, extra_vars={'ntp_server_rotate_iff_key': True})
    life.time('step 4: rotation run (server + client1, with client1 verify)', run.seconds)
    assert run.rc == 0, run.errors()
    assert CLIENT2 not in run.recap, run.recap
    assert run.recap[SERVER]['changed'] >= 1 and run.recap[CLIENT1]['changed'] >= 1, run.recap

    new_export = export_sha()
    assert lab.keys_file_sha(SERVER, SERVER_LINKS['iffkey']) != iffkey_sha, 'the IFF group key did not change'
    assert new_export != old_export, 'the exported IFF client parameters did not change'
    assert iffpar_sha(CLIENT1) == new_export, 'client1 does not carry the new IFF client parameters'
    assert iffpar_sha(CLIENT2) == old[CLIENT2]['sha'], 'client2 (excluded) got new parameters'
    # The new group key carries the time it was made (not the host key's filestamp), and so do the
    # exported parameters: their header, the file name on client1 and the link ntpd opens.
    new_stamp = fstamp(lab.link_target(SERVER, SERVER_LINKS['iffkey']))
    assert new_stamp >= rotation_started, 'the rotated IFF key has the old filestamp %d (rotation began at %d)' % (
        new_stamp, rotation_started)
    with open(os.path.join(EXPORT_DIR, SERVER, 'ntpkey_iffpar')) as handle:
        assert handle.readline().strip() == '# ' + iffpar_name(new_stamp), 'the exported header lacks the new filestamp'
    assert lab.link_target(CLIENT1, IFFPAR_LINK) == iffpar_name(new_stamp), 'client1 does not carry the new filestamp'
    assert iffpar_name(old_stamp) not in lab.out(CLIENT1, 'ls %s' % KEYSDIR), 'client1 kept the superseded parameters'
    assert lab.link_target(CLIENT2, IFFPAR_LINK) == iffpar_name(old_stamp), 'client2 (excluded) carries the new filestamp'
    assert lab.ntpd_pid(CLIENT2) == old[CLIENT2]['pid'], 'ntpd on client2 (excluded) was restarted'
    assert lab.ntpd_pid(CLIENT1) != old[CLIENT1]['pid'], 'ntpd on client1 did not restart onto the new parameters'
    life.note('step 4: server IFF key link target before/after rotation (filestamp)',
              (iffkey_link, lab.link_target(SERVER, SERVER_LINKS['iffkey'])))
    life.note('step 4: client1 iffpar link target after rotation', lab.link_target(CLIENT1, IFFPAR_LINK))
    state = life.state(CLIENT1)
    assert state['summary']['identity_verified'], 'client1 not authenticated with the new parameters: %s' % brief(state)

    # client2 missed the rotation and still runs its old session: restart its ntpd (as a reboot would).
    stale_line = 'crypto_iff: invalid filestamp %d' % new_stamp
    before_restart = life.state(CLIENT2)
    lab.sh(CLIENT2, 'systemctl restart ntp')
    failure = excluded_client_fails(life, CLIENT2, time.time(), stale_line)
    life.note('step 4: client2 (excluded) still authenticated with its old session before its ntpd restart',
              before_restart['summary']['identity_verified'])
    assert failure['seen'], ('client2 logged no "%s" within 150 s of its ntpd restart: %s'
                             % (stale_line, brief(failure['after'])))
    life.time('step 4: client2 identity failure after its ntpd restart', failure['elapsed'])
    after = failure['after']
    assert not after['summary']['authenticated'], 'client2 still authenticated: %s' % brief(after)
    flags = [name for a in after['associations'] for name in (a.get('flags') or {}).get('names', [])]
    assert after['associations'] and 'VRFY' not in flags, 'client2 has the VRFY flag with stale parameters: %s' % brief(after)

    # The client role's verify step (tasks_from: verify), run alone there, fails with the evidence.
    verify = failure['verify']
    assert verify.rc not in (0, -1), 'verify passed on a client that cannot authenticate: %r' % verify
    assert verify.says('No IFF-authenticated system peer after 10 s.'), verify.errors()
    assert verify.says(stale_line), verify.errors()
    assert verify.says('a rotation it missed'), verify.errors()

    # site.yml without --limit heals client2 and changes nothing on the server.
    pid = lab.ntpd_pid(CLIENT2)
    run = lab.run_playbook('step4-heal-full-run')
    life.time('step 4: healing run without --limit (with verify)', run.seconds)
    assert run.rc == 0, run.errors()
    assert run.recap[SERVER] == dict(run.recap[SERVER], changed=0, failed=0), run.recap
    assert run.recap[CLIENT2]['changed'] >= 1 and run.recap[CLIENT2]['failed'] == 0, run.recap
    assert run.recap[CLIENT1]['failed'] == 0, run.recap
    assert iffpar_sha(CLIENT2) == export_sha(), 'client2 did not get the new IFF client parameters'
    assert lab.link_target(CLIENT2, IFFPAR_LINK) == iffpar_name(new_stamp), \
        'client2 does not carry the new filestamp after the full run'
    assert lab.ntpd_pid(CLIENT2) != pid
    for name in CLIENTS:
        state = life.state(name)
        assert state['summary']['identity_verified'], '%s not authenticated after the full run: %s' % (name, brief(state))


def test_step5_wrong_client_password_then_regenerate(healthy):
    """Step 5 on client1: a wrong password changes nothing; regenerate=always with a new one heals."""
    life = healthy
    wrong = wrong_password_run(life)
    run = wrong['run']
    life.time('step 5: wrong-password run', run.seconds)
    assert run.rc not in (0, -1), run
    assert run.says('ntp_client_crypto_password does not decrypt the existing keys'), run.errors()
    assert run.says('-e ntp_client_regenerate=always'), run.errors()
    assert run.says('ntp.conf and the running ntpd were left unchanged'), run.errors()
    assert run.recap[CLIENT1]['failed'] == 1 and run.recap[CLIENT1]['changed'] == 0, run.recap
    assert wrong['snapshot'][0] == wrong['snapshot'][1], 'client1 changed after the failed run'
    assert wrong['conf'][0] == wrong['conf'][1], 'ntp.conf changed'
    assert wrong['pid'][0] == wrong['pid'][1] != '0', 'ntpd was restarted or stopped: MainPID %s -> %s' % wrong['pid']
    assert wrong['authenticated'], 'client1 is no longer authenticated after the failed run: %s' % brief(wrong['state'])

    conf = lab.conf_sha(CLIENT1)
    pid = lab.ntpd_pid(CLIENT1)
    host_link = lab.link_target(CLIENT1, 'ntpkey_host_' + CLIENT1)

    run = lab.run_playbook('step5-regenerate-new-password', limit=CLIENT1,
                           extra_vars={'ntp_client_crypto_password': NEW_PASSWORD, 'ntp_client_regenerate': 'always'})
    life.time('step 5: regenerate=always run with the new password (with verify)', run.seconds)
    assert run.rc == 0, run.errors()
    assert run.recap[CLIENT1]['failed'] == 0 and run.recap[CLIENT1]['changed'] >= 1, run.recap
    assert lab.link_target(CLIENT1, 'ntpkey_host_' + CLIENT1) != host_link, 'the host key was not regenerated'
    assert lab.conf_sha(CLIENT1) != conf, 'ntp.conf still holds the old password'
    assert lab.ntpd_pid(CLIENT1) != pid, 'ntpd was not restarted onto the new keys'
    state = life.state(CLIENT1)
    assert state['summary']['identity_verified'], 'client1 not authenticated after regeneration: %s' % brief(state)

    # Back to the scenario's password (regenerate=always again), so that the lab ends as it began.
    run = lab.run_playbook('step5-back-to-the-scenario-password', limit=CLIENT1, extra_vars={'ntp_client_regenerate': 'always'})
    assert run.rc == 0, run.errors()
    assert lab.conf_sha(CLIENT1) == conf, 'client1 is not back on the scenario password'


def test_step6_no_secret_in_logs_files_or_journal(life):
    """Step 6: neither password (nor the other ones the scenario used) leaks anywhere."""
    secrets = {'ntp_server_crypto_password': life.server_password,
               'ntp_client_crypto_password': life.client_password,
               'step 5 wrong password': WRONG_PASSWORD,
               'step 5 new password': NEW_PASSWORD}

    # Logs: ANSIBLE_LOG_PATH (create, converge and every run of these tests, -vvv with diffs) and the
    # full output of each run of the tests.
    main_log, logs = lab.verbose_log('plugins/modules/ntp_keygen.py', "TASK [timesec.ntp.ntp_common : Template the daemon's configuration")
    assert len(logs) > 5, 'expected the output of every ansible-playbook run of the tests: %s' % logs
    leaks = lab.logs_containing(logs, secrets)
    # The search finds a password where it is (the scenario's inventory), so an empty result means something.
    with open(os.path.join(INVENTORY, 'group_vars', 'ntp_servers')) as handle:
        assert life.server_password in handle.read()
    assert leaks == [], 'passwords in logs: %s' % leaks
    life.note('step 6: log files searched', len(logs))
    life.note('step 6: bytes of ANSIBLE_LOG_PATH', len(main_log))

    # The controller's export directory holds only public parameters.
    for path in glob.glob(os.path.join(EXPORT_DIR, '*', '*')):
        with open(path, errors='replace') as handle:
            text = handle.read()
        assert not [label for label, secret in secrets.items() if secret in text], path

    # Hosts: the whole filesystem but /proc, /sys and /dev.
    own = {SERVER: 'ntp_server_crypto_password', CLIENT1: 'ntp_client_crypto_password',
           CLIENT2: 'ntp_client_crypto_password'}

    def scan(name):
        foreign = [secret for label, secret in secrets.items() if label != own[name]]
        return lab.files_containing(name, foreign), lab.files_containing(name, [secrets[own[name]]])

    scans = {name: life.pool.submit(scan, name) for name in own}
    for name, future in scans.items():
        foreign_files, own_files = future.result(timeout=600)
        assert foreign_files == [], '%s: files holding a password that does not belong there: %s' % (name, foreign_files)
        assert own_files == ['/etc/ntp.conf'], '%s: files holding its own password: %s' % (name, own_files)
        found = lab.journal_containing(name, secrets)
        assert found == [], '%s: passwords in the journal: %s' % (name, found)
