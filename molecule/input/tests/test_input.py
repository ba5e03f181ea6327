"""Bad input: each case runs site.yml with one wrong setting; the run must fail before the host
changes, naming the variable and the fix. The cases of one target run one after the other (so each
before/after pair is its own), the targets side by side. Any case can run alone (pytest -k <id>):
only the selected cases run."""

import glob
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

import lab
from ansible_collections.timesec.ntp.plugins.module_utils import autokey  # on sys.path through lab
from lab import EXPORT_DIR, INVENTORY

SERVER, CLIENT = 'tsn-input-server', 'tsn-input-client'
GROUP = SERVER  # ntp_server_group_name defaults to the FQDN, the container's host name
DEB12 = 'tsn-input-deb12'
TWIN = 'tsn-input-twin'
TWIN_EXPORT = os.path.join(lab.WORK, 'cases', 'twin-export')
SYM_EXPORT = os.path.join(lab.WORK, 'cases', 'sha512-export')
# Made-up IFF group numbers: the client parameters file only has to be well formed (the cases fail
# before any ntpd reads it).
IFF_NUMBERS = {'p': 23, 'q': 11, 'g': 4, 'b': 3}
FSTAMP = 3_900_000_000


class Case:
    def __init__(self, cid, target, extra_vars=None, expect=(), drop=(), role=None, check=False, setup=None, watch=()):
        self.id, self.target, self.extra_vars, self.expect = cid, target, extra_vars, expect
        self.drop, self.check, self.setup = drop, check, setup
        # more paths on the target (or, with a "controller:" prefix, on the controller) that must not change
        self.watch = watch
        self.role = role or ('ntp_clients' if target == CLIENT else 'ntp_servers')

    def __repr__(self):
        return self.id


def export_server():
    """The server's export, as the ntp_server role would leave it (made-up numbers)."""
    os.makedirs(os.path.join(EXPORT_DIR, SERVER), exist_ok=True)
    with open(os.path.join(EXPORT_DIR, SERVER, 'ntpkey_iffpar'), 'w') as handle:
        handle.write(autokey.iffpar_content(GROUP, FSTAMP, **IFF_NUMBERS))


def export_twin_server():
    """The server's parameters and a second server's of the same group but another group key (another
    filestamp), as two servers that each made their own key under one ntp_server_group_name export."""
    for name, stamp in ((SERVER, FSTAMP), (TWIN, FSTAMP + 1)):
        os.makedirs(os.path.join(TWIN_EXPORT, name), exist_ok=True)
        with open(os.path.join(TWIN_EXPORT, name, 'ntpkey_iffpar'), 'w') as handle:
            handle.write(autokey.iffpar_content(GROUP, stamp, **IFF_NUMBERS))


def export_sha512_server():
    """A symmetric-key server's export (names and IDs only) whose key for the client is SHA512."""
    os.makedirs(os.path.join(SYM_EXPORT, SERVER), exist_ok=True)
    with open(os.path.join(SYM_EXPORT, SERVER, 'symmetric.json'), 'w') as handle:
        json.dump({'keys': {CLIENT: {'id': 1, 'type': 'SHA512'}}}, handle)


# A symmetric key of an upstream server (issue 25): never in a message or a log.
UPSTREAM_KEY = '5e1f0a9c3b7d2e4f6a8b0c1d2e3f4a5b'
# Issue 26: a crypto password longer than ntpd's 1024-character words, and a private key whose header was
# mistyped (neither PEM text nor a path): neither may show in a message or a log.
LONG_PASSWORD = 'Long-Pw-' + 'x7' * 510 + 'q'
MISTYPED_KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgInputCaseNotARealKey0123456789abcdef'
MISTYPED_KEY = '-----BEGN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n' % MISTYPED_KEY_BODY
# An existing keys directory others may write to (issue 26): the role must leave its mode alone.
OPEN_KEYSDIR = '/var/lib/tsn-input-open-keys'
SYM_STORE_OPEN = os.path.join(lab.WORK, 'cases', 'open-store')


def open_keysdir():
    lab.sh(SERVER, 'mkdir -p %s && chmod 0777 %s' % (OPEN_KEYSDIR, OPEN_KEYSDIR))


def open_store():
    os.makedirs(SYM_STORE_OPEN, exist_ok=True)
    os.chmod(SYM_STORE_OPEN, 0o755)


