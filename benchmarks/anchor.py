"""Benchmark: our client role against geerlingguy.ntp itself and against our previous release.

Issue 30's anchor is the role a user would pick instead: geerlingguy.ntp (a plain, unauthenticated
install), run as its README says (`roles: [geerlingguy.ntp]`, `ntp_manage_config: true`, the lab's
server as its only server; benchmarks/anchor/geerlingguy.yml). Galaxy is not reachable here: the
role comes from a git checkout (TSN_ANCHOR_ROLE: a directory or a bare git repository; default the
snapshot in /work/.mirror, or `git clone https://github.com/geerlingguy/ansible-role-ntp`).
Our previous release is built from its git commit (the newest "Release X" commit, or --previous).

Each run makes fresh containers from one image (podlab's SSH connection: a user with sudo,
pipelining, ControlPersist): 1 server set up with our current ntp_server role (not compared) and one
client per variant, converged one after another (order reversed on every other run):
  ours       timesec.ntp.site --limit <client>, ntp_client_verify=false (this checkout)
  previous   the same playbook of the previous release (its own collection tree)
  anchor     geerlingguy.ntp
Each client is converged, then converged again (the re-run: timed, changed count), then once more
with -vvv to count the re-run's remote round trips (one `SSH: EXEC` per module run or file
transfer; the timed runs are not verbose). Controller CPU seconds are the user + system time of
ansible-playbook and all its children (forks, ssh) per run (getrusage).

The anchor installs ntp before it writes ntp.conf, so Debian's package would start ntpd on the
public pool: the lab writes the anchor's ntp.conf (the lab server only) before its first converge
(not measured; apt keeps an existing conffile), so no host here ever points at a public server.
Prints numbers; asserts nothing.
Usage: . scripts/env.sh && python benchmarks/anchor.py [--runs N] [--previous COMMIT]
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import tempfile

from podlab import REPO, Lab, client_order, cpu_children, machine, podman_platform, sh

ANCHOR_ENV = 'TSN_ANCHOR_ROLE'
ANCHOR_DEFAULT = '/work/.mirror/geerlingguy+ansible-role-ntp/repo'
ANCHOR_PLAYBOOK = os.path.join('benchmarks', 'anchor', 'geerlingguy.yml')
VARIANTS = ['ours', 'previous', 'anchor']
EXEC = re.compile(r'^<(?P<host>[^>]+)> SSH: EXEC ssh ', re.MULTILINE)


def anchor_role(workdir):
    """A roles directory holding geerlingguy.ntp, from TSN_ANCHOR_ROLE (directory or git repository)."""
    source = os.environ.get(ANCHOR_ENV) or ANCHOR_DEFAULT
    roles = os.path.join(workdir, 'roles')
    target = os.path.join(roles, 'geerlingguy.ntp')
    os.makedirs(target)
    if os.path.isdir(os.path.join(source, 'tasks')):
        shutil.rmtree(target)
        shutil.copytree(source, target)
        revision = 'directory %s' % source
    else:
        git = ['git', '--git-dir', source]
        if os.path.isdir(os.path.join(source, '.git')):
            git = ['git', '-C', source]
        archive = subprocess.run(git + ['archive', 'HEAD'], check=True, stdout=subprocess.PIPE).stdout
        subprocess.run(['tar', '-x', '-C', target], input=archive, check=True)
        revision = subprocess.run(git + ['log', '-1', '--format=%h %cs %s'], check=True, text=True,
                                  stdout=subprocess.PIPE).stdout.strip()
    return roles, revision


def previous_release(workdir, commit=None):
    """A collections tree holding our previous release (built from its commit); returns (path, description)."""
    if not commit:
        commit = subprocess.run(['git', '-C', REPO, 'log', '-1', '--format=%H', '--grep', '^Release '], check=True,
                                text=True, stdout=subprocess.PIPE).stdout.strip()
    subject = subprocess.run(['git', '-C', REPO, 'log', '-1', '--format=%h %s', commit], check=True, text=True,
                             stdout=subprocess.PIPE).stdout.strip()
    source = os.path.join(workdir, 'previous-src')
    os.makedirs(source)
    archive = subprocess.run(['git', '-C', REPO, 'archive', commit], check=True, stdout=subprocess.PIPE).stdout
    subprocess.run(['tar', '-x', '-C', source], input=archive, check=True)
    build = os.path.join(workdir, 'previous-build')
    sh('ansible-galaxy', 'collection', 'build', source, '--output-path', build)
    tree = os.path.join(workdir, 'previous-collections')
    tarball = [os.path.join(build, name) for name in os.listdir(build) if name.endswith('.tar.gz')][0]
    # --force: the checkout may carry the same version number, which ansible-galaxy would take as installed
    sh('ansible-galaxy', 'collection', 'install', '--no-deps', '--force', '-p', tree, tarball)
    if not os.path.isfile(os.path.join(tree, 'ansible_collections', 'timesec', 'ntp', 'MANIFEST.json')):
        raise SystemExit('the previous release did not install into %s' % tree)
    # the previous release first; the dependencies (ansible.posix, community.*) from the usual tree
    return tree + os.pathsep + os.environ.get('ANSIBLE_COLLECTIONS_PATH', ''), subject[:80]


def timed(lab, variant, client, setup, verbose=False):
    """One converge of one client: (wall s, changed, controller CPU s, remote round trips or None, output)."""
    env = dict(setup['env'][variant])
    if verbose:
        env['ANSIBLE_VERBOSITY'] = '3'
    before = cpu_children()
    seconds, recap, out = lab.converge(setup['extra'][variant], env=env, playbook=setup['playbook'][variant],
                                       limit=client)
    cpu = cpu_children() - before
    changed = sum(int(re.search(r'changed=(\d+)', line).group(1)) for line in recap)
    trips = None
    if verbose:
        address = lab.address(client)
        trips = sum(1 for match in EXEC.finditer(out) if match.group('host') in (address, client))
    return seconds, changed, cpu, trips, out


def one_run(number, setup, logdir):
    lab = Lab('anc', len(VARIANTS), default_prefix='tsn')
    order = client_order(VARIANTS, lab.clients, number)
    results = {}
    try:
        lab.up()
        server_s, _recap, _out = lab.converge(limit=lab.server)
        print('run %d: server converge %.1f s (not compared); clients in order: %s; load average %.1f'
              % (number, server_s, ', '.join(v for v, _c in order), os.getloadavg()[0]), flush=True)
        for variant, client in order:
            if variant == 'anchor':
                # not measured: the anchor's ntp.conf before its package installs (never the public pool)
                sh('podman', 'exec', client, 'sh', '-c',
                   'printf "driftfile /var/lib/ntp/drift\\nserver %s iburst\\n" > /etc/ntp.conf' % lab.server)
            row = {}
            for kind, verbose in (('converge', False), ('rerun', False), ('counted', True)):
                seconds, changed, cpu, trips, out = timed(lab, variant, client, setup, verbose)
                with open(os.path.join(logdir, 'run%d-%s-%s.log' % (number, variant, kind)), 'w') as handle:
                    handle.write(out)
                row[kind] = {'seconds': seconds, 'changed': changed, 'cpu': cpu, 'trips': trips}
            results[variant] = row
            print('  %-8s on %s: converge %5.1f s (CPU %4.1f s), re-run %5.1f s (changed %d, CPU %4.1f s), '
                  're-run round trips %d (changed %d)'
                  % (variant, client, row['converge']['seconds'], row['converge']['cpu'], row['rerun']['seconds'],
                     row['rerun']['changed'], row['rerun']['cpu'], row['counted']['trips'], row['counted']['changed']),
                  flush=True)
    finally:
        lab.down()
        shutil.rmtree(lab.dir, ignore_errors=True)
    return results


def mean(runs, variant, kind, field):
    return statistics.mean(r[variant][kind][field] for r in runs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=2, help='repetitions on fresh containers (default 2)')
    parser.add_argument('--previous', help='commit of our previous release (default: the newest "Release" commit)')
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix='tsn-anchor-')
    logdir = os.path.join(workdir, 'logs')
    os.makedirs(logdir)
    roles, anchor_revision = anchor_role(workdir)
    collections, previous = previous_release(workdir, args.previous)
    setup = {
        'playbook': {'ours': 'timesec.ntp.site', 'previous': 'timesec.ntp.site', 'anchor': ANCHOR_PLAYBOOK},
        'extra': {'ours': ['ntp_client_verify=false'], 'previous': ['ntp_client_verify=false'], 'anchor': []},
        'env': {'ours': {}, 'previous': {'ANSIBLE_COLLECTIONS_PATH': collections},
                'anchor': {'ANSIBLE_ROLES_PATH': roles}},
    }
    print('client converge and re-run: ours vs our previous release (%s) vs geerlingguy.ntp (%s)'
          % (previous, anchor_revision))
    print('machine: %s; %s; logs in %s' % (machine(), podman_platform('tsn'), logdir), flush=True)
    runs = [one_run(number, setup, logdir) for number in range(1, args.runs + 1)]

    print('\nmean over %d run(s); each client a fresh container, converged one at a time' % len(runs))
    head = '%-44s %10s %10s %10s %14s %14s'
    print(head % ('', 'ours', 'previous', 'anchor', 'ours/anchor', 'ours/previous'))

    def line(title, values, fmt):
        cells = [fmt % v for v in values]
        print(head % (title, cells[0], cells[1], cells[2], '%.2f' % (values[0] / values[2]) if values[2] else '-',
                      '%.2f' % (values[0] / values[1]) if values[1] else '-'))

    line('converge, s', [mean(runs, v, 'converge', 'seconds') for v in VARIANTS], '%.1f')
    line('re-run, s', [mean(runs, v, 'rerun', 'seconds') for v in VARIANTS], '%.1f')
    line('re-run / converge', [mean(runs, v, 'rerun', 'seconds') / mean(runs, v, 'converge', 'seconds')
                               for v in VARIANTS], '%.2f')
    line('re-run remote round trips (SSH EXEC, -vvv)', [mean(runs, v, 'counted', 'trips') for v in VARIANTS], '%.0f')
    line('re-run changed', [mean(runs, v, 'rerun', 'changed') for v in VARIANTS], '%.0f')
    line('controller CPU s, converge', [mean(runs, v, 'converge', 'cpu') for v in VARIANTS], '%.1f')
    line('controller CPU s, re-run', [mean(runs, v, 'rerun', 'cpu') for v in VARIANTS], '%.1f')
    ours = mean(runs, 'ours', 'converge', 'seconds')
    print('targets: converge ours/anchor %.2f (<= 0.9); re-run/converge ours %.2f (<= 0.4 and below the anchor\'s %.2f); '
          're-run round trips ours %.0f (<= 3)'
          % (ours / mean(runs, 'anchor', 'converge', 'seconds'), mean(runs, 'ours', 'rerun', 'seconds') / ours,
             mean(runs, 'anchor', 'rerun', 'seconds') / mean(runs, 'anchor', 'converge', 'seconds'),
             mean(runs, 'ours', 'counted', 'trips')))


if __name__ == '__main__':
    main()
