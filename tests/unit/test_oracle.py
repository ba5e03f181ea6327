# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tests' raw-ntpq oracle (molecule/shared/labkit/oracle.py) on real ntpq output: it agrees with the
collection's reader where both are right, and it catches the reader when the reader is wrong."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.timesec.ntp.plugins.module_utils import ntpq, status

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'molecule', 'shared'))
from labkit import oracle  # noqa: E402  pylint: disable=wrong-import-position

VERIFIED = ('ntpq', 'client1_as.txt', 'client1_rv0.txt', {17683: 'client1_rv_17683.txt'})
STARTING = ('ntpq', 'client1_starting_as.txt', 'client1_starting_rv0.txt', {17683: 'client1_starting_rv_17683.txt'})
NTPSEC = ('ntpsec', 'deb12_client_as.txt', 'deb12_client_rv0.txt', {17767: 'deb12_client_rv_17767.txt'})


def fixture(directory, name):
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures', directory, name),
              encoding='utf-8', errors='replace') as handle:
        return handle.read()


def raw_text(case, flags=None):
    """What oracle.SCRIPT prints for these captures (the rv lines narrowed to srcadr and flags by ntpq)."""
    directory, as_file, _rv0, rvs = case
    text = fixture(directory, as_file)
    for assid, rv_file in rvs.items():
        pairs = dict(ntpq.parse_readvars(fixture(directory, rv_file)))
        wanted = {'srcadr': pairs.get('srcadr'), 'flags': flags or pairs.get('flags')}
        text += '@@ %d\n%s\n' % (assid, ', '.join('%s=%s' % item for item in wanted.items() if item[1]))
    return text


def ours(case):
    """labkit.ntp.read's dict, from the collection's reader on the same captures."""
    directory, as_file, rv0, rvs = case

    def run(command):
        if command == 'as':
            return 0, fixture(directory, as_file), ''
        if command == 'rv 0':
            return 0, fixture(directory, rv0), ''
        return 0, fixture(directory, rvs[int(command.split()[1])]), ''
    system, associations = ntpq.collect(run)
    return {'system': system, 'associations': associations, 'summary': status.summarize(system, associations)}


@pytest.mark.parametrize('case, verified', [(VERIFIED, True), (STARTING, False), (NTPSEC, False)],
                         ids=['iff-verified', 'autokey-starting', 'ntpsec-nts'])
def test_oracle_agrees_with_the_reader_on_real_output(case, verified):
    rows = oracle.parse(raw_text(case))
    assert sorted(rows) == sorted(case[3])
    assert oracle.identity_verified(rows) is verified
    assert oracle.differences(ours(case), rows) == []


def test_oracle_decodes_with_ntpds_own_bits():
    (row,) = oracle.parse(raw_text(VERIFIED)).values()
    assert row == {'status': 'f61e', 'auth': 'ok', 'condition': 'sys.peer', 'address': '10.89.0.2', 'flags': 0x29c7f23}
    assert oracle.decode(row) == {'authentic': True, 'authenable': True, 'selection': 'sys.peer', 'iff': True,
                                  'vrfy': True}


def test_oracle_catches_a_reader_that_says_verified_wrongly():
    """A reader bug (here: the summary, or the flags word, altered) makes the two disagree."""
    rows = oracle.parse(raw_text(VERIFIED))
    wrong = ours(VERIFIED)
    wrong['summary']['identity_verified'] = False
    assert [d for d in oracle.differences(wrong, rows) if 'summary.identity_verified' in d]
    wrong = ours(VERIFIED)
    wrong['associations'][0]['flags'] = ntpq.decode_flags(0x29c7d23)   # VRFY cleared
    assert [d for d in oracle.differences(wrong, rows) if 'flags' in d]
    # ... and ntpd's own word decides: the same reading against flags without VRFY is not verified.
    unverified = oracle.parse(raw_text(VERIFIED, flags='0x29c7d23'))
    assert not oracle.identity_verified(unverified)
    assert [d for d in oracle.differences(ours(VERIFIED), unverified) if 'summary.identity_verified' in d]


