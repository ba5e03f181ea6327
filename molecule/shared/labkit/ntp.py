"""A host's NTP state, read with the collection's own code (plugins/module_utils ntpq and chronyc, the
readers behind ntp_status_info, and status, what they share), and bounded waits."""

import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.environ.get('TSN_COLLECTIONS', ''))
from ansible_collections.timesec.ntp.plugins.module_utils import chronyc, ntpq  # noqa: E402
# status.py as reader_status: status() below is this module's read of a container
from ansible_collections.timesec.ntp.plugins.module_utils import status as reader_status  # noqa: E402
from labkit import nsenter, oracle  # noqa: E402

# How each daemon is read: its program (with -n -c and one command) and the collector.
READERS = {'ntpd': ('ntpq', ntpq.collect), 'chronyd': ('chronyc', chronyc.collect)}


def read(run_shell, daemon=None):
    """{'daemon', 'system', 'associations', 'summary'} of a host, where ``run_shell(script)`` returns
    (rc, stdout, stderr) of a shell command on it (nsenter, testinfra, ...). The daemon is the one
    that runs (chronyd when a chronyd process does) unless given. Raises reader_status.StatusError (what
    both readers raise) when it does not answer, oracle.Disagreement when our reading of an ntpd
    differs from ntpd's raw output, oracle.Unstable (an AssertionError) when ntpd kept changing."""
    if daemon is None:
        daemon = 'chronyd' if run_shell('pgrep -x chronyd')[0] == 0 else 'ntpd'
    program, collect = READERS[daemon]

    def ours():
        system, associations = collect(lambda command: run_shell('%s -n -c %s' % (program, shlex.quote(command))))
        return {'daemon': daemon, 'system': system, 'associations': associations,
                'summary': reader_status.summarize(system, associations),
                'upstreams': [reader_status.source(assoc) for assoc in associations]}

    # ntpd (classic or ntpsec): our reading must match ntpd's raw ntpq output (labkit.oracle), read
    # before and after it with parsing and bit values of the oracle's own. chronyd's tests read
    # chronyc's own output next to this (molecule/nts/tests/test_chrony.py).
    return oracle.confirmed(run_shell, ours) if daemon == 'ntpd' else ours()


def podman_shell(name):
    """run_shell for read(): a command in container ``name`` (labkit.nsenter, as podman exec would run it)."""
    def run(script):
        proc = subprocess.run(nsenter.shell(name, script), check=False, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, errors='replace')
        return proc.returncode, proc.stdout, proc.stderr
    return run


def status(name, daemon=None):
    """read() of a podman container."""
    return read(podman_shell(name), daemon)


def wait_for(what, predicate, timeout, interval=2, log=None):
    """Poll ``predicate()`` until it returns a true value; returns (value, elapsed, satisfied).
    An AssertionError, a failed command or a daemon not answering yet counts as "not yet"."""
    start = time.monotonic()
    while True:
        try:
            value = predicate()
        except (AssertionError, subprocess.SubprocessError, reader_status.StatusError):
            value = None
        elapsed = time.monotonic() - start
        if value:
            return value, elapsed, True
        if elapsed > timeout:
            if log:
                log('%s: not reached after %.0f s' % (what, elapsed))
            return value, elapsed, False
        time.sleep(interval)
