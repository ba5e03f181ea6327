"""labkit: the one lab harness of timesec.ntp's tests, benchmarks and lab command.

- labkit.hosts: podman containers (never privileged, never CAP_SYS_TIME) and commands in them;
- labkit.playbook: ansible-playbook runs and their PLAY RECAP;
- labkit.ntp: a host's NTP state through the collection's own readers (ntpq or chronyc), and waits.

Used by scripts/lab.py (the README's lab command), benchmarks/podlab.py (the benchmark labs) and
molecule/shared/lab.py and ntpcheck.py (the scenarios' tests). Put molecule/shared on sys.path and
set TSN_COLLECTIONS (scripts/env.sh does) to import it.
"""
