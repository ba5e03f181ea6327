"""Helpers for the testinfra suites: read a live ntpd through ntpq and wait for Autokey or NTS.

Shared by every Molecule scenario (each scenario's tests/conftest.py puts this directory
on sys.path). The ntpq parsing is the collection's own (plugins/module_utils/ntpq.py, the
code behind ntp_status_info), imported from the collections tree that scripts/env.sh sets up.
"""

import os
import sys
import time

sys.path.insert(0, os.environ['TSN_COLLECTIONS'])
from ansible_collections.timesec.ntp.plugins.module_utils import ntpq  # noqa: E402


def status(host):
    """The ntp_status_info view of a host's ntpd: system, associations and summary."""
    associations = [
        ntpq.association_info(row, host.check_output('ntpq -n -c "rv %s"' % row['assid']))
        for row in ntpq.parse_associations(host.check_output('ntpq -n -c as'))
    ]
    system = ntpq.system_info(host.check_output('ntpq -n -c "rv 0"'))
    return {'system': system, 'associations': associations, 'summary': ntpq.summarize(system, associations)}


def wait_authenticated(host, timeout=120, interval=4, key='identity_verified'):
    """Poll until ``summary[key]``: by default the system peer is authenticated (auth ok, VRFY)
    with a verified identity (Autokey); ``key='nts'`` waits for an NTS-authenticated system peer.

    Returns the last state; ``state['peer']`` is the system peer's association, if any.
    """
    deadline = time.monotonic() + timeout
    while True:
        state = status(host)
        state['peer'] = next((a for a in state['associations'] if a['condition'] == 'sys.peer'), None)
        state['authenticated'] = state['summary'][key]
        if state['authenticated'] or time.monotonic() > deadline:
            return state
        time.sleep(interval)
