# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Show the built tarball's size in the summary, also under -q without -s."""

from __future__ import annotations

import pytest

TARBALL_INFO = pytest.StashKey[str]()


@pytest.fixture
def report_line(request):
    def report(text):
        request.config.stash[TARBALL_INFO] = text
    return report


def pytest_terminal_summary(terminalreporter, config):
    text = config.stash.get(TARBALL_INFO, None)
    if text:
        terminalreporter.write_line(text)
