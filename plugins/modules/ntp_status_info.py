#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, timesec.ntp contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ntp_status_info
short_description: Report the synchronisation, Autokey and NTS state of a running ntpd or chronyd
version_added: 0.1.0
description:
  - Queries a running ntpd with C(ntpq) and returns its system variables, its certificate list, its
    associations with their decoded Autokey flags or their NTS state, and a summary that says whether
    the host is synchronised to an authenticated system peer, and how it was authenticated.
  - Works with classic ntp 4.2.8 (Autokey) and with ntpsec 1.2 (NTS), whose C(ntpq) prints a few things
    differently (the module tells them apart by the C(version) variable).
  - Runs C(ntpq -n -c "timeout ..." -c as HOST), C(ntpq ... -c "rv 0" HOST) and C(ntpq ... -c "rv ASSID" HOST)
    for every association, with C(LC_ALL=C). It changes nothing, on the target or in ntpd.
  - Reads chronyd (chrony 4) instead when O(daemon=chrony), or with O(daemon=auto) when chronyd runs on the
    target, with C(chronyc -n -c -m "timeout ..." sources), C(... authdata) and C(... tracking) and C(LC_ALL=C),
    mapped to the same return values (see RV(daemon)).
  - Fails with a message when C(ntpq) (or C(chronyc)) is missing, when no daemon answers, or when the output cannot be parsed.
author:
  - timesec.ntp contributors (@timesec)
requirements:
  - C(ntpq) on the target, from classic ntp 4.2.8 (Debian package C(ntp)) or ntpsec 1.2 (package C(ntpsec)); or
    C(chronyc) from chrony 4 (package C(chrony); 4.3 and 4.6 tested) for chronyd.
  - Python 3.9 or newer on the target.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - timesec.ntp.attributes.info
options:
  host:
    description:
      - The daemon to query, as a name or address that C(ntpq) (or C(chronyc)) resolves on the target.
      - ntpd answers only queries its C(restrict) lines allow; the roles of this collection allow
        V(127.0.0.1) and V(::1) on clients and deny queries from the network with C(noquery).
      - chronyd's command port listens on V(127.0.0.1) and V(::1) only unless C(bindcmdaddress) says otherwise.
        For V(localhost), V(127.0.0.1) and V(::1) the module runs C(chronyc) without C(-h), so that C(chronyc)
        uses chronyd's Unix socket when it can (as root), else the local command port.
    type: str
    default: localhost
  timeout:
    description:
      - Seconds C(ntpq) waits for each reply (its C(timeout) command). It tries twice, so an ntpd that
        does not answer fails the module after about twice this per query. A stopped local ntpd fails at once.
      - For chronyd, the initial C(timeout) of C(chronyc) (which retries twice, doubling it each time).
    type: int
    default: 5
  daemon:
    description:
      - Which daemon to read, by the collection's names for the daemons, the ones the roles use
        (C(ntp_daemon), C(ntp_common_platform.daemon)) and RV(system.daemon) reports.
      - V(ntp) (classic ntpd) and V(ntpsec) read ntpd with C(ntpq), as before this option existed.
      - V(chrony) reads chronyd with C(chronyc).
      - V(auto) reads chronyd when a process named C(chronyd) runs on the target and none named C(ntpd), or when
        C(chronyc) is installed and C(ntpq) is not; else ntpd. For a remote O(host) the processes on the target
        say nothing about it, so only the installed programs decide; name the daemon there.
      - V(ntpd) (an alias of V(ntp) and V(ntpsec)) and V(chronyd) (an alias of V(chrony)) are the names of 0.3.0,
        still accepted; use the names above.
      - RV(daemon) names the reader, V(ntpd) or V(chronyd), whichever name chose it.
    type: str
    choices: [auto, ntp, ntpsec, chrony, ntpd, chronyd]
    default: auto
    version_added: 0.3.0
