"""A host moved to another daemon and scheme keeps nothing of the old one (issue 26, item 8), following the
README's migration inventory ("Moving a host to another daemon or scheme"): the Debian 11 Autokey client of
classic ntpd, tsn-nts-ak-cli, becomes an NTS client on chrony (4.0) of the chrony server tsn-nts-chr12, by giving
it its own ntp_auth, ntp_daemon and ntp_client_servers and running site.yml for it alone. Runs last (file order):
the Autokey pair's own tests ran first.

Before issue 26 the client authenticated by NTS afterwards, but ntp was only removed (not purged): ntp.conf kept
its "crypto pw" line with the client's password, seven ntpkey_* files stayed (the encrypted host key among them)
and so did the systemd drop-in.
"""

import os

import yaml
from labkit.hosts import container_host

import lab
from ntpcheck import wait_state

CLIENT, SERVER = 'tsn-nts-ak-cli', 'tsn-nts-chr12'
# Test only, as molecule/shared/chrony_container.yml does at prepare time for the chrony group: chronyd in a
# container without CAP_SYS_TIME (-x, never sets the clock).
CHRONY_CONTAINER = (
    'mkdir -p /etc/systemd/system/chrony.service.d && printf "%s" > /etc/systemd/system/chrony.service.d/container.conf'
    % r'# Test only (molecule/nts/tests/test_switch.py)\n[Unit]\nConditionCapability=\n[Service]\nExecStart=\n'
      r'ExecStart=!/usr/sbin/chronyd \$DAEMON_OPTS -x\n')


def migration_inventory():
    """The scenario's inventory with the client moved: its host variables say NTS, chrony and its new server."""
    inventory = lab.copy_inventory('switch')
    lab.write_secret_file(os.path.join(inventory, 'host_vars', CLIENT), yaml.safe_dump(
        {'ntp_auth': 'nts', 'ntp_daemon': 'chrony', 'ntp_client_servers': [SERVER]}))
    return inventory


def test_autokey_client_moved_to_nts_on_chrony_leaves_nothing_behind():
    host = container_host(CLIENT)
    password = lab.group_vars('ntp_clients')['ntp_client_crypto_password']
    keys = lab.out(CLIENT, 'ls /etc/ntp/ntpkey_*').split()
    # what the Autokey client holds: the premise of the test
    assert len(keys) >= 5 and 'crypto pw ' in host.file('/etc/ntp.conf').content_string
    assert '/etc/ntp.conf' in lab.files_containing(CLIENT, [password])
    assert host.file('/etc/systemd/system/ntp.service.d/timesec-ntp.conf').exists
    lab.sh(CLIENT, CHRONY_CONTAINER)

    run = lab.run_playbook('switch-to-chrony-nts', limit=CLIENT, inventories=(migration_inventory(),))
    assert run.rc == 0, run.errors()

    state, elapsed, ok = wait_state(host, lambda st: st['summary'].get('nts'), timeout=120)
    assert ok, state
    assert state['daemon'] == 'chronyd' and len(state['associations']) == 1, state
    # chronyc's own words: its one source is NTS with cookies, and selected
    authdata = lab.out(CLIENT, 'chronyc -n -c authdata').split(',')
    assert authdata[1] == 'NTS' and int(authdata[8]) > 0, authdata
    assert lab.out(CLIENT, 'chronyc -n -c sources').split(',')[1] == '*'
    lab.log('%s: NTS-authenticated on chrony %.0f s after the run' % (CLIENT, elapsed))

    # ntp purged (its conffiles are gone, /etc/ntp.conf with the password among them), no ntpd
    state = lab.sh(CLIENT, "dpkg-query -W -f='${db:Status-Abbrev}' ntp", check=False).stdout.strip()
    assert state in ('', 'un', 'pn'), 'ntp is %r, not purged' % state
    assert not host.file('/etc/ntp.conf').exists and lab.sh(CLIENT, 'pidof ntpd', check=False).returncode == 1
    # the Autokey keys, the drop-in, ntp's unit links: gone; the copy of Debian's ntp.conf (the user's own): kept
    assert lab.out(CLIENT, 'ls /etc/ntp/ 2>/dev/null | grep -c ntpkey_ || true') == '0'
    assert not host.file('/etc/systemd/system/ntp.service.d').exists
    assert lab.out(CLIENT, 'find /etc/systemd/system -name "ntp.service" | wc -l') == '0'
    original = host.file('/etc/ntp.conf.orig-timesec')
    assert original.exists and 'timesec.ntp' not in original.content_string
    # the client's crypto password is in no file of the host
    assert lab.files_containing(CLIENT, [password]) == []