SHARED = 'a directory other software shares'
NOT_REOWNED = 'does not change the mode of a directory it did not create'
NOT_A_PASSWORD = "must be a non-empty string without whitespace, '#' or quotes"
NTPSEC = 'Debian 12 ships ntpsec'
AUTOKEY_HOSTS = 'Run the Autokey roles on Debian 11 hosts'
CASES = [
    Case('client-password-whitespace', CLIENT, {'ntp_client_crypto_password': 'Bad Space-Pw-6r'},
         ['ntp_client_crypto_password ' + NOT_A_PASSWORD, 'Choose another password']),
    Case('server-password-hash', SERVER, {'ntp_server_crypto_password': 'Bad#Hash-Pw-2c'},
         ['ntp_server_crypto_password ' + NOT_A_PASSWORD, 'Choose another password']),
    Case('client-password-quote', CLIENT, {'ntp_client_crypto_password': 'Bad"Quote-Pw-9d'},
         ['ntp_client_crypto_password ' + NOT_A_PASSWORD]),
    # Not required by the argument spec since NTS needs no password: preflight names it for Autokey.
    Case('client-password-missing', CLIENT, drop=['ntp_client_crypto_password'],
         expect=['ntp_client_crypto_password is missing: Autokey (ntp_client_auth autokey) needs it']),
    Case('client-servers-empty', CLIENT, {'ntp_client_servers': []},
         ['ntp_client_servers is empty: list the ntp servers']),
    Case('client-server-unknown', CLIENT, {'ntp_client_servers': ['nosuch-server']},
         ['No IFF client parameters: %s/nosuch-server/ntpkey_iffpar is missing' % EXPORT_DIR,
          'Run the timesec.ntp.ntp_server role on those servers first']),
    Case('client-verify-delay-zero', CLIENT, {'ntp_client_verify_delay': 0},
         ['ntp_client_verify_delay is 0: it must be a whole number of at least 1']),
    Case('client-servers-two-group-keys', CLIENT, {'ntp_client_servers': [SERVER, TWIN], 'ntp_client_export_dir': TWIN_EXPORT},
         ['ntp_client_servers: %s, %s share the IFF group %s but not its group key' % (SERVER, TWIN, GROUP),
          'list one of them for this client'], setup=export_twin_server),
    Case('client-server-unresolvable', CLIENT,
         {'ntp_client_servers': [{'name': SERVER, 'address': 'nosuch.invalid'}]},
         ['ntp_client_servers: nosuch.invalid does not resolve on ' + CLIENT, 'give the server an address']),
    Case('server-network-not-cidr', SERVER, {'ntp_server_allowed_networks': ['10.89.0.0/33']},
         ["invalid network '10.89.0.0/33'", 'write it as a CIDR such as 192.168.122.0/24']),
    Case('server-network-host-bits', SERVER, {'ntp_server_allowed_networks': ['10.89.0.7/24']},
         ['has host bits set', 'with the host bits zero']),
    Case('server-group-slash', SERVER, {'ntp_server_group_name': 'lab/one'},
         ['ntp_server_group_name is not a usable Autokey name', "letters, digits, '.', '-' or '_', starting with a letter or digit (no '/'"]),
    Case('client-lifetime-negative', CLIENT, {'ntp_client_cert_lifetime': -5},
         ['ntp_client_cert_lifetime is -5: it must be a whole number of at least 1']),
    Case('server-renew-window-negative', SERVER, {'ntp_server_cert_renew_before_days': -1},
         ['ntp_server_cert_renew_before_days is -1: it must be a whole number of at least 0']),
    Case('client-firewall-unknown', CLIENT, {'ntp_client_firewall': 'shorewall'},
         ['ntp_client_firewall', 'auto, iptables, nftables, firewalld, ufw, none']),
    Case('server-firewall-missing-no-install', SERVER, {'ntp_server_firewall': 'firewalld', 'ntp_server_firewall_install': False},
         ['firewalld is not installed on this host and ntp_server_firewall_install is false']),
    # The daemon (ntp_daemon / <role>_daemon): one the platform lacks, one without the scheme, an unknown one.
    Case('server-daemon-not-on-platform', SERVER, {'ntp_server_daemon': 'ntpsec'},
         ['ntp_server_daemon (or ntp_daemon) is ntpsec, but the roles set up ntp or chrony on Debian 11']),
    Case('client-chrony-autokey', CLIENT, {'ntp_client_daemon': 'chrony'},
         ['ntp_client_daemon (or ntp_daemon) is chrony, which the roles set up with NTS and symmetric keys only, not Autokey',
          'Autokey needs classic ntp 4.2.8']),
    Case('client-daemon-unknown', CLIENT, {'ntp_client_daemon': 'openntpd'},
         ['ntp_client_daemon', 'auto, ntp, ntpsec, chrony']),
    # chrony with symmetric keys: a digest it does not interoperate with, on the server and on a client.
    Case('server-chrony-symmetric-sha256', SERVER,
         {'ntp_server_daemon': 'chrony', 'ntp_server_auth': 'symmetric', 'ntp_server_symmetric_digest': 'SHA256'},
         ['ntp_server_symmetric_digest is SHA256, which the roles do not give chrony', 'choose one of AES128CMAC, SHA1']),
    Case('client-chrony-symmetric-sha512', CLIENT,
         {'ntp_client_daemon': 'chrony', 'ntp_client_auth': 'symmetric', 'ntp_client_export_dir': SYM_EXPORT},
         ['The servers made key %s with SHA512, which chrony on this client does not take' % CLIENT,
          'set their ntp_server_symmetric_digest to one of AES128CMAC, SHA1'], setup=export_sha512_server),
    # Upstream servers (issue 25): an entry that smuggles a line in, NTS on classic ntpd, a plain upstream next to an
    # authenticated one, a bad key (never shown); and key sizes under 1024 bits.
    Case('server-upstream-injected-line', SERVER, {'ntp_server_upstream_servers': ['10.0.0.1 iburst\nrestrict default nomodify\n#']},
         # issue 26: the value is not shown (it failed the check, so it may be anything)
         ['ntp_server_upstream_servers[0] (its host not shown): host must be a DNS name or an IP address']),
    Case('server-upstream-nts-on-classic-ntpd', SERVER,
         {'ntp_server_upstream_servers': [{'host': 'nts.example.net', 'auth': 'nts'}]},
         ['ntp_server_upstream_servers[0] ("nts.example.net"): auth nts, but classic ntpd (ntp_server_daemon ntp) has no NTS']),
    Case('server-upstream-plain-next-to-authenticated', SERVER,
         {'ntp_server_upstream_servers': [{'host': '10.0.0.2', 'auth': 'symmetric', 'key_id': 9, 'key': UPSTREAM_KEY},
                                          '10.0.0.3']},
         ['ntp_server_upstream_servers[1] ("10.0.0.3"): a plain (unauthenticated) upstream next to authenticated ones',
          'ntp_server_upstream_require_auth to false']),
    Case('server-upstream-short-key', SERVER,
         {'ntp_server_upstream_servers': [{'host': '10.0.0.2', 'auth': 'symmetric', 'key_id': 9, 'key': UPSTREAM_KEY[:30]}]},
         ['ntp_server_upstream_servers[0] ("10.0.0.2"): auth symmetric needs key', '(its value is not shown)']),
    Case('server-upstream-free-running-below-10', SERVER,
         {'ntp_server_upstream_servers': ['10.0.0.1'], 'ntp_server_upstream_orphan_stratum': 5},
         ['ntp_server_upstream_orphan_stratum is 5: it must be a whole number from 10 to 15']),
    Case('server-upstream-orphan-distance-too-large', SERVER,
         {'ntp_server_upstream_servers': ['10.0.0.1'], 'ntp_server_upstream_orphan_distance': 5},
         ['ntp_server_upstream_orphan_distance must be a number of seconds from 0.001 to 1.0', 'leave it unset (null)']),
    Case('server-identity-modulus-512', SERVER, {'ntp_server_identity_modulus': 512},
         ['ntp_server_identity_modulus must be one of: 1024, 1536, 2048, got: 512']),
    Case('client-key-modulus-512', CLIENT, {'ntp_client_key_modulus': 512},
         ['ntp_client_key_modulus is 512: it must be a whole number from 1024 to 2048']),
    # Issue 26: dangerous directories (shared ones, "..", an existing one the role would have to re-own), a password
    # longer than ntpd takes, unknown symmetric key names.
    Case('client-keysdir-shared', CLIENT, {'ntp_client_keysdir': '/etc'}, ['ntp_client_keysdir is /etc, ' + SHARED]),
    # Autokey keeps a keys directory: an empty one is refused before any change, not by ntpd's check later
    Case('client-keysdir-empty', CLIENT, {'ntp_client_keysdir': ''},
         ['ntp_client_keysdir is empty or not a string: give the absolute path of a directory of its own']),
    Case('server-keysdir-dotdot', SERVER, {'ntp_server_keysdir': '/etc/ntp/../..'},
         ['ntp_server_keysdir has a "." or ".." segment', 'write the directory without them']),
    Case('server-keysdir-existing-open', SERVER, {'ntp_server_keysdir': OPEN_KEYSDIR},
         ['ntp_server_keysdir (%s) exists with mode 0777' % OPEN_KEYSDIR, NOT_REOWNED,
          'run "chmod go-w %s" yourself' % OPEN_KEYSDIR], setup=open_keysdir, watch=[OPEN_KEYSDIR]),
    Case('server-export-dir-tmp', SERVER, {'ntp_server_export_dir': '/tmp'}, ['ntp_server_export_dir is /tmp, ' + SHARED],
         watch=['controller:/tmp']),
    Case('client-export-dir-dotdot', CLIENT, {'ntp_client_export_dir': EXPORT_DIR + '/../ntp_iffpar'},
         ['ntp_client_export_dir has a "." or ".." segment']),
    Case('server-symmetric-store-open', SERVER,
         {'ntp_server_auth': 'symmetric', 'ntp_server_symmetric_clients': [CLIENT], 'ntp_server_symmetric_key_dir': SYM_STORE_OPEN},
         ['ntp_server_symmetric_key_dir (%s) exists with mode 0755: it is to hold private keys' % SYM_STORE_OPEN, NOT_REOWNED],
         setup=open_store, watch=['controller:' + SYM_STORE_OPEN]),
    Case('server-symmetric-rotate-unknown', SERVER,
         {'ntp_server_auth': 'symmetric', 'ntp_server_symmetric_clients': [CLIENT],
          'ntp_server_symmetric_key_dir': os.path.join(lab.WORK, 'cases', 'sym-store'),
          'ntp_server_symmetric_rotate': ['nosuch-client'], 'ntp_server_symmetric_revoke': ['other-typo']},
         ['no key named nosuch-client, other-typo in the store', 'ntp_server_symmetric_rotate']),
    Case('client-password-too-long', CLIENT, {'ntp_client_crypto_password': LONG_PASSWORD},
         ['ntp_client_crypto_password is longer than 1024 characters', 'Choose a shorter password']),
    # ntpsec: the controller is Debian 12 - check mode, connection local, server and client role.
    Case('ntpsec-localhost-server-check', 'localhost', expect=[NTPSEC, AUTOKEY_HOSTS], check=True),
    Case('ntpsec-localhost-client-check', 'localhost', expect=[NTPSEC, AUTOKEY_HOSTS], role='ntp_clients', check=True),
    # ... and a real run on a throwaway Debian 12 container (scripts/bootstrap.sh builds the image).
    Case('ntpsec-debian12-container', DEB12, expect=[NTPSEC, AUTOKEY_HOSTS]),
    # NTS with your own certificate: a path that does not exist on the controller, before any change.
    Case('nts-server-own-cert-unreadable', DEB12,
         {'ntp_server_auth': 'nts', 'ntp_server_allowed_networks': ['10.89.0.0/24'],
          'ntp_server_nts_cert': '/nonexistent/cert.pem', 'ntp_server_nts_key': '/nonexistent/key.pem'},
         ['ntp_server_nts_cert: cannot read /nonexistent/cert.pem on the controller']),
    # Issue 26: a private key with a mistyped header is neither PEM text nor a path: refused, never shown
    # (ntp_pem used to echo it whole). The controller (Debian 12, ntpsec) in check mode.
    Case('nts-server-key-mistyped-header', 'localhost',
         {'ntp_server_auth': 'nts', 'ntp_server_allowed_networks': ['10.89.0.0/24'],
          'ntp_server_nts_cert': '/nonexistent/cert.pem', 'ntp_server_nts_key': MISTYPED_KEY},
         ['ntp_server_nts_key is neither PEM text', '(its value is not shown)',
          'ntp_server_nts_cert: cannot read /nonexistent/cert.pem on the controller'], check=True),
    # Metrics (issue 29): a timer interval that is too small, a textfile directory that does not exist, a node
    # exporter elsewhere (a listen address that is not the host's).
    Case('server-metrics-interval-too-small', SERVER, {'ntp_server_metrics': True, 'ntp_server_metrics_interval': 5},
         ['ntp_server_metrics_interval is 5', 'Give a whole number from 10 to 3600']),
    Case('server-metrics-textfile-dir-missing', SERVER,
         {'ntp_server_metrics': True, 'ntp_server_metrics_textfile_dir': '/srv/node-exporter'},
         ['ntp_server_metrics_textfile_dir is /srv/node-exporter, which is not a directory on this host']),
    Case('client-metrics-exporter-elsewhere', CLIENT,
         {'ntp_client_metrics': True, 'ntp_client_metrics_listen_address': '192.0.2.10:9100'},
         ['ntp_client_metrics_listen_address', '192.0.2.10 is not an address of this host',
          'node exporter must run on this host']),
]
# The passwords the cases use: the secret search below looks for them too.
CASE_PASSWORDS = {'case password with whitespace': 'Bad Space-Pw-6r', "case password with '#'": 'Bad#Hash-Pw-2c',
                  'case password with a quote': 'Bad"Quote-Pw-9d', 'upstream key': UPSTREAM_KEY,
                  'short upstream key': UPSTREAM_KEY[:30], 'long password': LONG_PASSWORD,
                  'mistyped private key': MISTYPED_KEY_BODY}