seealso:
  - module: timesec.ntp.ntp_keygen
  - name: ntpq 4.2.8 manual
    description: The program this module runs, and the meaning of its variables.
    link: https://www.ntp.org/documentation/4.2.8-series/ntpq/
  - name: Autokey public-key authentication
    description: The protocol whose state the flags and certificates describe.
    link: https://www.ntp.org/documentation/4.2.8-series/autokey/
  - name: ntpsec NTS Quick Start Guide
    description: How ntpsec shows NTS associations and cookies in C(ntpq).
    link: https://docs.ntpsec.org/latest/NTS-QuickStart.html
  - name: chronyc manual
    description: The C(sources), C(authdata) and C(tracking) reports the module reads from chronyd.
    link: https://chrony-project.org/doc/4.6/chronyc.html
notes:
  - Autokey needs minutes after ntpd starts. Until then RV(summary.authenticated) is V(false) and the
    association's RV(associations[].condition) is V(reject). Retry with C(until), as in the examples.
  - An orphan-mode server (C(tos orphan)) without an upstream source has no system peer, so it reports
    RV(summary.synchronized=false) while it serves time to its clients.
  - ntpsec reports the sync source C(unspec) even when it is synchronised to a network peer; for ntpsec,
    RV(summary.synchronized) therefore takes a stratum below 16 instead of a named sync source.
  - An NTS client that failed its NTS-KE (for example with a certificate its CA does not vouch for) keeps
    an association with RV(associations[].cookies=-1) and auth V(bad), and does not retry for about an hour.
  - ntpq exits 0 even when nothing answers; the module judges its error messages instead.
  - "chronyd has no associations, Autokey or status word: for it the module returns its sources as RV(associations)
    (the C(sources) state mapped to an ntpq condition: C(*) V(sys.peer), C(+) V(candidate), C(-) V(backup), C(x)
    V(falsetick), C(~) and C(?) V(reject)), the C(tracking) report as RV(system), and V(null) for what chrony does not
    report (association IDs, status words, Autokey flags, certificates)."
  - A chronyd NTS client whose NTS-KE failed (for example with the wrong CA) keeps its source unusable (condition
    V(reject)), auth V(bad), RV(associations[].cookies=0), and sends no NTP packet to it; it retries NTS-KE after
    a long interval (the second attempt came 17.5 minutes after the first, measured with chrony 4.3).
"""

EXAMPLES = r"""
- name: Read the NTP state
  timesec.ntp.ntp_status_info:
  register: ntp_status

- name: Show the system peer and its identity scheme
  ansible.builtin.debug:
    msg: >-
      peer {{ ntp_status.summary.sys_peer }},
      identity {{ (ntp_status.associations | selectattr('condition', 'equalto', 'sys.peer') | first).identity }}
  when: ntp_status.summary.sys_peer is not none

- name: Wait until the system peer is authenticated and its IFF identity verified
  timesec.ntp.ntp_status_info:
    timeout: 2
  register: ntp_status
  until: ntp_status.summary.identity_verified
  retries: 30
  delay: 10

- name: Wait until the system peer is authenticated by NTS (ntpsec)
  timesec.ntp.ntp_status_info:
  register: ntp_status
  until: ntp_status.summary.nts
  retries: 12
  delay: 5

- name: Wait until chronyd's selected source is authenticated by NTS
  timesec.ntp.ntp_status_info:
    daemon: chrony
  register: ntp_status
  until: ntp_status.summary.nts
  retries: 12
  delay: 5

- name: Fail when a certificate expires within 30 days
  ansible.builtin.assert:
    that: item.expires is none or (item.expires | ansible.builtin.to_datetime('%Y-%m-%dT%H:%M:%S+00:00')
          - now(utc=true)).days > 30
    fail_msg: "certificate {{ item.subject }} (issuer {{ item.issuer }}) expires {{ item.expires }}"
  loop: "{{ ntp_status.system.certificates }}"
  loop_control:
    label: "{{ item.subject }}"
