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
    def __init__(self, cid, target, extra_vars=None, expect=(), drop=(), role=None, check=False, setup=None):
        self.id, self.target, self.extra_vars, self.expect = cid, target, extra_vars, expect
        self.drop, self.check, self.setup = drop, check, setup
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
         ['ntp_server_group_name is', "use letters, digits, '.', '-' or '_' only (no '/'"]),
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
                  'case password with a quote': 'Bad"Quote-Pw-9d'}


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
        before = lab.snapshot(case.target, extra)
        run = lab.run_playbook('case-' + case.id, limit=case.target, extra_vars=case.extra_vars,
                               inventories=case_inventories(case), check=case.check, timeout=300)
        after = lab.snapshot(case.target, extra)
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


def test_no_secret_in_logs_or_hosts(results):
    """The cases' passwords and the inventory's are in no log and in no file on the hosts."""
    secrets = dict(CASE_PASSWORDS, server=lab.group_vars('ntp_servers')['ntp_server_crypto_password'],
                   client=lab.group_vars('ntp_clients')['ntp_client_crypto_password'])
    logs = sorted(glob.glob(os.path.join(lab.LOGS, '*.log')))
    if lab.ANSIBLE_LOG and os.path.isfile(lab.ANSIBLE_LOG):
        logs.append(lab.ANSIBLE_LOG)
    assert len(logs) >= len(results), 'expected the output of every case run: %s' % logs
    leaks = lab.logs_containing(logs, secrets)
    assert leaks == [], 'passwords in logs: %s' % leaks
    for name in (SERVER, CLIENT):
        assert lab.files_containing(name, list(secrets.values())) == [], name
