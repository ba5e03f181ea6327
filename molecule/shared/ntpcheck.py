"""Helpers for the testinfra suites: read a live ntpd through ntpq and wait for Autokey.

Shared by every Molecule scenario (each scenario's tests/conftest.py puts this directory
on sys.path). They assert behaviour of the running daemon, never just files.
"""

import re
import time

# Peer flag bits (ntp_crypto.h, CRYPTO_FLAG_*).
FLAG_BITS = {
    'ENAB': 0x0001, 'PRIV': 0x0010, 'IFF': 0x0020, 'GQ': 0x0040, 'MV': 0x0080,
    'CERT': 0x0100, 'VRFY': 0x0200, 'PROV': 0x0400, 'COOK': 0x0800, 'AUTO': 0x1000,
    'SIGN': 0x2000, 'LEAP': 0x4000,
}

AS_LINE = re.compile(
    r'^\s*(?P<ind>\d+)\s+(?P<assid>\d+)\s+(?P<status>[0-9a-f]{4})\s+(?P<conf>\S+)\s+(?P<reach>\S+)'
    r'\s+(?P<auth>\S+)\s+(?P<condition>\S+)(?:\s+(?P<last_event>\S+))?\s+(?P<cnt>\d+)\s*$')


def associations(host):
    out = host.check_output('ntpq -n -c as')
    return [m.groupdict() for m in map(AS_LINE.match, out.splitlines()) if m]


def read_vars(host, assid, names):
    """ntpq readvar for one association (0 = system) as a dict of strings."""
    out = host.check_output('ntpq -n -c "rv %s %s"' % (assid, ','.join(names)))
    text = ' '.join(out.splitlines())
    return {m.group(1): m.group(2).strip('"') for m in re.finditer(r'(\w+)=("[^"]*"|[^,\s]+)', text)}


def decode_flags(value):
    flags = int(value, 16)
    return sorted(name for name, bit in FLAG_BITS.items() if flags & bit)


def wait_authenticated(host, timeout=120, interval=4):
    """Poll until the system peer is an association with auth ok, VRFY and IFF; return its state.

    Returns the last association list and variables on timeout, for the assertion message.
    """
    deadline = time.monotonic() + timeout
    state = {}
    while True:
        state = {'associations': associations(host)}
        for assoc in state['associations']:
            if assoc['condition'] == 'sys.peer' and assoc['auth'] == 'ok':
                peer = read_vars(host, assoc['assid'], ['flags', 'ident', 'host', 'srcadr'])
                state.update(peer=assoc, vars=peer, flags=decode_flags(peer.get('flags', '0')))
                if 'VRFY' in state['flags'] and 'IFF' in state['flags']:
                    state['authenticated'] = True
                    return state
        if time.monotonic() > deadline:
            state['authenticated'] = False
            return state
        time.sleep(interval)
