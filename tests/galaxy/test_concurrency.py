# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Two ansible-playbook runs started at once against the same controller directories (issue 26, item 9).

Each run has three servers (forks, connection local) that do what timesec.ntp.ntp_server does on the
controller: check and create the directories, make the private NTS CA and their certificates (action
ntp_nts_ca, as the role calls it; each run gives the servers names of its own, so the runs sign the same
certificate files in turn), install what the action returned and export the CA, and add their clients' keys
to the symmetric key store one by one (module ntp_symmetric_key). Afterwards the CA certificate belongs to the
CA key, every server certificate to its key and that CA, every run installed a key, the certificate for the
names it gave and the CA that signed it, and the key store holds every key of both runs under IDs of its own.
The last test holds the CA directory's lock from this process and expects the action to wait and give up.

Negative controls (docs/tooling.md, "Concurrent runs"): without the store's flock keys are lost; without the
CA's flock the action runs while another process holds the lock; main's separate CA tasks installed the other
run's certificates.

Run by scripts/test.sh (stage "galaxy"), from the collections tree scripts/env.sh sets up.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
import time

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

SERVERS_PER_RUN = 3
KEYS_PER_SERVER = 3

PLAYBOOK = textwrap.dedent('''\
    - name: What ntp_server does on the controller
      hosts: servers
      gather_facts: false
      tasks:
        - name: Check the controller's directories
          ansible.builtin.set_fact:
            dirs: "{{ query('timesec.ntp.ntp_controller_dir',
                            {'path': ca_dir, 'variable': 'ntp_server_nts_ca_dir', 'private': true},
                            {'path': ca_dir ~ '/' ~ inventory_hostname, 'variable': 'ntp_server_nts_ca_dir', 'private': true},
                            {'path': export_dir ~ '/' ~ inventory_hostname, 'variable': 'ntp_server_export_dir', 'private': false}) }}"

        - name: Create the missing ones
          ansible.builtin.file:
            path: "{{ item.path }}"
            state: directory
            mode: "0700"
          loop: "{{ dirs | rejectattr('exists') | list }}"

        - name: Create this run's directory for what the server "installs"
          ansible.builtin.file:
            path: "{{ installed }}/{{ run }}/{{ inventory_hostname }}"
            state: directory
            mode: "0700"

        # each run names the server differently, so that the runs sign its certificate again and again
        - name: Make the private CA and the server certificate
          timesec.ntp.ntp_nts_ca:
            ca_dir: "{{ ca_dir }}"
            name: "{{ inventory_hostname }}"
            common_name: "{{ inventory_hostname }}.{{ run }}.example.net"
            subject_alt_name: ["DNS:{{ inventory_hostname }}.{{ run }}.example.net"]
          no_log: true
          register: made

        # as nts.yml does next: install the key (read now), the certificate and the CA the action returned
        - name: Install the server's key, certificate and CA (here - a directory per run and server)
          ansible.builtin.copy:
            content: "{{ item.content }}"
            dest: "{{ installed }}/{{ run }}/{{ inventory_hostname }}/{{ item.dest }}"
            mode: "0600"
          loop:
            - {content: "{{ lookup('ansible.builtin.file', ca_dir ~ '/' ~ inventory_hostname ~ '/key.pem') }}", dest: key.pem}
            - {content: "{{ made.certificate }}", dest: cert.pem}
            - {content: "{{ made.ca_certificate }}", dest: ca.pem}
          loop_control:
            label: "{{ item.dest }}"
          no_log: true

        - name: Make the clients' keys, one store update each
          timesec.ntp.ntp_symmetric_key:
            path: "{{ store }}"
            names: ["{{ item }}"]
          loop: "{{ range(keys_per_server) | map('string') | map('regex_replace', '^', run ~ '-' ~ inventory_hostname ~ '-c')
                    | list }}"
          no_log: true

        - name: Export the CA
          ansible.builtin.copy:
            content: "{{ made.ca_certificate }}"
            dest: "{{ export_dir }}/{{ inventory_hostname }}/nts-ca.pem"
            mode: "0644"
    ''')


def inventory(run, root):
    hosts = {'srv%d' % i: {} for i in range(SERVERS_PER_RUN)}
    return {'all': {'children': {'servers': {'hosts': hosts}},
                    'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': os.sys.executable,
                             'run': run, 'ca_dir': str(root / 'nts-ca'), 'store': str(root / 'keys'),
                             'export_dir': str(root / 'export'), 'installed': str(root / 'installed'),
                             'keys_per_server': KEYS_PER_SERVER}}}


