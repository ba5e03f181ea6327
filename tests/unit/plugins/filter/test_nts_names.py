# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.filter.ntp_nts_names import FilterModule, ntp_nts_names

CASES = [
    (['ntp1', 'ntp1.example.org', '', 'localhost', 'ntp1', ' 192.0.2.1 ', 'fd00::1', None],
     ['ntp1', 'ntp1.example.org', '192.0.2.1', 'fd00::1'],
     ['DNS:ntp1', 'DNS:ntp1.example.org', 'IP:192.0.2.1', 'IP:fd00::1']),
    (['192.0.2.1', 'ntp1'], ['192.0.2.1', 'ntp1'], ['DNS:ntp1', 'IP:192.0.2.1']),
    (['localhost.localdomain', 'localhost'], [], []),
    ([], [], []),
    # not an address: a name (the certificate check rejects what is neither)
    (['1.2.3'], ['1.2.3'], ['DNS:1.2.3']),
]


@pytest.mark.parametrize('candidates, names, san', CASES)
def test_names_and_san(candidates, names, san):
    assert ntp_nts_names(candidates) == names
    assert ntp_nts_names(candidates, san=True) == san


def test_registered():
    assert FilterModule().filters()['ntp_nts_names'] is ntp_nts_names
