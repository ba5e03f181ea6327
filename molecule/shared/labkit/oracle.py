"""An oracle that is not the collection's parser: ntpd's associations and Autokey flags, read raw.

labkit.ntp.read judges a host with the collection's own readers (plugins/module_utils/ntpq.py, the code
behind ntp_status_info and the client role's verify step), so a bug there would make the product and
its tests agree. This module asks the same ntpd with ``ntpq -n -c as`` and ``ntpq -n -c "rv <assid>
srcadr,flags"``, parses the few columns it needs with lines of its own, and decodes the peer status
word and the Autokey flags with ntpd's own bit values (ntp_control.h ``CTL_PST_*``, ntp_crypto.h
``CRYPTO_FLAG_*``). It imports nothing from the collection.

``confirmed(run_shell, read_ours)`` reads the raw view, then ours, then the raw view again; when both
raw reads agree (the daemon did not move meanwhile), every association of ours must carry the same
status bits, selection, auth column, address and flags word, and our summary's ``identity_verified``
must be the raw verdict (a system peer, authentic, with the IFF and VRFY flags). A difference raises
``Disagreement``, which no wait in the tests takes for "not yet".

The same module holds the tests' other raw readings of the daemons' own words, so that each is written
once and unit-tested on real captures (tests/unit/test_oracle.py): ``counter`` (ntpq -c nts / sysstats /
authinfo, chronyc serverstats), ``tallies`` (ntpq -p) and ``nts_ke_log`` (what ntpsec's and chronyd's
journals say about NTS-KE).
"""

import re

# ntp_control.h: the high byte of a peer status word holds these bits, and the selection in its low 3 bits.
CTL_PST_CONFIG, CTL_PST_AUTHENABLE, CTL_PST_AUTHENTIC, CTL_PST_REACH, CTL_PST_BCAST = 0x80, 0x40, 0x20, 0x10, 0x08
CTL_PST_SEL_SYSPEER = 6
SELECTIONS = ('reject', 'falsetick', 'excess', 'outlier', 'candidate', 'backup', 'sys.peer', 'pps.peer')
# ntpq's own rendering of a selection: the tally code in front of each peer of "ntpq -p" (ntpq's flash3).
TALLY = ' x.-+#*o'

# ntp_crypto.h (ntp 4.2.8): the Autokey flags word of a peer.
CRYPTO_FLAG_IFF, CRYPTO_FLAG_CERT, CRYPTO_FLAG_VRFY, CRYPTO_FLAG_PROV = 0x0020, 0x0100, 0x0200, 0x0400

# One shell run: the association table, then each association's srcadr and flags behind a "@@ <assid>" line.
SCRIPT = r'''
as=$(LC_ALL=C ntpq -n -c as 2>&1)
printf '%s\n' "$as"
for id in $(printf '%s\n' "$as" | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/ {print $2}'); do
  printf '@@ %s\n' "$id"
  LC_ALL=C ntpq -n -c "rv $id srcadr,flags" 2>&1
done
'''
ROW = re.compile(r'^\s*\d+\s+(?P<assid>\d+)\s+(?P<status>[0-9a-fA-F]{4})\s+\S+\s+\S+\s+(?P<auth>\S+)\s+(?P<condition>\S+)')
FLAGS = re.compile(r'\bflags=(0x[0-9a-fA-F]+|\d+)')
SRCADR = re.compile(r'\bsrcadr=([0-9A-Fa-f.:]+)')


class Disagreement(Exception):
    """The collection's reading of ntpd differs from ntpd's own output (not an AssertionError on purpose:
    the tests' waits take those for "not yet")."""


class Unstable(AssertionError):
    """ntpd's state changed during every attempt to compare: not yet comparable."""


def parse(text):
    """The raw script's output -> {assid: {status, auth, condition, address, flags}}."""
    rows, current = {}, None
    for line in text.splitlines():
        if line.startswith('@@ '):
            current = rows.get(int(line[3:]))
        elif current is None:
            match = ROW.match(line)
            if match:
                rows[int(match.group('assid'))] = {
                    'status': match.group('status').lower(), 'auth': match.group('auth'),
                    'condition': match.group('condition'), 'address': None, 'flags': None}
        else:
            flags, srcadr = FLAGS.search(line), SRCADR.search(line)
            if flags:
                current['flags'] = int(flags.group(1), 0)
            if srcadr:
                current['address'] = srcadr.group(1)
    return rows


def _stable(rows):
    """What must not change between the two raw reads (the status word's low byte counts events)."""
    return {assid: (row['status'][:2], row['auth'], row['condition'], row['flags'], row['address'])
            for assid, row in rows.items()}


def decode(row):
    """The daemon's words for one association: status bits, selection, Autokey flags."""
    high = int(row['status'], 16) >> 8
    flags = row['flags'] or 0
    return {'authentic': bool(high & CTL_PST_AUTHENTIC), 'authenable': bool(high & CTL_PST_AUTHENABLE),
            'selection': SELECTIONS[high & 0x7], 'iff': bool(flags & CRYPTO_FLAG_IFF),
            'vrfy': bool(flags & CRYPTO_FLAG_VRFY)}