def test_confirmed_compares_only_a_state_that_held_still():
    reads = iter([raw_text(STARTING), raw_text(VERIFIED), raw_text(VERIFIED), raw_text(VERIFIED)])
    calls = []

    def run_shell(script):
        assert script == oracle.SCRIPT
        return 0, next(reads), ''

    def read_ours():
        calls.append(1)
        return ours(VERIFIED)
    state = oracle.confirmed(run_shell, read_ours)
    assert len(calls) == 2 and state['raw']['identity_verified'] is True   # the first attempt straddled a change
    with pytest.raises(oracle.Disagreement, match='summary.identity_verified'):
        oracle.confirmed(lambda script: (0, raw_text(VERIFIED, flags='0x29c7d23'), ''), lambda: ours(VERIFIED))
    assert not issubclass(oracle.Disagreement, AssertionError)   # no wait takes it for "not yet"


# ntpq -p next to ntpq -c as of the same moment (fixtures/ntpsec/README.md): the oracle's decoding of the
# status word's selection must be ntpq's own tally code.
TALLY_CAPTURES = [('deb12_client_as.txt', 'deb12_client_p.txt'), ('deb12_client_as.txt', 'deb12_client_peers_n.txt'),
                  ('deb13_client_as.txt', 'deb13_client_p.txt'), ('deb13_client_as.txt', 'deb13_client_peers_n.txt'),
                  ('deb12_client_kedone_as.txt', 'deb12_client_kedone_p.txt'),
                  ('deb12_client_starting_as.txt', 'deb12_client_starting_p.txt'),
                  ('deb12_wrongca_as.txt', 'deb12_wrongca_p.txt'), ('deb12_wrongca_as.txt', 'deb12_wrongca_peers_n.txt'),
                  ('deb13_wrongca_as.txt', 'deb13_wrongca_p.txt'), ('deb13_wrongca_as.txt', 'deb13_wrongca_peers_n.txt'),
                  ('deb12_server_as.txt', 'deb12_server_p.txt'), ('deb12_server_as.txt', 'deb12_server_peers_n.txt'),
                  ('deb13_server_as.txt', 'deb13_server_p.txt'), ('deb13_server_as.txt', 'deb13_server_peers_n.txt')]


@pytest.mark.parametrize('as_file, peers_file', TALLY_CAPTURES, ids=[c[1] for c in TALLY_CAPTURES])
def test_selection_bits_are_ntpqs_own_tally(as_file, peers_file):
    rows = oracle.parse(fixture('ntpsec', as_file))
    tallies = oracle.tallies(fixture('ntpsec', peers_file))
    assert len(rows) == len(tallies)
    assert [oracle.TALLY[oracle.SELECTIONS.index(oracle.decode(row)['selection'])] for row in rows.values()] == \
        [code for code, _remote in tallies]


# ntpq -c nts of the captures: a client that completed NTS-KE, one with the wrong CA, a server.
NTS_COUNTERS = [('deb12_client_nts.txt', {'NTS KE client probes good': 1, 'NTS KE client probes bad': 0}),
                ('deb13_client_nts.txt', {'NTS KE client probes good': 1, 'NTS KE client probes bad': 0}),
                ('deb12_client_chronysrv_nts.txt', {'NTS KE client probes good': 2, 'NTS client recvs w error': 8}),
                ('deb13_client_chronysrv_nts.txt', {'NTS KE client probes good': 1}),
                ('deb12_wrongca_nts.txt', {'NTS KE client probes good': 0, 'NTS KE client probes bad': 1,
                                           'NTS client recvs good': 0}),
                ('deb13_wrongca_nts.txt', {'NTS KE client probes good': 0, 'NTS KE client probes bad': 1,
                                           'NTS client recvs good': 0}),
                ('deb12_server_nts.txt', {'NTS KE serves good': 2, 'NTS server recvs good': 15}),
                ('deb13_server_nts.txt', {'NTS KE client probes good': 0})]


