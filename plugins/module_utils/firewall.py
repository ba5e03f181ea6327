# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which host firewall is installed and active, for the roles' C(firewall: auto) choice."""

from __future__ import annotations

# Checked in this order; auto picks the first active one. firewalld and ufw are front ends that
# drive nftables/iptables themselves, so they win over the bare tools.
FIREWALLS = ('firewalld', 'ufw', 'nftables', 'iptables')

# Programs whose presence means "installed". For iptables that is netfilter-persistent (Debian's
# iptables-persistent), which saves the rules and restores them at boot: the roles need it.
PROGRAMS = {
    'firewalld': 'firewall-cmd',
    'ufw': 'ufw',
    'nftables': 'nft',
    'iptables': 'netfilter-persistent',
}

# systemd units whose state means "active" (ufw is judged by "ufw status" instead: its unit is
# active even while ufw is disabled, and inactive after "ufw enable" until the next boot).
UNITS = {
    'firewalld': 'firewalld',
    'nftables': 'nftables',
    'iptables': 'netfilter-persistent',
}


def parse_is_active(units, output):
    """Map each unit to its "systemctl is-active" word; the command prints one line per unit, in order."""
    lines = [line.strip() for line in output.splitlines()]
    return {unit: (lines[i] if i < len(lines) else 'unknown') for i, unit in enumerate(units)}


def ufw_active(output):
    """True when "ufw status" says the firewall is active (English output, LC_ALL=C)."""
    for line in output.splitlines():
        if line.strip().lower().startswith('status:'):
            return line.split(':', 1)[1].strip().lower() == 'active'
    return False


def choose(firewalls):
    """The first installed and active firewall in FIREWALLS order, or None."""
    for name in FIREWALLS:
        state = firewalls.get(name, {})
        if state.get('installed') and state.get('active'):
            return name
    return None


C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}


def detect(module):
    """{firewall: {installed, active}} and the one C(auto) uses, read on the host through ``module``'s
    get_bin_path and run_command (modules ntp_firewall_info and ntp_host_info)."""
    paths = {name: module.get_bin_path(program, opt_dirs=['/usr/sbin', '/sbin']) for name, program in PROGRAMS.items()}
    units = list(UNITS.values())
    states = {}
    systemctl = module.get_bin_path('systemctl')
    if systemctl:
        # "is-active" exits non-zero when any unit is inactive; the words are what count.
        dummy, out, dummy = module.run_command([systemctl, 'is-active'] + units, environ_update=C_LOCALE)
        states = parse_is_active(units, out)
    result = {}
    for name in FIREWALLS:
        installed = paths[name] is not None
        if name == 'ufw':
            active = False
            if installed:
                rc, out, dummy = module.run_command([paths[name], 'status'], environ_update=C_LOCALE)
                active = rc == 0 and ufw_active(out)
        else:
            active = states.get(UNITS[name]) == 'active'
        result[name] = {'installed': installed, 'active': installed and active}
    return {'firewalls': result, 'active': choose(result)}
