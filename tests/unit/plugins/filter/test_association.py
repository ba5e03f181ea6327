# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ntp_association_summary: one line per association, Autokey (ntp 4.2.8) and NTS (ntpsec)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.timesec.ntp.plugins.filter.ntp_association_summary import ntp_association_summary
from ansible_collections.timesec.ntp.plugins.module_utils import ntpq
from ansible_collections.timesec.ntp.tests.unit.utils import read_fixture


def association(directory, prefix, assid):
    (row,) = ntpq.parse_associations(read_fixture(directory, prefix + '_as.txt'))
    return ntpq.association_info(row, read_fixture(directory, '%s_rv_%d.txt' % (prefix, assid)))


def test_autokey_peer():
    assert ntp_association_summary(association('ntpq', 'client1', 17683)) == (
        '10.89.0.2 sys.peer auth=ok identity=iff flags=0x29c7f23 (ENAB TAI IFF CERT VRFY PROV COOK AUTO SIGN LEAP) '
        'ident=lab-ntp1 host=lab-ntp1@lab-ntp1')


def test_nts_peers():
    assert ntp_association_summary(association('ntpsec', 'deb12_client', 17767)) == (
        '10.89.2.2 sys.peer auth=ok nts name=tsn-nts-srv12 cookies=8')
    assert ntp_association_summary(association('ntpsec', 'deb13_wrongca', 17767)) == (
        '0.0.0.0 reject auth=bad nts name=tsn-nts-srv13 cookies=-1')


@pytest.mark.parametrize('prefix, line', [
    ('deb11_client_goodkey', '10.89.0.3 sys.peer auth=ok key=4'),
    ('deb12_client_wrongkey', '10.89.0.2 reject auth=bad key=4'),
])
def test_symmetric_peers(prefix, line):
    (row,) = ntpq.parse_associations(read_fixture('symmetric', prefix + '_as.txt'))
    assoc = ntpq.association_info(row, read_fixture('symmetric', prefix + '_rv_assoc.txt'))
    assert ntp_association_summary(assoc) == line


def test_not_a_mapping():
    with pytest.raises(AnsibleFilterError, match='expects an association mapping'):
        ntp_association_summary('10.0.0.1')
