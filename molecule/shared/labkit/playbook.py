"""ansible-playbook runs: the argv, the run (captured, or streamed to the terminal) and its PLAY RECAP."""

import os
import re
import subprocess
import time

RECAP_RE = re.compile(
    r'^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
    r'failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)',
    re.MULTILINE)


class Run:
    """One ansible-playbook run: return code, output, duration and the PLAY RECAP per host."""

    def __init__(self, name, argv, rc, output, seconds, logfile=None):
        self.name, self.argv, self.rc, self.output, self.seconds, self.logfile = name, argv, rc, output, seconds, logfile
        self.recap = {m.group('host'): {k: int(v) for k, v in m.groupdict().items() if k != 'host'}
                      for m in RECAP_RE.finditer(output)}
        self.flat = ' '.join(output.split())

    def says(self, text):
        """Whether the output holds ``text`` (whitespace-insensitive)."""
        return ' '.join(text.split()) in self.flat

    def errors(self, limit=6):
        """The [ERROR] / fatal lines, for assertion messages."""
        lines = [line.strip()[:400] for line in self.output.splitlines()
                 if line.startswith('[ERROR]') or line.startswith('fatal:')]
        return lines[-limit:] or ['(no error lines; see %s)' % (self.logfile or 'the output')]

    def __repr__(self):
        return 'Run(%s rc=%s %.0fs recap=%s log=%s)' % (self.name, self.rc, self.seconds, self.recap, self.logfile)


def argv(playbook, inventories=(), limit=None, check=False, extra_vars=(), forks=None):
    """ansible-playbook's argv; extra_vars are -e arguments as given (key=value, or @file for secrets)."""
    result = ['ansible-playbook']
    for inventory in inventories:
        result += ['-i', inventory]
    if limit:
        result += ['--limit', limit]
    if check:
        result.append('--check')
    for item in extra_vars:
        result += ['-e', item]
    if forks:
        result += ['--forks', str(forks)]
    return result + [playbook]


def run(name, command, cwd=None, env=None, timeout=None, logfile=None, stream=False, watch=None):
    """Run ``command`` (argv()); returns a Run. ``stream`` shows the output on the terminal as well
    (the lab command); ``watch(pid)`` is called with the process id once it started and must return
    an object with a ``done()`` method (the benchmarks' memory sampler)."""
    start = time.monotonic()
    proc = subprocess.Popen(command, cwd=cwd, text=True, errors='replace', stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
    watcher = watch(proc.pid) if watch else None
    chunks = []
    try:
        if stream:
            for line in proc.stdout:
                print(line, end='', flush=True)
                chunks.append(line)
            proc.wait(timeout=timeout)
        else:
            chunks.append(proc.communicate(timeout=timeout)[0])
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        chunks.append(proc.communicate()[0] + '\n[labkit] TIMEOUT after %s s\n' % timeout)
        rc = -1
    finally:
        if watcher:
            watcher.done()
    output = ''.join(chunks)
    seconds = time.monotonic() - start
    if logfile:
        os.makedirs(os.path.dirname(logfile), exist_ok=True)
        with open(logfile, 'w') as handle:
            handle.write('# ' + ' '.join(command) + '\n' + output)
    return Run(name, command, rc, output, seconds, logfile)