def identity_verified(rows):
    """ntpd's own verdict: a system peer whose status word says authentic and whose flags carry IFF and VRFY."""
    for row in rows.values():
        bits = decode(row)
        if bits['selection'] == 'sys.peer' and bits['authentic'] and bits['iff'] and bits['vrfy']:
            return True
    return False


def read(run_shell):
    rc, out, err = run_shell(SCRIPT)
    return out + err


def differences(ours, rows):
    """What the collection's reading (``ours``: labkit.ntp.read's dict) says unlike ntpd's raw output."""
    found = []
    by_assid = {a['assid']: a for a in ours['associations']}
    if sorted(by_assid) != sorted(rows):
        found.append('associations %s, ntpq -c as lists %s' % (sorted(by_assid), sorted(rows)))
    for assid in sorted(set(by_assid) & set(rows)):
        mine, raw = by_assid[assid], rows[assid]
        bits = decode(raw)
        flags = (mine.get('flags') or {}).get('value')
        checks = (('status bits', mine['status'][:2], raw['status'][:2]), ('auth', mine['auth'], raw['auth']),
                  ('condition', mine['condition'], raw['condition']),
                  ('condition vs status word', raw['condition'], bits['selection']),
                  ('flags', flags, raw['flags']))
        if raw['address'] is not None:  # None when ntpd dropped the association between the two queries
            checks += (('address', mine.get('address'), raw['address']),)
        found += ['association %d: %s is %r here, %r in ntpd\'s output' % (assid, what, a, b)
                  for what, a, b in checks if a != b]
    verdict = identity_verified(rows)
    if bool(ours['summary'].get('identity_verified')) != verdict:
        found.append('summary.identity_verified is %s, ntpd\'s status word and flags say %s'
                     % (ours['summary'].get('identity_verified'), verdict))
    return found


def confirmed(run_shell, read_ours, attempts=5):
    """``read_ours()`` (labkit.ntp's reading of an ntpd) checked against ntpd's raw output read just
    before and just after it; returns it with ``raw`` ({'associations', 'identity_verified', 'text'})."""
    for _attempt in range(attempts):
        before = read(run_shell)
        ours = read_ours()
        after = read(run_shell)
        rows = parse(before)
        if _stable(rows) != _stable(parse(after)):
            continue  # ntpd moved between the reads: compare again
        found = differences(ours, rows)
        if found:
            raise Disagreement('the collection\'s ntpq reader and ntpd disagree: %s\n--- ntpd said:\n%s'
                               % ('; '.join(found), before))
        ours['raw'] = {'associations': rows, 'identity_verified': identity_verified(rows), 'text': before}
        return ours
    raise Unstable('ntpd\'s associations changed during each of %d raw reads' % attempts)


def counter(text, name):
    """The number after ``name:`` in a daemon's counter listing (``ntpq -c nts``, ``-c sysstats``,
    ``-c authinfo``, ``chronyc serverstats``; ntpsec's authinfo adds a rate after it); fails when the
    line is missing."""
    match = re.search(r'^\s*%s\s*:\s*(\d+)\b' % re.escape(name), text, re.M | re.I)
    assert match, 'no %r in:\n%s' % (name, text)
    return int(match.group(1))


def tallies(text):
    """``ntpq -p`` (or ``-c peers``) -> [(tally code, remote)], in order."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.split()[:1] == ['remote']), None)
    return [] if start is None else [(line[0], line[1:].split()[0]) for line in lines[start + 2:] if line.strip()]


# What the journals say about an NTS key exchange: ntpsec logs the certificate check, chronyd only a failure.
# The lines may carry journalctl's prefixes (the captures) or not (``-o cat``, the tests).
NTS_KE_LOG = (('valid', re.compile(r'NTSc: certificate is valid\.$', re.M)),
              ('invalid', re.compile(r'NTSc: certificate invalid: \d+=>')),
              ('invalid', re.compile(r'TLS handshake with \S+ \([^)]*\) failed')))


def nts_ke_log(journal):
    """{'valid', 'invalid'}: what a journal says of the NTS-KE certificate checks in it (empty: nothing)."""
    return {outcome for outcome, pattern in NTS_KE_LOG if pattern.search(journal)}


def mru_counts(text):
    """``ntpq -n -c mrulist`` -> {address: packets}. Classic ntpq prints ``lstint avgint rstr r m v count
    rport remote address``; ntpsec adds ``score`` and ``drop`` and ``# Collected ...`` lines after the table."""
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:1] == ['lstint'])
    column = lines[header].split().index('count')
    rows = [line.split() for line in lines[header + 2:] if line.strip() and not line.lstrip().startswith('#')]
    return {row[-1]: int(row[column]) for row in rows}


def chrony_clients(text):
    """``chronyc -c -n clients [-k]`` -> {address: (NTP packets, command packets or, with -k, NTS-KE
    connections)}. chronyd's client log starts empty with each chronyd process."""
    rows = [line.split(',') for line in text.splitlines()]
    return {row[0]: (int(row[1]), int(row[6])) for row in rows if len(row) > 6}