"""

RETURN = r"""
daemon:
  description:
    - The reader the module used, V(ntpd) (with C(ntpq), for V(ntp) and V(ntpsec)) or V(chronyd) (with C(chronyc)).
    - RV(system.daemon) names the daemon itself, by the names O(daemon) takes (V(ntp), V(ntpsec), V(chrony)).
  returned: success
  type: str
  sample: ntpd
  version_added: 0.3.0
summary:
  description: The answers most callers want, derived from RV(system) and RV(associations).
  returned: success
  type: dict
  contains:
    synchronized:
      description:
        - V(true) when there is a system peer (an association with condition V(sys.peer)), the leap indicator
          is not V(alarm) and the sync source is not V(unspec) (for ntpsec, which always says V(unspec), and for
          chronyd, which names none, the stratum is below 16).
      type: bool
      sample: true
    authenticated:
      description:
        - V(true) when the system peer's association has auth V(ok) and either its Autokey flags have C(VRFY)
          or it is authenticated by NTS (RV(summary.nts)) or by a symmetric key (RV(summary.symmetric)).
      type: bool
      sample: true
    identity_verified:
      description:
        - V(true) when the system peer is authenticated by Autokey and the flags name an identity scheme
          (C(IFF), C(GQ) or C(MV)). Always V(false) for NTS.
      type: bool
      sample: true
    nts:
      description:
        - V(true) when the system peer is authenticated by NTS (ntpsec or chronyd) - its association uses NTS
          (RV(associations[].nts)), has auth V(ok) and holds NTS cookies (RV(associations[].cookies) above 0).
      type: bool
      sample: false
    symmetric:
      description:
        - V(true) when the system peer is authenticated by a symmetric key (classic ntpd, ntpsec or chronyd) - its
          association has a key ID from 1 to 65535 (RV(associations[].symmetric)), no Autokey flags, and auth V(ok).
      type: bool
      sample: false
      version_added: 0.3.0
    key_id:
      description: The symmetric key ID of the system peer when RV(summary.symmetric), else V(null).
      type: int
      sample: null
      version_added: 0.3.0
    sys_peer:
      description: Address of the system peer, V(null) without one.
      type: str
      sample: 10.89.0.2
upstreams:
  description:
    - The host's time sources, one per association (a client - its servers; a server - its upstream servers and
      the servers of its IFF group), with how each is authenticated. C(playbooks/status.yml) prints them as the
      chain of trust - client, server, upstream - with each hop authenticated or not.
  returned: success
  type: list
  elements: dict
  version_added: 0.3.0
  contains:
    address:
      description: The source's address.
      type: str
      sample: 10.201.123.202
    name:
      description: The source's name where the daemon knows one (the NTS server name, the Autokey host), else its address.
      type: str
      sample: tsn-fw-nts-upstream
    scheme:
      description:
        - How the association is set up - V(nts), V(symmetric) (a key ID), V(autokey) (Autokey flags) or V(none)
          (plain, unauthenticated NTP).
      type: str
      sample: nts
    authenticated:
      description:
        - V(true) when the source passes its scheme now - auth V(ok), and C(VRFY) for Autokey, NTS cookies for NTS.
          Always V(false) for V(none). A source set up for NTS with a CA that does not match its certificate is
          V(nts) and V(false).
      type: bool
      sample: true
    key_id:
      description: The symmetric key ID, V(null) for other schemes.
      type: int
      sample: null
    selected:
      description: V(true) for the system peer.
      type: bool
      sample: true
    condition:
      description: As in RV(associations[].condition).
      type: str
      sample: sys.peer
    stratum:
      description: The source's stratum.
      type: int
      sample: 3
    reach_register:
      description: As in RV(associations[].reach_register).
      type: str
      sample: "377"