@pytest.mark.parametrize('name, expected', NTS_COUNTERS, ids=[c[0] for c in NTS_COUNTERS])
def test_nts_counters(name, expected):
    text = fixture('ntpsec', name)
    assert {key: oracle.counter(text, key) for key in expected} == expected
    if expected.get('NTS KE client probes good'):
        assert oracle.counter(text, 'NTS client recvs good') > 0   # the client's authenticated replies
    with pytest.raises(AssertionError, match='no '):
        oracle.counter(text, 'NTS no such counter')


JOURNALS = {('ntpsec', 'deb12_client_journal.txt'): {'valid'}, ('ntpsec', 'deb13_client_journal.txt'): {'valid'},
            ('ntpsec', 'deb12_wrongca_journal.txt'): {'invalid'}, ('ntpsec', 'deb13_wrongca_journal.txt'): {'invalid'},
            ('ntpsec', 'deb12_server_journal.txt'): set(), ('ntpsec', 'deb13_server_journal.txt'): set(),
            ('ntpsec', 'deb12_server_droproot_fails_journal.txt'): set(),
            ('chrony', 'deb12_wrongca_journal.txt'): {'invalid'}, ('chrony', 'deb13_wrongca_journal.txt'): {'invalid'},
            ('chrony', 'deb12_wrongca_plain_mix_journal.txt'): {'invalid'},
            ('chrony', 'deb12_wrongca_plain_require_journal.txt'): {'invalid'}}
# chronyd logs nothing about a key exchange that succeeded: its other journals say nothing either way.
JOURNALS.update({('chrony', '%s_journal.txt' % prefix): set() for prefix in (
    'deb11_client', 'deb12_client', 'deb13_client', 'deb12_client_ntpsecsrv', 'deb13_client_ntpsecsrv',
    'deb12_plain', 'deb13_plain', 'deb12_server', 'deb13_server')})


@pytest.mark.parametrize('directory, name', sorted(JOURNALS), ids=['/'.join(k) for k in sorted(JOURNALS)])
def test_nts_ke_outcome_in_the_journals(directory, name):
    assert oracle.nts_ke_log(fixture(directory, name)) == JOURNALS[(directory, name)]


def test_counter_reads_ntpsecs_authinfo():
    """ntpsec 1.2.2's ``ntpq -c authinfo`` (molecule/symmetric) prints a rate after some counters."""
    text = ('time since reset:          00:01:38\nencryptions:                     25        4.0s/p\n'
            'decryptions:                     25        4.0s/p\nCMAC failures:                    0\n')
    assert (oracle.counter(text, 'decryptions'), oracle.counter(text, 'CMAC failures')) == (25, 0)


def test_mru_counts_of_classic_and_ntpsec():
    """``ntpq -n -c mrulist`` as ntpd 4.2.8 and ntpsec 1.2.2 printed it in molecule/symmetric."""
    classic = ('lstint avgint rstr r m v  count rport remote address\n' + '=' * 78 + '\n'
               '     2      0  180 . 3 4      1   123 10.89.5.18\n    10      0  180 . 3 4      7 53484 10.89.5.19\n')
    ntpsec = (' lstint avgint rstr r m v  count    score   drop rport remote address\n' + '=' * 69 + '\n'
              '      0  0.000    0 . 6 2      2    0.100      0 57949 127.0.0.1\n'
              '      2      0   c0 . 3 4      1    0.050      0 33594 10.89.5.19\n'
              '# Collected 2 slots in 0.007 seconds\n# Used 20 megabytes of memory\n')
    assert oracle.mru_counts(classic) == {'10.89.5.18': 1, '10.89.5.19': 7}
    assert oracle.mru_counts(ntpsec) == {'127.0.0.1': 2, '10.89.5.19': 1}


def test_chrony_clients():
    """``chronyc -c -n clients -k`` of chrony 4.3 (NTP packets, NTS-KE connections) in the NTS lab."""
    text = '10.89.1.3,21,0,5,127,0,1,0,127,316\n10.89.1.4,23,0,4,127,9,1,0,127,315\n'
    assert oracle.chrony_clients(text) == {'10.89.1.3': (21, 1), '10.89.1.4': (23, 1)}
    assert oracle.chrony_clients('') == {}