def case_inventories(case):
    if case.target == 'localhost':
        host = {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '/usr/bin/python3'}}
    elif case.target == DEB12:
        host = {DEB12: {'ansible_connection': 'podman', 'ansible_podman_executable': 'podman'}}
    elif case.drop:
        return (lab.copy_inventory(case.id, drop=case.drop),)
    else:
        return (INVENTORY,)
    data = {'all': {
        'vars': {'ansible_become': False,
                 'ntp_server_crypto_password': lab.group_vars('ntp_servers')['ntp_server_crypto_password'],
                 'ntp_client_crypto_password': lab.group_vars('ntp_clients')['ntp_client_crypto_password'],
                 'ntp_server_export_dir': os.path.join(lab.WORK, 'cases', case.id, 'export'),
                 'ntp_client_export_dir': EXPORT_DIR,
                 'ntp_client_servers': [SERVER]},
        'children': {case.role: {'hosts': host}}}}
    return (lab.inventory_file(case.id, data),)


def run_case(case):
    if case.target == DEB12:
        # A missing image is a failure, never a skip: scripts/bootstrap.sh builds it.
        assert lab.image_exists(lab.DEB12_IMAGE), 'image %s is missing: run scripts/bootstrap.sh' % lab.DEB12_IMAGE
        subprocess.run(['podman', 'rm', '-f', '-t', '1', DEB12], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        subprocess.run(['podman', 'run', '-d', '--rm', '--name', DEB12, '--hostname', DEB12, '--network', 'none',
                        '--cap-add', 'NET_ADMIN', '--systemd=always', lab.DEB12_IMAGE, '/sbin/init'],
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
    try:
        if case.setup:
            case.setup()
        if case.target == DEB12:
            # systemd up (the snapshot asks it about ntpd): nsenter reaches the container long before
            lab.wait_for('Debian 12 container booted', lambda: lab.sh(DEB12, 'systemctl is-system-running', check=False)
                         .stdout.strip() in ('running', 'degraded'), 60)
        extra = (os.path.join(lab.WORK, 'cases', case.id, 'export'),) if case.target in ('localhost', DEB12) else ()
        extra += tuple(path for path in case.watch if not path.startswith('controller:'))
        controller = [path.split(':', 1)[1] for path in case.watch if path.startswith('controller:')]
        before = lab.snapshot(case.target, extra) + lab.snapshot('localhost', controller, base=False)
        run = lab.run_playbook('case-' + case.id, limit=case.target, extra_vars=case.extra_vars,
                               inventories=case_inventories(case), check=case.check, timeout=300)
        after = lab.snapshot(case.target, extra) + lab.snapshot('localhost', controller, base=False)
        return {'run': run, 'before': before, 'after': after}
    finally:
        if case.target == DEB12:
            subprocess.run(['podman', 'rm', '-f', '-t', '1', DEB12], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def run_cases(cases):
    results = {}
    for case in cases:
        try:
            results[case.id] = run_case(case)
        except Exception as exc:  # reported by the case's test
            results[case.id] = {'error': repr(exc)}
    return results


@pytest.fixture(scope='module')
def results(request):
    """Run the selected cases: per target one after the other, the targets side by side."""
    selected = {item.callspec.id for item in request.session.items
                if getattr(item, 'callspec', None) and item.originalname == 'test_bad_input'}
    export_server()
    by_target = {}
    for case in CASES:
        if case.id in selected:
            by_target.setdefault(case.target, []).append(case)
    with ThreadPoolExecutor(max_workers=len(by_target) or 1) as pool:
        futures = [pool.submit(run_cases, cases) for cases in by_target.values()]
        done = {}
        for future in futures:
            done.update(future.result(timeout=1200))
    return done


# Issue 30: the checks that need no host data (the password, the keys directory's path, the numeric ranges) run
# before the first connection, so these runs fail before the facts are gathered.
OFFLINE = {'client-password-whitespace', 'server-password-hash', 'client-password-quote', 'client-password-missing',
           'client-password-too-long', 'client-verify-delay-zero', 'client-lifetime-negative',
           'server-renew-window-negative', 'client-key-modulus-512', 'client-keysdir-shared', 'client-keysdir-empty',
           'server-keysdir-dotdot'}


@pytest.mark.parametrize('case', CASES, ids=[c.id for c in CASES])
def test_bad_input(results, case):
    """The run fails before the host changes, with a message naming the fix."""
    result = results[case.id]
    assert 'error' not in result, result.get('error')
    run = result['run']
    assert run.rc not in (0, -1), 'the run did not fail: %r' % run
    assert run.recap.get(case.target, {}).get('failed') == 1, run.recap
    assert run.recap[case.target]['changed'] == 0, run.recap
    for text in case.expect:
        assert run.says(text), 'message lacks %r: %s' % (text, run.errors())
    assert result['after'] == result['before'], 'the host changed:\n--- before\n%s\n--- after\n%s' % (
        result['before'], result['after'])
    if case.id in OFFLINE:
        assert not run.says('Gather the facts the roles read'), 'the run reached the host before this check: %r' % run


def test_offline_cases_exist():
    assert OFFLINE <= {case.id for case in CASES}, sorted(OFFLINE - {case.id for case in CASES})


def test_no_secret_in_logs_or_hosts(results):
    """The cases' passwords and the inventory's are in no log and in no file on the hosts."""
    secrets = dict(CASE_PASSWORDS, server=lab.group_vars('ntp_servers')['ntp_server_crypto_password'],
                   client=lab.group_vars('ntp_clients')['ntp_client_crypto_password'])
    # The search proves something only if the cases that hand ansible-playbook a password ran, and
    # their output is among the logs searched (with no case selected, there would be nothing to find).
    runs = {case_id: result['run'] for case_id, result in results.items() if 'run' in result}
    carried = {case.id: {label for label, secret in CASE_PASSWORDS.items()
                         if any(v in json.dumps(case.extra_vars or {}) for v in lab.secret_variants(secret))}
               for case in CASES}
    with_password = [case_id for case_id, labels in carried.items() if labels]
    assert set().union(*carried.values()) == set(CASE_PASSWORDS), carried   # every secret has its case
    missing = [case_id for case_id in with_password if case_id not in runs]
    assert not missing, 'the cases that pass a password did not run, so no log could hold one: %s' % missing
    logs = sorted(glob.glob(os.path.join(lab.LOGS, '*.log')))
    if lab.ANSIBLE_LOG and os.path.isfile(lab.ANSIBLE_LOG):
        logs.append(lab.ANSIBLE_LOG)
    assert {run.logfile for run in runs.values()} <= set(logs), 'a case run left no log: %s' % logs
    # ... and the search finds each password in every form where it is: the vars files of those runs.
    vars_files = glob.glob(os.path.join(lab.WORK, 'vars', '*.json'))
    found = {leak.split(' in ')[0] for leak in lab.logs_containing(vars_files, CASE_PASSWORDS)}
    assert found == set(CASE_PASSWORDS), 'the search does not find the passwords where they are: %s' % found
    leaks = lab.logs_containing(logs, secrets)
    assert leaks == [], 'passwords in logs: %s' % leaks
    for name in (SERVER, CLIENT):
        assert lab.files_containing(name, list(secrets.values())) == [], name