def public_bytes(key):
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('concurrent')
    (root / 'site.yml').write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_FORKS=str(SERVERS_PER_RUN), ANSIBLE_NOCOLOR='1', ANSIBLE_HOST_KEY_CHECKING='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0')
    procs = []
    for run in ('a', 'b'):
        (root / ('inventory-%s.yml' % run)).write_text(yaml.safe_dump(inventory(run, root)))
        procs.append(subprocess.Popen(['ansible-playbook', '-i', str(root / ('inventory-%s.yml' % run)),
                                       str(root / 'site.yml')], cwd=str(root), env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    started = time.monotonic()
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    print('two concurrent runs took %.1f s' % (time.monotonic() - started))
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output[-4000:]
    return root


def test_ca_and_every_certificate_whole(two_runs):
    ca_dir = two_runs / 'nts-ca'
    ca_key = serialization.load_pem_private_key((ca_dir / 'ca-key.pem').read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate((ca_dir / 'ca.pem').read_bytes())
    assert public_bytes(ca.public_key()) == public_bytes(ca_key.public_key()), 'ca.pem is not the certificate of ca-key.pem'
    for server in ('srv%d' % i for i in range(SERVERS_PER_RUN)):
        check_pair(server, (ca_dir / 'ca.pem').read_bytes(), (ca_dir / server / 'cert.pem').read_bytes(),
                   (ca_dir / server / 'key.pem').read_bytes())
        assert (two_runs / 'export' / server / 'nts-ca.pem').read_bytes() == (ca_dir / 'ca.pem').read_bytes()
        for name in ('key.pem',):
            assert oct((ca_dir / server / name).stat().st_mode & 0o777) == '0o600'
    assert oct(ca_dir.stat().st_mode & 0o777) == '0o700'


def check_pair(where, ca_pem, cert_pem, key_pem, name=None):
    ca = x509.load_pem_x509_certificate(ca_pem)
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    if name:
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
        assert names == [name], '%s: installed a certificate for %s, not %s (another run signed it)' % (where, names, name)
    assert public_bytes(cert.public_key()) == public_bytes(key.public_key()), '%s: the certificate is not the key\'s' % where
    assert cert.issuer == ca.subject, where
    try:
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except Exception as exc:  # cryptography's InvalidSignature has no message
        raise AssertionError('%s: the CA exported with it did not sign the certificate (%r)' % (where, exc)) from None


def test_what_each_run_installed_and_exported_fits_together(two_runs):
    """What each server of each run installed after its CA step (as nts.yml installs and exports it): a key, its
    certificate for the names this run gave, and the CA that signed it."""
    for run in 'ab':
        for server in ('srv%d' % i for i in range(SERVERS_PER_RUN)):
            got = two_runs / 'installed' / run / server
            check_pair('run %s, %s' % (run, server), (got / 'ca.pem').read_bytes(), (got / 'cert.pem').read_bytes(),
                       (got / 'key.pem').read_bytes(), name='%s.%s.example.net' % (server, run))


def test_key_store_holds_every_key_of_both_runs(two_runs):
    keys = json.loads((two_runs / 'keys' / 'keys.json').read_text())['keys']
    expected = {'%s-srv%d-c%d' % (run, server, key) for run in 'ab' for server in range(SERVERS_PER_RUN)
                for key in range(KEYS_PER_SERVER)}
    assert set(keys) == expected, 'lost: %s' % sorted(expected - set(keys))
    ids = [entry['id'] for entry in keys.values()]
    assert sorted(ids) == list(range(1, len(expected) + 1)), 'IDs shared or skipped: %s' % sorted(ids)
    assert len({entry['value'] for entry in keys.values()}) == len(expected)


def test_the_ca_step_waits_for_another_process_holding_the_lock(tmp_path):
    """The CA action takes the CA directory's flock across processes: while this test process holds it, a run gives
    up after its lock_timeout and changes nothing."""
    import fcntl

    ca_dir = tmp_path / 'nts-ca'
    (ca_dir / 'srv0').mkdir(parents=True, mode=0o700)
    playbook = tmp_path / 'site.yml'
    playbook.write_text(textwrap.dedent('''\
        - hosts: localhost
          gather_facts: false
          tasks:
            - timesec.ntp.ntp_nts_ca:
                ca_dir: "%s"
                name: srv0
                common_name: srv0.example.net
                subject_alt_name: [DNS:srv0.example.net]
                lock_timeout: 2
        ''' % ca_dir))
    fd = os.open(str(ca_dir / '.lock'), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        proc = subprocess.run(['ansible-playbook', str(playbook)], cwd=str(tmp_path), capture_output=True, text=True,
                              timeout=300, env=dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='0'),
                              check=False)
    finally:
        os.close(fd)
    assert proc.returncode != 0 and 'is held by another run for more than 2 s' in proc.stdout, proc.stdout[-3000:]
    assert sorted(os.listdir(str(ca_dir))) == ['.lock', 'srv0'] and os.listdir(str(ca_dir / 'srv0')) == []
