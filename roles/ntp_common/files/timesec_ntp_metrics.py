# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The metrics collector of timesec.ntp (README "Metrics"): the roles install it next to the
collection's own readers (ansible_collections/timesec/ntp/plugins/module_utils: status.py, ntpq.py,
chronyc.py, metrics.py, copied unchanged), and a systemd timer runs it as an unprivileged user:
python3 -I timesec_ntp_metrics.py --daemon ntp|ntpsec|chrony --scheme ... --output FILE."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ansible_collections.timesec.ntp.plugins.module_utils import metrics  # noqa: E402  pylint: disable=wrong-import-position

sys.exit(metrics.main())
