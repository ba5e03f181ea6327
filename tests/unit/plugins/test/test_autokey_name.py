# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.timesec.ntp.plugins.test.ntp_autokey_name import TestModule as AutokeyNameTests
from ansible_collections.timesec.ntp.plugins.test.ntp_autokey_name import ntp_autokey_name

CASES = [
    ('ntp1', True),
    ('ntp1.example.org', True),
    ('grp_a-1', True),
    ('a' * 253, True),
    ('a' * 254, False),
    ('', False),
    ('-lead', False),
    ('.lead', False),
    ('has space', False),
    ('a/b', False),
    ('host@group', False),
    (42, False),
    (None, False),
]


@pytest.mark.parametrize('value, expected', CASES)
def test_ntp_autokey_name(value, expected):
    assert ntp_autokey_name(value) is expected


def test_registered():
    assert AutokeyNameTests().tests()['ntp_autokey_name'] is ntp_autokey_name
