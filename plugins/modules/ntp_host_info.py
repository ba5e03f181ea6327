#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_host_info
short_description: Read what a host holds of its time daemons in one pass
version_added: 0.3.0
description:
  - One call for what the roles timesec.ntp.ntp_server and timesec.ntp.ntp_client need to know before they
    change a host - which packages are installed, which files the roles wrote before, whether the daemon runs
    older files than those on disk, and which hooks could step the clock from unauthenticated NTP.
  - B(Packages) - dpkg's state of each of O(packages) and of the packages that step the clock from plain NTP
    (C(ntpdate), C(ntpsec-ntpdate)); on a host without dpkg, rpm's (C(ii) for an installed package).
  - B(Files) - which of O(paths) exist; which of them the roles wrote (the file holds C(written by timesec.ntp),
    the line the roles put at the top of every configuration and keys file, or their AppArmor block's marker);
    the C(keysdir) an ntp.conf of theirs names, and the C(ntpkey_*) files in it; which are units masked by a
    link to C(/dev/null).
  - B(Service) - whether O(service) runs, since when, and which of O(service_files) changed after it started
    (a run that failed before its restart, or a file changed by hand).
  - B(Stat) - the type, owner, group, mode and content checksum of each file found and of O(stat), so that a
    re-run that would write the same content skips the write and its round trips.
  - B(Firewalls, units, names) - with O(firewalls), what the module timesec.ntp.ntp_firewall_info reports; the
    systemd state of O(units); which of O(resolve) do not resolve on the host. One call instead of a round trip
    for each.
  - Changes nothing.
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - dpkg (C(dpkg-query)) or rpm, and systemd (C(systemctl)) on the target; without them no package counts as
    installed and no service as running.
  - Python 3.9 or newer on the target.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - timesec.ntp.attributes.info
options:
  packages:
    description: Packages to report the dpkg (or rpm) state of.
    type: list
    elements: str
    default: []
  paths:
    description:
      - Files, directories or links to report on; an entry with C(*), C(?) or C([) is a shell pattern.
    type: list
    elements: path
    default: []
  service:
    description: The systemd unit of the daemon (without C(.service)); empty for none.
    type: str
    default: ""
  service_files:
    description:
      - The files and directories the daemon reads when it starts; RV(service.stale) lists those changed after
        its start. A directory counts as changed when a file in it was added, removed or replaced.
    type: list
    elements: path
    default: []
  stat:
    description:
      - Further paths (not patterns) to report in RV(stat), such as directories the roles create.
    type: list
    elements: path
    default: []
    version_added: 0.4.0
  firewalls:
    description: Report the host firewalls (RV(firewalls)), as the module timesec.ntp.ntp_firewall_info does.
    type: bool
    default: false
    version_added: 0.4.0
  units:
    description: systemd units (with C(.service)) to report the real name, load state and active state of (RV(units)).
    type: list
    elements: str
    default: []
    version_added: 0.4.0
  resolve:
    description: Host names (or addresses) to resolve with the host's own resolver, as C(getent ahosts) does (RV(unresolved)).
    type: list
    elements: str
    default: []
    version_added: 0.4.0
notes:
  - The start is systemd's monotonic timestamp of the main process, converted with both clocks read at once, so
    a file written a moment before the daemon started is not taken for newer. A clock stepped backwards after
    the start can make files look newer than the daemon (one restart too many).
seealso:
  - module: timesec.ntp.ntp_status_info
  - name: Changes that cannot break a running site
    description: How the roles use this module.
    link: https://github.com/timesec/ntp/blob/main/docs/safety.md
"""

EXAMPLES = r"""
- name: Read the host's time daemons
  timesec.ntp.ntp_host_info:
    packages: [ntp, ntpsec, chrony]
    paths: [/etc/ntp.conf, /etc/ntp.keys, /etc/chrony/chrony.conf]
    service: ntp
    service_files: [/etc/ntp.conf, /etc/ntp.keys, /etc/ntp]
  register: host

- name: Restart the time daemon when it runs older files than those on disk
  ansible.builtin.systemd_service:
    name: ntp
    state: restarted
  when: host.service.stale | length > 0
"""

RETURN = r"""
packages:
  description: dpkg's state of each package (C(ii) installed, C(rc) removed with its configuration files left, ...);
    an empty string when dpkg does not know it. On a host with rpm instead, C(ii) or an empty string (rpm keeps no
    state for a removed package). The stepper packages are included.
  returned: always
  type: dict
  sample: {"ntp": "rc", "chrony": "ii", "ntpdate": ""}
files:
  description: The entries of O(paths) that exist (patterns expanded), links included.
  returned: always
  type: list
  elements: str
  sample: [/etc/ntp.conf, /etc/ntp.conf.orig-timesec]
ours:
  description: The files among RV(files) that the roles wrote (they hold one of the roles' markers).
  returned: always
  type: list
  elements: str
  sample: [/etc/ntp.conf]
masked:
  description: The entries among RV(files) that are links to C(/dev/null) (masked systemd units).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/ntp.service]
keysdirs:
  description: For each file of RV(ours) with a C(keysdir) line (an Autokey ntp.conf), that directory and the
    C(ntpkey_*) files in it.
  returned: always
  type: dict
  sample: {"/etc/ntp.conf": {"path": "/etc/ntp", "files": ["/etc/ntp/ntpkey_cert_client1"]}}
service:
  description: The daemon's unit, when O(service) is given.
  returned: always
  type: dict
  contains:
    name:
      description: The unit.
      type: str
      sample: ntp
    active:
      description: Whether it runs (its ActiveState is C(active) with a main process).
      type: bool
      sample: true
    pid:
      description: Its main process, V(0) when none.
      type: int
      sample: 812
    started:
      description: When the main process started (seconds since the epoch), V(null) when it does not run.
      type: float
      sample: 1796621234.5
    stale:
      description: The entries of O(service_files) changed after the daemon started.
      type: list
      elements: str
      sample: [/etc/ntp.keys]
    enabled:
      description: Whether the unit is enabled (its unit file state is C(enabled)).
      type: bool
      sample: true
      version_added: 0.4.0
stat:
  description:
    - For each entry of RV(files), each file of RV(keysdirs) and each existing path of O(stat), without following links - V(type) (V(file),
      V(directory), V(link) or V(other)), V(owner), V(group), V(uid), V(gid), V(mode) (four octal digits),
      V(checksum) (the SHA-1 of a regular file's content, V(null) for anything else), V(realpath) and V(target)
      (what a link points to, else V(null)).
    - The filter timesec.ntp.ntp_file_matches compares it with what a task would write.
  returned: always
  type: dict
  sample: {"/etc/ntp.conf": {"type": "file", "owner": "root", "group": "ntp", "mode": "0640",
                             "checksum": "3b1e2a0c6f8d9e7b5a4c3d2e1f0a9b8c7d6e5f4a"}}
  version_added: 0.4.0
steppers:
  description: Installed hooks and tools that step the clock from plain (unauthenticated) NTP.
  returned: always
  type: dict
  contains:
    paths:
      description: Those present on the host.
      type: list
      elements: str
      sample: [/etc/network/if-up.d/ntpsec-ntpdate, /usr/sbin/ntpdate]
    packages:
      description: Their packages that dpkg still knows (installed, or removed with their configuration files
        left, hooks included).
      type: list
      elements: str
      sample: [ntpsec-ntpdate]
firewalls:
  description: With O(firewalls), the firewalls and the active one, as RV(timesec.ntp.ntp_firewall_info#module:firewalls)
    and RV(timesec.ntp.ntp_firewall_info#module:active); else empty.
  returned: always
  type: dict
  sample: {"active": "nftables", "firewalls": {"nftables": {"installed": true, "active": true}}}
  version_added: 0.4.0
units:
  description: For each of O(units), in order - V(unit) (as given), V(id) (its real name; an alias shows the unit it
    points to), V(load) (V(loaded), V(not-found), V(masked), ...) and V(active) (V(active), V(inactive), ...).
  returned: always
  type: list
  elements: dict
  sample: [{"unit": "systemd-timesyncd.service", "id": "systemd-timesyncd.service", "load": "loaded", "active": "active"}]
  version_added: 0.4.0
unresolved:
  description: The entries of O(resolve) that the host cannot resolve.
  returned: always
  type: list
  elements: str
  sample: [ntp1.example.net]
  version_added: 0.4.0
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.timesec.ntp.plugins.module_utils import firewall, hostinfo

C_LOCALE = {'LC_ALL': 'C', 'LANG': 'C'}
SHOW = ['-p', 'ActiveState', '-p', 'MainPID', '-p', 'ExecMainStartTimestampMonotonic', '-p', 'UnitFileState']


def packages(module, names):
    dpkg_query = module.get_bin_path('dpkg-query')
    if not dpkg_query and names:
        rpm = module.get_bin_path('rpm')
        if rpm:
            # rc: the number of packages rpm does not have; it prints the others all the same
            dummy, out, dummy = module.run_command([rpm, '-q', '--queryformat', hostinfo.RPM_QUERYFORMAT] + names,
                                                   environ_update=C_LOCALE)
            return hostinfo.rpm_states(out, names)
    if not dpkg_query or not names:
        return dict.fromkeys(names, '')
    # rc 1: a package dpkg has never heard of; the others are printed all the same
    dummy, out, dummy = module.run_command([dpkg_query, '--show', '--showformat=${db:Status-Abbrev}${Package}\\n'] + names,
                                           environ_update=C_LOCALE)
    return hostinfo.dpkg_states(out, names)


def service(module, name, files):
    result = {'name': name, 'active': False, 'pid': 0, 'started': None, 'stale': [], 'enabled': False}
    systemctl = module.get_bin_path('systemctl')
    if not name or not systemctl:
        return result
    rc, out, dummy = module.run_command([systemctl, 'show'] + SHOW + [name + '.service'], environ_update=C_LOCALE)
    if rc != 0:
        return result
    properties = hostinfo.systemd_show(out)
    result['enabled'] = properties.get('UnitFileState') == 'enabled'
    started = hostinfo.started_at(properties, time.time(), time.clock_gettime(time.CLOCK_MONOTONIC))
    if started is not None:
        result.update(active=True, pid=int(properties['MainPID']), started=started,
                      stale=hostinfo.stale(files, started))
    return result


def units(module, names):
    systemctl = module.get_bin_path('systemctl')
    if not names or not systemctl:
        return hostinfo.systemd_units('', names)
    dummy, out, dummy = module.run_command([systemctl, 'show'] + hostinfo.UNIT_PROPERTIES + names, environ_update=C_LOCALE)
    return hostinfo.systemd_units(out, names)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            packages=dict(type='list', elements='str', default=[]),
            paths=dict(type='list', elements='path', default=[]),
            service=dict(type='str', default=''),
            service_files=dict(type='list', elements='path', default=[]),
            stat=dict(type='list', elements='path', default=[]),
            firewalls=dict(type='bool', default=False),
            units=dict(type='list', elements='str', default=[]),
            resolve=dict(type='list', elements='str', default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    names = list(dict.fromkeys(p['packages'] + list(hostinfo.STEPPER_PACKAGES)))
    states = packages(module, names)
    files = hostinfo.expand(p['paths'])
    texts = {path: hostinfo.read_text(path) for path in files}
    ours = [path for path in files if hostinfo.is_ours(texts[path])]
    keysdirs = {}
    for path in ours:
        directory = hostinfo.keysdir(texts[path])
        if directory:
            keysdirs[path] = {'path': directory, 'files': hostinfo.ntp_keys(directory)}
    steppers = {'paths': hostinfo.expand(hostinfo.STEPPERS),
                'packages': [name for name in hostinfo.STEPPER_PACKAGES if hostinfo.on_disk(states[name])]}
    stats = {}
    for path in files + p['stat'] + [name for found in keysdirs.values() for name in found['files']]:
        found = hostinfo.file_stat(path)
        if found is not None:
            stats[path] = found
    module.exit_json(changed=False, packages=states, files=files, ours=ours, stat=stats,
                     firewalls=firewall.detect(module) if p['firewalls'] else {}, units=units(module, p['units']),
                     unresolved=hostinfo.unresolved(p['resolve']),
                     masked=[path for path in files if hostinfo.masked(path)], keysdirs=keysdirs,
                     service=service(module, p['service'], p['service_files']), steppers=steppers)


if __name__ == '__main__':
    main()