steppers:
  description:
    - Hooks and tools on the target that step the clock from plain (unauthenticated) NTP - C(ntpdate),
      C(ntpdate-debian) and the ifupdown, NetworkManager and dhclient hooks of Debian's C(ntpdate) and
      C(ntpsec-ntpdate) packages. Each can undo what authenticated time guarantees; the roles purge those
      packages, and timesec.ntp.ntp_client's verify step fails while any is left.
  returned: success
  type: list
  elements: str
  sample: [/etc/network/if-up.d/ntpsec-ntpdate, /usr/sbin/ntpdate-debian]
process:
  description:
    - The local ntpd (or chronyd) process, read from C(/proc) when O(host) is the target itself (V(localhost),
      V(127.0.0.1) or V(::1)); V(null) for a remote O(host) or when no process named C(ntpd) (C(chronyd)) runs.
    - RV(process.config_file) is the configuration ntpd actually runs with. A Debian DHCP hook can make
      classic ntp's start script run C(/run/ntp.conf.dhcp) instead of C(/etc/ntp.conf); the roles of this
      collection prevent that, and their verify step checks this value.
  returned: success
  type: dict
  contains:
    pid:
      description: Process ID of ntpd.
      type: int
      sample: 412
    argv:
      description: ntpd's command line.
      type: list
      elements: str
      sample: ["/usr/sbin/ntpd", "-p", "/var/run/ntpd.pid", "-g", "-u", "ntp:ntp", "-c", "/etc/ntp.conf"]
    config_file:
      description:
        - The last C(-c)/C(--configfile) argument, or without one the daemon's default (C(/etc/ntp.conf) for
          classic ntp, C(/etc/ntpsec/ntp.conf) for ntpsec).
        - For chronyd the last C(-f) argument, or C(/etc/chrony/chrony.conf) (Debian's default).
      type: str
      sample: /etc/ntp.conf
system:
  description:
    - The system variables (C(ntpq -c "rv 0")).
    - For chronyd the C(chronyc tracking) report; what it lacks is V(null).
  returned: success
  type: dict
  contains:
    status:
      description: The system status word, four hex digits.
      type: str
      sample: "0614"
    status_words:
      description: ntpq's decoding of the status word.
      type: list
      elements: str
      sample: ["leap_none", "sync_ntp", "1 event", "freq_mode"]
    leap:
      description: Leap indicator by name, V(none), V(add_sec), V(del_sec) or V(alarm) (not synchronised).
      type: str
      sample: none
    leap_indicator:
      description: The leap indicator bits as ntpd reports them.
      type: str
      sample: "00"
    sync:
      description: The sync source from the status word (C(sync_ntp) gives V(ntp)); V(unspec) when not synchronised.
      type: str
      sample: ntp
    event_count:
      description: Number of system events since the last status read.
      type: int
      sample: 1
    last_event:
      description: The most recent system event, as ntpq names it.
      type: str
      sample: freq_mode
    stratum:
      description: The stratum (16 = unsynchronised).
      type: int
      sample: 6
    refid:
      description:
        - The reference ID, an address or a code such as V(INIT).
        - For chronyd the reference's address, else its reference ID as a dotted quad (V(127.127.1.1) for
          chrony's C(local) reference, V(0.0.0.0) when unsynchronised).
      type: str
      sample: 10.89.0.2
    peer:
      description: Association ID of the system peer, V(0) without one.
      type: int
      sample: 17683
    offset:
      description: Combined clock offset in milliseconds.
      type: float
      sample: 0.024911
    sys_jitter:
      description: System jitter in milliseconds.
      type: float
      sample: 0.0
    rootdelay:
      description: Total round-trip delay to the primary reference in milliseconds.
      type: float
      sample: 0.108
    rootdisp:
      description: Total dispersion to the primary reference in milliseconds.
      type: float
      sample: 62.765
    version:
      description: The ntpd version string.
      type: str
      sample: ntpd 4.2.8p15@1.3728-o Wed Sep 23 11:46:38 UTC 2020 (1)
    host:
      description: This host's Autokey name (C(crypto host), the certificate subject). V(null) without Autokey.
      type: str
      sample: lab-client1@lab-ntp1
    ident:
      description: The Autokey group ntpd reports (C(crypto ident)), V(null) when it reports none.
      type: str
      sample: null
    digest:
      description: The message digest Autokey uses. V(null) without Autokey.
      type: str
      sample: md5
    signature:
      description: The signature scheme of this host's certificate. V(null) without Autokey.
      type: str
      sample: sha256WithRSAEncryption
    flags:
      description:
        - The system Autokey flags, decoded like RV(associations[].flags). V(null) without Autokey.
        - The identity scheme bits say which scheme this host offers as a server.
      type: dict
      sample: {"value": 43778051, "hex": "0x29c0003", "names": ["ENAB", "TAI"], "nid": 668,
               "nid_name": "sha256WithRSAEncryption"}
    identity:
      description: The identity scheme of RV(system.flags), as in RV(associations[].identity).
      type: str
      sample: tc
    daemon:
      description: V(ntpsec) when the C(version) variable names ntpsec, V(chrony) for chronyd, else V(ntp) (classic ntpd).
      type: str
      sample: ntp
    certificates:
      description:
        - The certificates ntpd holds (the C(cert) and C(until) variables), in ntpd's order; a client lists the
          certificate the server signed for it, the server's and its own self-signed one.
      type: list
      elements: dict
      contains:
        subject:
          description: Subject common name.
          type: str
          sample: lab-client1@lab-ntp1
        issuer:
          description: Issuer common name.
          type: str
          sample: lab-ntp1@lab-ntp1
        flags:
          description:
            - C(value), the certificate flags as a number, and C(names), the set bits among
              C(TRUST) (0x1), C(SIGN) (0x2), C(VALID) (0x4), C(PRIV) (0x8) and C(ERROR) (0x80).
          type: dict
          sample: {"value": 5, "names": ["TRUST", "VALID"]}
        expires:
          description: End of validity, ISO 8601 in UTC to the minute (ntpd reports C(YYYYMMDDhhmm)).
          type: str
          sample: "2027-11-26T12:21:00+00:00"
    variables:
      description:
        - Every system variable as ntpq printed it (strings, first value of each name), without C(cert) and C(until).
        - For chronyd the fields of C(chronyc -c tracking) by name (C(reference_id), C(address), C(stratum),
          C(ref_time), C(system_time), C(last_offset), C(rms_offset), C(frequency), C(residual_frequency), C(skew),
          C(root_delay), C(root_dispersion), C(update_interval), C(leap_status)), as printed.
      type: dict
      sample: {"associd": "0", "leap": "00", "stratum": "6", "refid": "10.89.0.2", "flags": "0x29c0003"}
associations:
  description:
    - One entry per association (C(ntpq -c as)), each with its peer variables (C(ntpq -c "rv ASSID")).
    - For chronyd one entry per source (C(chronyc sources)) with its authentication data (C(chronyc authdata)).
  returned: success
  type: list
  elements: dict
  contains:
    assid:
      description: Association ID.
      type: int
      sample: 17683
    ind:
      description: Index in the C(as) list.
      type: int
      sample: 1
    status:
      description: The peer status word, four hex digits.
      type: str
      sample: f61e
    conf:
      description: C(as) column C(conf), V(yes) for a configured association.
      type: str
      sample: "yes"
    reach:
      description: C(as) column C(reach), V(yes) when the peer was heard from recently.
      type: str
      sample: "yes"
    auth:
      description:
        - C(as) column C(auth), V(ok), V(bad) or V(none) (no authentication).
        - For chronyd V(ok) once NTS-KE gave keys (C(authdata) key length above 0) or, with a symmetric key, once
          the source answered; V(bad) before that (for example with the wrong CA); V(none) without authentication.
      type: str
      sample: ok
    condition:
      description: C(as) column C(condition), for example V(sys.peer), V(candidate) or V(reject).
      type: str
      sample: sys.peer
    last_event:
      description: C(as) column C(last_event), V(null) when blank.
      type: str
      sample: mobilize
    event_count:
      description: C(as) column C(cnt).
      type: int
      sample: 1
    address:
      description: The peer's address (C(srcadr)). V(null) when ntpd forgot the association between the two queries.
      type: str
      sample: 10.89.0.2
    selection:
      description: The selection status from the peer status word (C(sel_sys.peer) gives V(sys.peer)).
      type: str
      sample: sys.peer
    leap:
      description: The peer's leap indicator by name (V(alarm) until it is synchronised).
      type: str
      sample: none
    leap_indicator:
      description: The peer's leap indicator bits.
      type: str
      sample: "00"
    stratum:
      description: The peer's stratum.
      type: int
      sample: 5
    refid:
      description: The peer's reference ID.
      type: str
      sample: 127.0.0.1
    reach_register:
      description: The reachability shift register, octal (C(377) = the last eight polls answered).
      type: str
      sample: "377"
    offset:
      description: Offset in milliseconds.
      type: float
      sample: 0.042
    delay:
      description: Round-trip delay in milliseconds.
      type: float
      sample: 0.108
    jitter:
      description: Jitter in milliseconds.
      type: float
      sample: 0.364
    flash:
      description: The flash status, a code and ntpq's names of its bits (V(00 ok) when all tests pass).
      type: str
      sample: 00 ok
    host:
      description: The peer's Autokey name (its certificate subject). V(null) without Autokey.
      type: str
      sample: lab-ntp1@lab-ntp1
    ident:
      description: The Autokey group this association uses (C(ident) on the C(server) line).
      type: str
      sample: lab-ntp1
    signature:
      description: The signature scheme of the peer's certificate.
      type: str
      sample: sha256WithRSAEncryption
    flags:
      description:
        - The peer's Autokey flags. V(null) for an association without Autokey.
        - C(value) and C(hex), the word; C(names), its set bits among C(ENAB) (0x1), C(TAI) (0x2), C(PRIV) (0x10),
          C(IFF) (0x20), C(GQ) (0x40), C(MV) (0x80), C(CERT) (0x100, public key verified), C(VRFY) (0x200, identity
          verified), C(PROV) (0x400, signature verified), C(COOK) (0x800), C(AUTO) (0x1000), C(SIGN) (0x2000) and
          C(LEAP) (0x4000).
        - C(nid), the upper 16 bits, the OpenSSL NID of the certificate signature (668 for RSA-SHA256, 8 for RSA-MD5),
          and C(nid_name), its OpenSSL name, or V(null) for an NID the module does not know.
      type: dict
      sample: {"value": 43810595, "hex": "0x29c7f23", "nid": 668, "nid_name": "sha256WithRSAEncryption",
               "names": ["ENAB", "TAI", "IFF", "CERT", "VRFY", "PROV", "COOK", "AUTO", "SIGN", "LEAP"]}
    identity:
      description:
        - The identity scheme from the flags, V(iff), V(gq), V(mv) or V(pc) (private certificate);
          V(tc) (trusted certificate only) for Autokey without a scheme; V(none) without Autokey.
        - It names the scheme in use, not its success; C(VRFY) in RV(associations[].flags) says it succeeded.
      type: str
      sample: iff
    nts:
      description:
        - V(true) for an ntpsec association that uses NTS (C(server ... nts)) - ntpd reports NTS cookies for it
          (C(ntscookies)) and authentication without a symmetric key (status word C(authenb), C(keyid=0)).
        - For chronyd, V(true) for a source whose C(authdata) mode is C(NTS).
        - Whether NTS worked is in RV(associations[].cookies) and RV(associations[].auth).
      type: bool
      sample: false
    key_id:
      description:
        - The key ID the association sends and checks (C(keyid); V(null) when 0 or absent). From 1 to 65535 a
          symmetric key (C(server ... key N)); above, an Autokey session key.
      type: int
      sample: 4
      version_added: 0.3.0
    symmetric:
      description:
        - V(true) for an association with a symmetric key (C(server ... key N)) - authentication enabled (status
          word C(authenb)), a key ID from 1 to 65535 and no Autokey flags; for chronyd, C(authdata) mode C(SK).
          Whether the key checked out is RV(associations[].auth) (V(ok), or V(bad) for a wrong key; chronyd drops
          replies that fail, so there V(bad) means no authenticated reply arrived).
      type: bool
      sample: false
      version_added: 0.3.0
    cookies:
      description:
        - The number of NTS cookies ntpd holds for this association (C(ntscookies); 8 after a good NTS-KE,
          V(-1) before the first NTS-KE succeeded, for example with the wrong CA). V(null) from classic ntpd.
        - For chronyd the C(authdata) cookie count (8 after a good NTS-KE, V(0) before or after a failed one);
          V(null) for a source without NTS.
      type: int
      sample: null
    name:
      description: The host name the association was configured with (ntpsec C(srchost)), V(null) when ntpd reports none
        (always V(null) for chronyd, read with C(-n)).
      type: str
      sample: null
    variables:
      description:
        - Every peer variable as ntpq printed it (strings, first value of each name). ntpsec's filter arrays
          (C(filtdelay), C(filtoffset), C(filtdisp)) are left out.
      type: dict
      sample: {"associd": "17683", "srcadr": "10.89.0.2", "flags": "0x29c7f23", "ident": "lab-ntp1"}
"""

import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.timesec.ntp.plugins.module_utils import chronyc, hostinfo, ntpq, status

# ntpd on the target itself: its process (and configuration file) can be read from /proc.
LOCAL_HOSTS = ('localhost', '127.0.0.1', '::1')
HOST_RE = re.compile(r'^[A-Za-z0-9_.:%\[\]][A-Za-z0-9_.:%\[\]-]*\Z')


def ntpq_runner(module, binary):
    """The transport for ntpq.collect(): one ntpq command against O(host), with O(timeout), LC_ALL=C."""
    def run(command):
        argv = ntpq.command_argv(binary, command, module.params['host'], module.params['timeout'])
        # errors='replace': ntpsec 1.2.2 prints uninitialised bytes in its filter arrays.
        return module.run_command(argv, environ_update={'LC_ALL': 'C'}, errors='replace')
    return run


def chronyc_runner(module, binary):
    """The transport for chronyc.collect(): one chronyc command in CSV form with numeric addresses,
    O(timeout) as chronyc's initial timeout, LC_ALL=C. A local O(host) gets no -h, so that chronyc
    tries chronyd's Unix socket first."""
    def run(command):
        host = None if module.params['host'] in LOCAL_HOSTS else module.params['host']
        argv = chronyc.command_argv(binary, command, host, module.params['timeout'])
        return module.run_command(argv, environ_update={'LC_ALL': 'C'}, errors='replace')
    return run


def _processes(proc, names):
    """(pid, comm, argv) of the processes named in ``names``, by PID. Reads /proc only."""
    for entry in sorted(os.listdir(proc)):
        if not entry.isdigit():
            continue
        try:
            with open(os.path.join(proc, entry, 'comm')) as handle:
                comm = handle.read().strip()
            if comm not in names:
                continue
            with open(os.path.join(proc, entry, 'cmdline'), 'rb') as handle:
                argv = [to_text(arg, errors='surrogate_or_strict') for arg in handle.read().split(b'\0') if arg]
        except (IOError, OSError):
            continue  # gone meanwhile, or not ours to read
        yield int(entry), comm, argv


def local_daemon(daemon, proc='/proc'):
    """The local ntpd (chronyd when ``daemon`` is ``chrony``) process: its PID, command line and the
    configuration file it runs with (None when no such process runs). Reads /proc only."""
    name = 'chronyd' if daemon == 'chrony' else 'ntpd'
    for pid, _comm, argv in _processes(proc, (name,)):
        config = chronyc.config_file(argv) if daemon == 'chrony' else ntpq.config_file(argv, daemon)
        return {'pid': pid, 'argv': argv, 'config_file': config}
    return None


def running_daemons(proc='/proc'):
    """The set of daemon process names (ntpd, chronyd) running on the target."""
    return set(comm for pid, comm, argv in _processes(proc, ('ntpd', 'chronyd')))


# O(daemon)'s names (the roles' and the earlier process names) -> the reader (a key of READERS).
READER_OF = {'ntp': 'ntpd', 'ntpsec': 'ntpd', 'ntpd': 'ntpd', 'chrony': 'chronyd', 'chronyd': 'chronyd'}


def choose_daemon(module):
    """The reader for O(daemon), with V(auto) resolved: chronyd when it runs here and ntpd does not, else chronyd
    when chronyc is installed and ntpq is not, else ntpd (as before the option existed)."""
    if module.params['daemon'] != 'auto':
        return READER_OF[module.params['daemon']]
    if module.params['host'] in LOCAL_HOSTS and running_daemons() == {'chronyd'}:
        return 'chronyd'
    if module.get_bin_path('ntpq') is None and module.get_bin_path('chronyc') is not None:
        return 'chronyd'
    return 'ntpd'


# How each daemon is read: the program, its transport, the parser's collect(), and what to say when
# the program is missing. Both readers raise status.StatusError (status.StatusParseError for output they cannot parse).
READERS = {
    'ntpd': {
        'program': 'ntpq', 'runner': ntpq_runner, 'collect': ntpq.collect,
        'missing': 'ntpq not found on the target: install the ntp package (classic ntp 4.2.8) or ntpsec, which '
                   'provide ntpq and ntpd (for chronyd: the chrony package, with daemon=chrony)',
    },
    'chronyd': {
        'program': 'chronyc', 'runner': chronyc_runner, 'collect': chronyc.collect,
        'missing': 'chronyc not found on the target: install the chrony package, which provides chronyc and '
                   'chronyd (or set daemon=ntp or daemon=ntpsec to read ntpd)',
    },
}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            host=dict(type='str', default='localhost'),
            timeout=dict(type='int', default=5),
            daemon=dict(type='str', default='auto', choices=['auto', 'ntp', 'ntpsec', 'chrony', 'ntpd', 'chronyd']),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not HOST_RE.match(p['host']):
        module.fail_json(msg='host is not a host name or address (not shown)')
    if not 1 <= p['timeout'] <= 300:
        module.fail_json(msg='timeout must be between 1 and 300 seconds, got %d' % p['timeout'])

    daemon = choose_daemon(module)
    reader = READERS[daemon]
    binary = module.get_bin_path(reader['program'])
    if binary is None:
        module.fail_json(msg=reader['missing'])
    try:
        system, associations = reader['collect'](reader['runner'](module, binary), p['host'], module.warn)
    except status.StatusParseError as exc:
        module.fail_json(msg='cannot parse the output of %s: %s' % (reader['program'], exc))
    except status.StatusError as exc:
        module.fail_json(msg=str(exc))
    # ntp, ntpsec or chrony: which process to look for
    process = local_daemon(system.get('daemon')) if p['host'] in LOCAL_HOSTS else None
    module.exit_json(changed=False, daemon=daemon, system=system, associations=associations, process=process,
                     summary=status.summarize(system, associations),
                     upstreams=[status.source(assoc) for assoc in associations], steppers=hostinfo.expand(hostinfo.STEPPERS))


if __name__ == '__main__':
    main()
