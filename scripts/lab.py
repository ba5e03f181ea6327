"""The README's demo lab: 1 Autokey/IFF server + 2 clients, Debian 11 containers on their own podman
network, configured by playbooks/site.yml; then the seed's evidence (ntpq) and timesec.ntp.status.

Run through scripts/lab.sh (which bootstraps and sets up the environment):
  scripts/lab.sh                 bring the lab up (or re-converge it) and show the evidence
  scripts/lab.sh destroy         remove the lab's containers, network and files
  TSN_LAB=name scripts/lab.sh    a second lab beside the first (scripts/matrix.sh uses "mx<version>")
Containers <lab>-ntp1, <lab>-client1 and -client2 on the network tsn-<lab> (labkit.hosts: never
privileged, never CAP_SYS_TIME); inventory and passwords in $TSN_CACHE/<lab> (0700, passwords 0600).
"""

import os
import secrets
import shutil
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, 'molecule', 'shared'))
from labkit import hosts, ntp, playbook  # noqa: E402

IMAGE = 'timesec-ntp/debian11'


def write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as handle:
        handle.write(text)


def evidence(client):
    """The seed's evidence, read by eye in 2008: ntpq -c as, rv 0 cert, the system peer's flags."""
    print('\n==== %s' % client)
    print('# ntpq -c as\n' + hosts.sh(client, 'ntpq -c as').stdout, end='')
    print('# ntpq -c "rv 0 cert"\n' + hosts.sh(client, 'ntpq -c "rv 0 cert"').stdout, end='')
    assid = hosts.out(client, "ntpq -n -c as | awk '$7 == \"sys.peer\" {print $2; exit}'")
    print('# ntpq -c "rv %s flags"\n' % assid + hosts.sh(client, 'ntpq -c "rv %s flags,ident,host"' % assid).stdout,
          end='')


def main(action):
    lab = os.environ.get('TSN_LAB') or 'lab'
    network, server = 'tsn-' + lab, lab + '-ntp1'
    clients = [lab + '-client1', lab + '-client2']
    labdir = os.path.join(os.environ['TSN_CACHE'], lab)
    if action == 'destroy':
        hosts.remove([server] + clients, network)
        shutil.rmtree(labdir, ignore_errors=True)
        print('lab removed')
        return 0
    if action != 'up':
        raise SystemExit('usage: scripts/lab.sh [up|destroy]')
    hosts.start([server] + clients, IMAGE, network)
    os.makedirs(labdir, mode=0o700, exist_ok=True)
    # Passwords are made once per lab and kept 0600 next to the inventory.
    secret_file = os.path.join(labdir, 'secrets.yml')
    if not os.path.isfile(secret_file):
        write_private(secret_file, 'ntp_server_crypto_password: %s\nntp_client_crypto_password: %s\n'
                      % (secrets.token_urlsafe(15), secrets.token_urlsafe(15)))
    inventory = os.path.join(labdir, 'inventory.yml')
    with open(inventory, 'w') as handle:
        handle.write('all:\n  vars:\n    ansible_connection: containers.podman.podman\n'
                     '    ansible_python_interpreter: /usr/bin/python3\n'
                     '    ansible_become: false   # root in the containers, no sudo there\n'
                     '    ntp_server_export_dir: %s/iffpar\n'
                     '  children:\n    ntp_servers:\n      hosts:\n        %s:\n'
                     '    ntp_clients:\n      hosts:\n%s' % (labdir, server, ''.join('        %s:\n' % c for c in clients)))
    run = playbook.run('site', playbook.argv('timesec.ntp.site', [inventory], extra_vars=['@' + secret_file]),
                       cwd=REPO, stream=True)
    if run.rc != 0:
        return run.rc
    for client in clients:
        evidence(client)
    # site.yml's verify step judged the clients with the collection's reader; ntpd's own output must
    # agree (labkit.ntp.status reads both: molecule/shared/labkit/oracle.py).
    for client in clients:
        state = ntp.status(client)
        if not (state['summary']['identity_verified'] and state['raw']['identity_verified']):
            print('%s: not IFF-verified by ntpd\'s own output: %s' % (client, state['raw']['text']))
            return 1
    print('\nntpd\'s raw ntpq output agrees: every client has an IFF-verified system peer.')
    print('\nThe same as data (ansible-playbook timesec.ntp.status):')
    status = playbook.run('status', playbook.argv('timesec.ntp.status', [inventory]), cwd=REPO)
    lines = status.output.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith('TASK [Show the table]')), len(lines))
    for line in lines[start + 1:]:
        if line.startswith('PLAY RECAP'):
            break
        print(line)
    print('\nLab inventory: %s (scripts/lab.sh destroy removes the lab)' % inventory)
    return status.rc


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else 'up'))
