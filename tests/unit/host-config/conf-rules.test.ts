/**
 * The configuration rules (main/services/host-config/conf-rules.ts), one block per rule: values libvirt
 * 9.0 accepts and values it refuses (or, for warnings, values that are legal but almost surely wrong),
 * with the host facts as a plain object. Whether the real daemon refuses them is the integration test's
 * job (tests/integration/host-config-rules.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConf } from '../../../main/services/host-config/conf-parser';
import {
  CONF_RULES,
  confNumber,
  inetAton,
  parseUuid,
  virStrToLong,
  type RuleContext,
} from '../../../main/services/host-config/conf-rules';
import { validateConf } from '../../../main/services/host-config/conf-validate';
import { FALLBACK_SCHEMAS } from '../../../main/services/host-config/fallback-schema.gen';
import { README, withRulesTable } from '../../../main/services/host-config/generate-rules-readme';
import {
  applyFactFrames,
  emptyFacts,
  FACTS_SCRIPT,
  missingItems,
  type HostFacts,
  type PathFact,
} from '../../../main/services/host-config/host-facts';
import { parseFrames } from '../../../main/services/host-config/root-shell';

const dir = (fs = 'ext2/ext3'): PathFact => ({ type: 'dir', executable: true, fs, size: 4096 });
const file = (executable = false): PathFact => ({ type: 'file', executable, fs: 'ext2/ext3', size: 10 });
const missing: PathFact = { type: 'missing', executable: false, fs: null, size: 0 };

/** A Debian host: AppArmor confines libvirtd, no SELinux, certificates for VNC only. */
const FACTS: HostFacts = {
  ...emptyFacts(),
  libvirtVersion: '9.0.0',
  commandLine: '/usr/sbin/libvirtd -d',
  selinux: false,
  apparmor: true,
  firmwareDescriptors: false,
  schedCore: false,
  lockDrivers: ['lockd'],
  polkit: true,
  users: { root: true, 'libvirt-qemu': true, tss: false, 'no-such-user': false },
  groups: { root: true, kvm: true, libvirt: true, tss: false, 'no-such-group': false },
  paths: {
    '/etc/pki/qemu': dir(),
    '/etc/pki/qemu/ca-cert.pem': file(),
    '/etc/pki/qemu/server-cert.pem': file(),
    '/etc/pki/qemu/server-key.pem': file(),
    '/etc/pki/libvirt-vnc': missing,
    '/etc/pki/libvirt-spice': dir(),
    '/etc/pki/libvirt-spice/ca-cert.pem': file(),
    '/etc/pki/libvirt-spice/server-cert.pem': missing,
    '/etc/pki/libvirt-spice/server-key.pem': missing,
    '/etc/pki/libvirt-chardev': missing,
    '/etc/pki/libvirt-nbd': missing,
    '/etc/pki/libvirt-vxhs': missing,
    '/etc/pki/libvirt-migrate': missing,
    '/etc/pki/libvirt-backup': missing,
    '/etc/pki/empty': dir(),
    '/etc/pki/empty/ca-cert.pem': missing,
    '/etc/pki/empty/server-cert.pem': missing,
    '/etc/pki/empty/server-key.pem': missing,
    '/etc/pki/nope': missing,
    '/etc/pki/nope/ca-cert.pem': missing,
    '/etc/pki/nope/server-cert.pem': missing,
    '/etc/pki/nope/server-key.pem': missing,
    '/etc/sasl2': dir(),
    '/some/directory/sasl2': missing,
    '/dev/hugepages': dir('hugetlbfs'),
    '/dev/hugepages1G': dir('hugetlbfs'),
    '/tmp': dir('tmpfs'),
    '/nonexistent': missing,
    '/usr/lib/qemu/qemu-bridge-helper': file(true),
    '/usr/libexec/qemu-bridge-helper': missing,
    '/etc/passwd': file(false),
    '/dev/null': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/kvm': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/infiniband/rdma_cm': missing,
    '/dev/full': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/zero': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/random': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/urandom': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/dev/ptmx': { type: 'other', executable: false, fs: 'devtmpfs', size: 0 },
    '/usr/share/OVMF/OVMF_CODE.fd': file(),
    '/usr/share/OVMF/OVMF_VARS.fd': file(),
    '/usr/share/AAVMF/AAVMF_CODE.fd': missing,
    '/usr/share/AAVMF/AAVMF_VARS.fd': missing,
    '/run/libvirt/virtlockd-sock': missing,
    '/run/libvirt': dir('tmpfs'),
    '/run/elsewhere': dir('tmpfs'),
    '/etc/machine-id': file(),
    '/var/log/libvirt': dir(),
    '/var/log/nope': missing,
    '/etc/pki/CA/cacert.pem': file(),
    '/etc/pki/libvirt/servercert.pem': file(),
    '/etc/pki/libvirt/private/serverkey.pem': missing,
    '/srv/ca.pem': file(),
    '/srv/cert.pem': file(),
    '/srv/key.pem': file(),
  },
  hosts: { 'host.example.com': true, 'vnc.example.com': true, 'no-such-host': false },
  commands: { gzip: true, xz: true, bzip2: true, lzop: false },
};

const schemaFor = (file: 'qemu' | 'daemon') =>
  FALLBACK_SCHEMAS.find((s) => s.module === (file === 'qemu' ? 'Libvirtd_qemu' : 'Libvirtd'))!;

interface Case {
  /** Values libvirt takes (the rule says nothing). */
  accepted: string[];
  /** Values the rule flags. */
  refused: string[];
  facts?: Partial<HostFacts>;
  daemon?: 'libvirtd' | 'virtqemud';
}

const Q = (...lines: string[]) => `${lines.join('\n')}\n`;

const CASES: Record<string, Case> = {
  'qemu.type.number-overflow': {
    accepted: [Q('max_core = 9223372036854775807'), Q('max_files = 4096')],
    refused: [Q('max_core = 99999999999999999999')],
  },
  'qemu.type.string': {
    accepted: [Q('vnc_listen = "0.0.0.0"'), Q("user = 'root'")],
    refused: [Q('vnc_listen = 127'), Q('user = [ "root" ]')],
  },
  'qemu.type.bool': {
    accepted: [Q('vnc_tls = 0'), Q('vnc_tls = +1'), Q('set_process_name = 01')],
    refused: [Q('vnc_tls = 2'), Q('vnc_tls = -0'), Q('vnc_tls = "1"'), Q('dynamic_ownership = [ 1 ]')],
  },
  'qemu.type.int': {
    accepted: [Q('keepalive_interval = -1'), Q('seccomp_sandbox = 0'), Q('keepalive_interval = 2147483647')],
    refused: [
      Q('keepalive_interval = 2147483648'),
      Q('seccomp_sandbox = -2147483649'),
      Q('keepalive_interval = "5"'),
    ],
  },
  'qemu.type.uint': {
    accepted: [Q('max_files = 4294967295'), Q('max_core = 18446744073709551'), Q('max_files = +3')],
    refused: [Q('max_files = 4294967296'), Q('max_files = -0'), Q('max_core = -1'), Q('max_files = "4096"')],
  },
  'qemu.type.string-list': {
    accepted: [
      Q('cgroup_controllers = [ "cpu" ]'),
      Q('security_driver = "none"'),
      Q('hugetlbfs_mount = [ "/dev/hugepages" ]'),
      Q('nvram = []'),
    ],
    refused: [Q('cgroup_controllers = "cpu"'), Q('namespaces = [ "mount", 1 ]'), Q('security_driver = 1')],
  },
  'daemon.type.number-overflow': {
    accepted: [Q('max_clients = 5000')],
    refused: [Q('max_clients = 18446744073709551621')],
  },
  'daemon.type.string': {
    accepted: [Q('unix_sock_group = "libvirt"')],
    refused: [Q('unix_sock_group = 0'), Q('log_outputs = [ "1:stderr" ]')],
  },
  'daemon.type.bool': {
    accepted: [Q('listen_tls = 0'), Q('audit_logging = 1')],
    refused: [Q('listen_tls = 2'), Q('audit_logging = -1')],
  },
  'daemon.type.int': {
    accepted: [Q('keepalive_interval = -1'), Q('admin_keepalive_interval = 5')],
    refused: [Q('keepalive_interval = 3000000000'), Q('admin_keepalive_interval = "5"')],
  },
  'daemon.type.uint': {
    accepted: [Q('max_clients = 4294967295'), Q('log_level = 0')],
    refused: [Q('max_clients = -1'), Q('max_workers = 4294967296'), Q('tcp_min_ssf = "112"')],
  },
  'daemon.type.string-list': {
    accepted: [Q('access_drivers = [ "polkit" ]'), Q('tls_allowed_dn_list = []')],
    refused: [Q('access_drivers = "polkit"'), Q('sasl_allowed_username_list = [ "a", 2 ]')],
  },
  'daemon.ignored-keys': {
    accepted: [Q('keepalive_interval = 5'), Q('listen_tcp = 1')],
    refused: [Q('keepalive_required = 1'), Q('admin_keepalive_required = 0')],
  },
  'qemu.remote-display-port-range': {
    accepted: [
      Q('remote_display_port_min = 5900', 'remote_display_port_max = 65535'),
      Q('remote_display_port_min = 6000'),
    ],
    refused: [
      Q('remote_display_port_min = 5899'),
      Q('remote_display_port_max = 65536'),
      Q('remote_display_port_min = 6000', 'remote_display_port_max = 5999'),
    ],
  },
  'qemu.remote-websocket-port-range': {
    accepted: [Q('remote_websocket_port_min = 5700'), Q('remote_websocket_port_max = 5800')],
    refused: [
      Q('remote_websocket_port_min = 5699'),
      Q('remote_websocket_port_min = 5800', 'remote_websocket_port_max = 5799'),
    ],
  },
  'qemu.migration-port-range': {
    accepted: [
      Q('migration_port_min = 49152', 'migration_port_max = 49215'),
      Q('migration_port_min = 1', 'migration_port_max = 2'),
    ],
    refused: [Q('migration_port_min = 0'), Q('migration_port_min = 50000'), Q('migration_port_max = 70000')],
  },
  'qemu.migration-not-localhost': {
    accepted: [
      Q('migration_host = "host.example.com"'),
      Q('migration_address = "0.0.0.0"'),
      Q('migration_address = "127.0.0.2"'),
    ],
    refused: [
      Q('migration_host = "localhost"'),
      Q('migration_host = "localhost.localdomain"'),
      Q('migration_address = "127.0.0.1"'),
      Q('migration_address = "127.1"'),
      Q('migration_address = "[::1]"'),
      Q('migration_host = "0:0::1"'),
    ],
  },
  'qemu.graphics-listen': {
    accepted: [Q('vnc_listen = "0.0.0.0"'), Q('spice_listen = "::"'), Q('vnc_listen = "vnc.example.com"')],
    refused: [Q('vnc_listen = "no-such-host"'), Q('spice_listen = "[::1]"')],
  },
  'qemu.auto-unix-socket-vs-listen': {
    accepted: [Q('vnc_auto_unix_socket = 1'), Q('vnc_auto_unix_socket = 0', 'vnc_listen = "0.0.0.0"')],
    refused: [
      Q('vnc_auto_unix_socket = 1', 'vnc_listen = "0.0.0.0"'),
      Q('spice_listen = "::"', 'spice_auto_unix_socket = 1'),
    ],
  },
  'qemu.tls-cert-dir-exists': {
    accepted: [
      Q('vnc_tls_x509_cert_dir = "/etc/pki/qemu"'),
      Q('default_tls_x509_cert_dir = "/etc/pki/qemu"'),
      Q('nbd_tls_x509_cert_dir = "/etc/passwd"'),
    ],
    refused: [
      Q('default_tls_x509_cert_dir = "/etc/pki/nope"'),
      Q('spice_tls_x509_cert_dir = "/etc/pki/nope"'),
      Q('backup_tls_x509_cert_dir = "/nonexistent"'),
    ],
  },
  'qemu.graphics-tls-certificates': {
    accepted: [
      Q('vnc_tls = 1'),
      Q('vnc_tls = 0', 'vnc_tls_x509_cert_dir = "/etc/pki/empty"'),
      Q('spice_tls = 1', 'spice_tls_x509_cert_dir = "/etc/pki/qemu"'),
    ],
    // libvirt-spice exists and lacks its server certificate; /etc/pki/empty has none.
    refused: [
      Q('spice_tls = 1'),
      Q('vnc_tls = 1', 'vnc_tls_x509_cert_dir = "/etc/pki/empty"'),
      Q('vnc_tls = 1', 'default_tls_x509_cert_dir = "/etc/pki/empty"'),
    ],
  },
  'qemu.tls-certificates-on-use': {
    accepted: [
      Q('chardev_tls = 1'),
      Q('migrate_tls_force = 0', 'default_tls_x509_cert_dir = "/etc/pki/empty"'),
    ],
    refused: [
      Q('chardev_tls = 1', 'default_tls_x509_cert_dir = "/etc/pki/empty"'),
      Q('migrate_tls_force = 1', 'migrate_tls_x509_cert_dir = "/etc/pki/empty"'),
    ],
  },
  'qemu.tls-secret-uuid': {
    accepted: [
      Q('vnc_tls_x509_secret_uuid = "6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5b"'),
      Q('default_tls_x509_secret_uuid = " 6f4f3c0a2b7e4c5e9a5b0c1d2e3f4a5b "'),
    ],
    refused: [
      Q('vnc_tls_x509_secret_uuid = "00000000-0000-0000-0000-000000000000"'),
      Q('nbd_tls_x509_secret_uuid = "my-secret"'),
    ],
  },
  'qemu.vnc-password-length': {
    accepted: [Q('vnc_password = "XYZ12345"')],
    refused: [Q('vnc_password = "XYZ123456"')],
  },
  'qemu.sasl-dir': {
    accepted: [Q('vnc_sasl_dir = "/etc/sasl2"')],
    refused: [Q('vnc_sasl_dir = "/some/directory/sasl2"'), Q('spice_sasl_dir = "/etc/passwd"')],
  },
  'qemu.security-driver': {
    accepted: [
      Q('security_driver = "none"'),
      Q('security_driver = "apparmor"'),
      Q('security_driver = [ "apparmor", "none" ]'),
    ],
    refused: [
      Q('security_driver = "selinux"'),
      Q('security_driver = "dac"'),
      Q('security_driver = [ "none", "none" ]'),
      Q('security_driver = "AppArmor"'),
    ],
  },
  'qemu.require-confined': {
    accepted: [
      Q('security_require_confined = 1'),
      Q('security_require_confined = 1', 'security_driver = "apparmor"'),
      Q('security_require_confined = 0', 'security_driver = "none"'),
    ],
    refused: [
      Q('security_require_confined = 1', 'security_driver = "none"'),
      Q('security_require_confined = 1', 'security_driver = [ "apparmor", "none" ]'),
    ],
  },
  'qemu.user-exists': {
    accepted: [Q('user = "root"'), Q('user = "+107"'), Q('user = "107"'), Q('swtpm_user = "libvirt-qemu"')],
    refused: [Q('user = "no-such-user"'), Q('swtpm_user = "tss"'), Q('user = "+tss"')],
  },
  'qemu.group-exists': {
    accepted: [Q('group = "kvm"'), Q('group = "+0"'), Q('swtpm_group = "root"')],
    refused: [Q('group = "no-such-group"'), Q('swtpm_group = "tss"')],
  },
  'qemu.cgroup-controllers': {
    accepted: [
      Q('cgroup_controllers = [ "cpu", "devices", "memory", "blkio", "cpuset", "cpuacct" ]'),
      Q('cgroup_controllers = [ "name=systemd" ]'),
      Q('cgroup_controllers = []'),
    ],
    refused: [Q('cgroup_controllers = [ "cpu", "io" ]'), Q('cgroup_controllers = [ "CPU" ]')],
  },
  'qemu.namespaces': {
    accepted: [Q('namespaces = [ "mount" ]'), Q('namespaces = []')],
    refused: [Q('namespaces = [ "pid" ]')],
  },
  'qemu.cgroup-device-acl': {
    accepted: [
      Q(
        'cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm" ]',
      ),
    ],
    refused: [
      Q('cgroup_device_acl = [ "/dev/null", "/dev/kvm" ]'),
      Q(
        'cgroup_device_acl = [ "/dev/null", "/dev/full", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/ptmx", "/dev/kvm", "/dev/infiniband/rdma_cm" ]',
      ),
    ],
  },
  'qemu.image-format': {
    accepted: [
      Q('save_image_format = "raw"'),
      Q('save_image_format = "xz"'),
      Q('snapshot_image_format = "gzip"'),
    ],
    refused: [
      Q('save_image_format = "zip"'),
      Q('snapshot_image_format = "lzop"'),
      Q('save_image_format = "XZ"'),
    ],
  },
  'qemu.dump-image-format': {
    accepted: [Q('dump_image_format = "bzip2"')],
    refused: [Q('dump_image_format = "lzop"'), Q('dump_image_format = "zstd"')],
  },
  'qemu.hugetlbfs-mount': {
    accepted: [
      Q('hugetlbfs_mount = "/dev/hugepages"'),
      Q('hugetlbfs_mount = [ "/dev/hugepages", "/dev/hugepages1G" ]'),
    ],
    refused: [Q('hugetlbfs_mount = "/tmp"'), Q('hugetlbfs_mount = [ "/dev/hugepages", "/nonexistent" ]')],
  },
  'qemu.helper-programs': {
    accepted: [Q('bridge_helper = "/usr/lib/qemu/qemu-bridge-helper"')],
    refused: [Q('bridge_helper = "/usr/libexec/qemu-bridge-helper"'), Q('pr_helper = "/etc/passwd"')],
  },
  'qemu.stdio-handler': {
    accepted: [Q('stdio_handler = "logd"'), Q('stdio_handler = "file"')],
    refused: [Q('stdio_handler = "journald"')],
  },
  'qemu.sched-core': {
    accepted: [Q('sched_core = "none"')],
    refused: [Q('sched_core = "all"'), Q('sched_core = "vcpus"')],
  },
  'qemu.lock-manager': {
    accepted: [Q('lock_manager = "lockd"'), Q('lock_manager = "nop"')],
    refused: [Q('lock_manager = "sanlock"')],
  },
  'qemu.lockd-needs-virtlockd': {
    accepted: [Q('lock_manager = "nop"')],
    refused: [Q('lock_manager = "lockd"')],
  },
  'qemu.disk-format-probing': {
    accepted: [Q('allow_disk_format_probing = 0')],
    refused: [Q('allow_disk_format_probing = 1')],
  },
  'qemu.nvram-pairs': {
    accepted: [
      Q('nvram = [ "/usr/share/OVMF/OVMF_CODE.fd:/usr/share/OVMF/OVMF_VARS.fd" ]'),
      Q('nvram = [ " /usr/share/OVMF/OVMF_CODE.fd: /usr/share/OVMF/OVMF_VARS.fd" ]'),
    ],
    refused: [
      Q('nvram = [ "/usr/share/OVMF/OVMF_CODE.fd" ]'),
      Q('nvram = [ "a:b:c" ]'),
      Q('nvram = [ ":/usr/share/OVMF/OVMF_VARS.fd" ]'),
      // a legal pair whose files are missing: a warning
      Q('nvram = [ "/usr/share/AAVMF/AAVMF_CODE.fd:/usr/share/AAVMF/AAVMF_VARS.fd" ]'),
    ],
  },
  'qemu.capability-filters': {
    accepted: [Q('capability_filters = [ "vnc-colon", "netdev.stream" ]')],
    refused: [Q('capability_filters = [ "capname" ]')],
  },
  'qemu.deprecation-behavior': {
    accepted: [Q('deprecation_behavior = "reject"')],
    refused: [Q('deprecation_behavior = "ignore"')],
  },
  'qemu.max-core': {
    accepted: [Q('max_core = "unlimited"'), Q('max_core = 0')],
    refused: [Q('max_core = "infinity"'), Q('max_core = "Unlimited"')],
  },
  'qemu.documented-ranges': {
    accepted: [Q('seccomp_sandbox = -1'), Q('gluster_debug_level = 9')],
    refused: [Q('seccomp_sandbox = 2'), Q('gluster_debug_level = 10')],
  },
  'qemu.relative-dirs': {
    accepted: [Q('auto_dump_path = "/var/lib/libvirt/qemu/dump"')],
    refused: [Q('memory_backing_dir = "ram"')],
  },
  'daemon.auth': {
    accepted: [Q('auth_unix_rw = "polkit"'), Q('auth_tcp = "sasl"'), Q('auth_tls = "none"')],
    refused: [Q('auth_unix_rw = "kerberos"'), Q('auth_tls = "None"')],
  },
  'daemon.polkit-available': {
    accepted: [Q('auth_unix_rw = "polkit"'), Q('access_drivers = [ "polkit" ]')],
    refused: [Q('access_drivers = [ "polkit" ]'), Q('auth_unix_ro = "polkit"')],
  },
  'daemon.tcp-min-ssf': {
    accepted: [Q('tcp_min_ssf = 112'), Q('tcp_min_ssf = 256')],
    refused: [Q('tcp_min_ssf = 56')],
  },
  'daemon.max-workers': {
    accepted: [Q('max_workers = 1')],
    refused: [Q('max_workers = 0')],
  },
  'daemon.workers-clamped': {
    accepted: [Q('min_workers = 5', 'max_workers = 20'), Q('admin_min_workers = 1', 'admin_max_workers = 5')],
    refused: [Q('min_workers = 30'), Q('admin_max_workers = 0'), Q('max_client_requests = 0')],
  },
  'daemon.anonymous-clients': {
    accepted: [Q('max_clients = 20'), Q('max_anonymous_clients = 5000')],
    refused: [Q('max_clients = 10'), Q('max_anonymous_clients = 5001')],
  },
  'daemon.socket-perms': {
    accepted: [Q('unix_sock_rw_perms = "0770"'), Q('unix_sock_ro_perms = " 777"')],
    refused: [
      Q('unix_sock_rw_perms = "rwxrwx---"'),
      Q('unix_sock_ro_perms = "0778"'),
      Q('unix_sock_admin_perms = "0700 "'),
      Q('unix_sock_ro_perms = "07777"'),
    ],
  },
  'daemon.socket-group': {
    accepted: [Q('unix_sock_group = "libvirt"'), Q('unix_sock_group = "106"')],
    refused: [Q('unix_sock_group = "no-such-group"')],
  },
  'daemon.socket-dir': {
    accepted: [Q('unix_sock_dir = "/run/libvirt"')],
    refused: [
      Q('unix_sock_dir = "/nonexistent"'),
      Q('unix_sock_dir = "/run/elsewhere"'),
      Q(`unix_sock_dir = "/${'x'.repeat(100)}"`),
    ],
  },
  'daemon.access-drivers': {
    accepted: [Q('access_drivers = [ "polkit" ]'), Q('access_drivers = [ "none" ]')],
    refused: [Q('access_drivers = [ "rbac" ]')],
  },
  'daemon.host-uuid': {
    accepted: [
      Q('host_uuid = "6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5b"'),
      Q('host_uuid_source = "smbios"'),
      Q('host_uuid_source = "machine-id"'),
    ],
    refused: [
      Q('host_uuid = "00000000-0000-0000-0000-000000000000"'),
      Q('host_uuid = "11111111-1111-1111-1111-111111111111"'),
      Q('host_uuid = "6f4f3c0a-2b7e"'),
      Q('host_uuid_source = "dmi"'),
      Q('host_uuid = "6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5b"', 'host_uuid_source = "smbios"'),
    ],
  },
  'daemon.log-level': {
    accepted: [Q('log_level = 3'), Q('log_level = 0')],
    refused: [Q('log_level = 5')],
  },
  'daemon.log-filters': {
    accepted: [
      Q('log_filters = "1:qemu 1:libvirt 4:object 4:json 4:event 1:util"'),
      Q('log_filters = "  3:+remote "'),
    ],
    refused: [
      Q('log_filters = "qemu"'),
      Q('log_filters = "debug:qemu"'),
      Q('log_filters = "1:+"'),
      Q('log_filters = "0:qemu"'),
    ],
  },
  'daemon.log-outputs': {
    accepted: [
      Q('log_outputs = "3:syslog:libvirtd"'),
      Q('log_outputs = "1:file:/var/log/libvirt/libvirtd.log 2:journald"'),
    ],
    refused: [
      Q('log_outputs = "3:syslog"'),
      Q('log_outputs = "3:file:/var/log/nope/l.log"'),
      Q('log_outputs = "5:stderr"'),
      Q('log_outputs = "1:stdout"'),
      Q('log_outputs = "1:stderr:x"'),
    ],
  },
  'daemon.audit-level': {
    accepted: [Q('audit_level = 2')],
    refused: [Q('audit_level = 3')],
  },
  'daemon.network-needs-listen': {
    accepted: [Q('listen_tcp = 0'), Q('tcp_port = "16509"')],
    refused: [Q('listen_tcp = 1'), Q('listen_tls = 1')],
  },
  'daemon.tls-files': {
    accepted: [
      Q('listen_tls = 0'),
      Q('ca_file = "/srv/ca.pem"', 'cert_file = "/srv/cert.pem"', 'key_file = "/srv/key.pem"'),
    ],
    refused: [
      Q('listen_tls = 1'),
      Q('ca_file = "/srv/ca.pem"', 'cert_file = "/srv/cert.pem"'),
      Q('ca_file = "/srv/ca.pem"', 'cert_file = "/srv/cert.pem"', 'key_file = "/nonexistent"'),
    ],
    facts: { commandLine: '/usr/sbin/libvirtd -d --listen' },
  },
  'daemon.listen-address-port': {
    accepted: [
      Q('listen_tcp = 1', 'tcp_port = "16509"', 'listen_addr = "host.example.com"'),
      Q('tls_port = "libvirt-tls"'),
    ],
    refused: [
      Q('listen_tcp = 1', 'tcp_port = "0"'),
      Q('tls_port = "70000"'),
      Q('listen_tcp = 1', 'listen_addr = "no-such-host"'),
    ],
    facts: { commandLine: '/usr/sbin/libvirtd -dl' },
  },
};

function diagnose(
  text: string,
  file: 'qemu' | 'daemon',
  facts: HostFacts,
  daemon: 'libvirtd' | 'virtqemud' = 'libvirtd',
) {
  const ctx: Partial<RuleContext> = { file, daemon, facts };
  return validateConf(parseConf(text), schemaFor(file), ctx);
}

describe('the rules table', () => {
  it('every rule has a reference to libvirt 9.0 source, a summary, and test cases here', () => {
    for (const rule of CONF_RULES) {
      expect(rule.ref, rule.id).toMatch(/^src\/[a-z_/]+\.c /);
      expect(rule.summary.length, rule.id).toBeGreaterThan(10);
      expect(CASES[rule.id], `no cases for ${rule.id}`).toBeDefined();
      expect(rule.severity === 'error', rule.id).toBe(rule.daemon.startsWith('refuses'));
    }
    expect(new Set(CONF_RULES.map((r) => r.id)).size).toBe(CONF_RULES.length);
    expect(Object.keys(CASES).filter((id) => !CONF_RULES.some((r) => r.id === id))).toEqual([]);
  });

  it('the README lists every rule with its reference (npx tsx main/services/host-config/generate-rules-readme.ts)', () => {
    const readme = readFileSync(README, 'utf8');
    expect(withRulesTable(readme)).toBe(readme);
  });

  it('every rule the daemon refuses carries a proof for the lab (tests/integration/host-config-rules.test.ts)', () => {
    for (const rule of CONF_RULES.filter(
      (r) => r.daemon.startsWith('refuses') && r.daemon !== 'refuses-on-use',
    ))
      expect(rule.proof, rule.id).toBeDefined();
  });
});

describe.each(CONF_RULES.map((rule) => [rule.id, rule] as const))('%s', (id, rule) => {
  const cases = CASES[id] as Case;
  const facts = { ...FACTS, ...(id === 'daemon.polkit-available' ? {} : cases?.facts) };
  const ours = (text: string, f = facts) =>
    diagnose(text, rule.file, f, cases.daemon).filter((d) => d.rule === id);

  it.each(cases?.accepted ?? [])('accepts %s', (text) => {
    expect(ours(text)).toEqual([]);
  });

  it.each(cases?.refused ?? [])('flags %s', (text) => {
    // daemon.polkit-available: the same values on a host without polkit.
    const found = ours(text, id === 'daemon.polkit-available' ? { ...facts, polkit: false } : facts);
    expect(found.length, text).toBeGreaterThan(0);
    expect(found[0]?.reference).toBe(`libvirt 9.0 ${rule.ref}`);
    expect(found[0]?.line).toBeGreaterThan(0);
  });
});

describe("severity and messages in the daemon's words", () => {
  const one = (text: string, file: 'qemu' | 'daemon' = 'qemu', facts = FACTS) =>
    diagnose(text, file, facts).filter((d) => d.rule);

  it("errors carry libvirt's own message and what the daemon would do", () => {
    expect(one(Q('user = "no-such-user"'))).toEqual([
      expect.objectContaining({
        severity: 'error',
        key: 'user',
        line: 1,
        rule: 'qemu.user-exists',
        message: "Failed to parse user 'no-such-user': no such user on this host (libvirtd would not start)",
      }),
    ]);
    expect(one(Q('migration_port_min = 50000'))[0]?.message).toBe(
      '/etc/libvirt/qemu.conf: migration_port_max: port must be between the minimal port 50000 and 65535 (migration_port_max is not set: 49215) (libvirtd would not start)',
    );
    expect(one(Q('capability_filters = [ "capname" ]'))[0]?.message).toBe(
      "invalid capability_filters capability 'capname': no guest would start",
    );
  });

  it('legal but almost surely wrong values are warnings', () => {
    expect(one(Q('vnc_password = "123456789"'))[0]?.severity).toBe('warning');
    expect(
      one(Q('nvram = [ "/usr/share/AAVMF/AAVMF_CODE.fd:/usr/share/AAVMF/AAVMF_VARS.fd" ]'))[0]?.severity,
    ).toBe('warning');
    expect(one(Q('unix_sock_ro_perms = "07777"'), 'daemon')[0]?.severity).toBe('warning');
    expect(one(Q('unix_sock_dir = "/run/elsewhere"'), 'daemon')[0]?.severity).toBe('warning');
  });

  it('a value the daemon cannot read stops there: no follow-up rule reports on it', () => {
    expect(one(Q('max_clients = -1'), 'daemon').map((d) => d.rule)).toEqual(['daemon.type.uint']);
    expect(one(Q('migration_port_min = "1"')).map((d) => d.rule)).toEqual(['qemu.type.uint']);
  });

  it('libvirt reads the first assignment of a key', () => {
    expect(one(Q('user = "root"', 'user = "no-such-user"'))).toEqual([]);
    expect(one(Q('user = "no-such-user"', 'user = "root"'))[0]?.line).toBe(1);
  });

  it('host-dependent rules are skipped without host facts; the others still run', () => {
    const text = Q('user = "no-such-user"', 'vnc_tls = 1', 'stdio_handler = "x"');
    expect(validateConf(parseConf(text), schemaFor('qemu')).map((d) => d.rule)).toEqual([
      'qemu.stdio-handler',
    ]);
  });

  it('an unknown name in capability_filters only warns on a libvirt other than 9.0', () => {
    expect(
      one(Q('capability_filters = [ "new-cap" ]'), 'qemu', { ...FACTS, libvirtVersion: '11.3.0' })[0]
        ?.severity,
    ).toBe('warning');
  });

  it('virtqemud does not read the network keys; the lens for libvirtd.conf would accept them', () => {
    const found = diagnose(Q('listen_tcp = 1'), 'daemon', FACTS, 'virtqemud').filter((d) => d.rule);
    expect(found.map((d) => [d.rule, d.severity])).toEqual([['daemon.ignored-keys', 'warning']]);
  });

  it('the shipped files are clean on a typical host', () => {
    expect(diagnose(readFixture('qemu.conf'), 'qemu', FACTS)).toEqual([]);
    expect(diagnose(readFixture('libvirtd.conf'), 'daemon', FACTS)).toEqual([]);
  });
});

describe('helpers restating libvirt', () => {
  it('virStrToLong: strtol/strtoul with nothing after the digits', () => {
    expect(virStrToLong('0770', 8, false)).toBe(0o770n);
    expect(virStrToLong(' 0770', 8, false)).toBe(0o770n);
    expect(virStrToLong('0770 ', 8, false)).toBeNull();
    expect(virStrToLong('0778', 8, false)).toBeNull();
    expect(virStrToLong('', 8, false)).toBeNull();
    expect(virStrToLong('-1', 10, true)).toBe(4294967295n);
    expect(virStrToLong('4294967296', 10, true)).toBeNull();
    expect(virStrToLong('-0', 10, true)).toBe(0n);
  });

  it('virUUIDParse and virConfParseLong', () => {
    expect(parseUuid('6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5b')).toHaveLength(16);
    expect(parseUuid('6f 4f3c0a2b7e4c5e9a5b0c1d2e3f4a5b  ')).toHaveLength(16);
    expect(parseUuid('6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5')).toBeNull();
    expect(parseUuid('6f4f3c0a-2b7e-4c5e-9a5b-0c1d2e3f4a5b0')).toBeNull();
    expect(inetAton('127.1')).toEqual([127, 0, 0, 1]);
    expect(inetAton('0x7f000001')).toEqual([127, 0, 0, 1]);
    expect(inetAton('256.0.0.1')).toBeNull();
    const n = (text: string) => confNumber({ type: 'int', value: Number(text), text });
    expect(n('-0')).toEqual({ signed: true, l: 0n, overflow: false });
    expect(n('18446744073709551617')).toEqual({ signed: false, l: 1n, overflow: true });
    expect(n('9223372036854775808')?.l).toBe(-9223372036854775808n);
  });
});

describe('host facts', () => {
  it("asks only for what it does not know, and reads the script's answers", () => {
    const items = missingItems(null, { users: ['root', 'root'], paths: ['/a b'], hosts: ['x\ny'] });
    expect(items).toEqual(['u:root', 'p:/a b']);
    const facts = applyFactFrames(null, items, [
      { words: ['static', 'version', '9.0.0'] },
      { words: ['static', 'cmdline', '/usr/sbin/libvirtd', '-d', '--listen'] },
      { words: ['static', 'locks', 'lockd', 'sanlock'] },
      { words: ['static', 'schedcore', '-'] },
      { words: ['fact', '0', '1'] },
      { words: ['fact', '1', 'dir', '1', 'ext2/ext3', '4096'] },
    ]);
    expect(facts).toMatchObject({
      libvirtVersion: '9.0.0',
      commandLine: '/usr/sbin/libvirtd -d --listen',
      lockDrivers: ['lockd', 'sanlock'],
      schedCore: null,
      users: { root: true },
      paths: { '/a b': { type: 'dir', executable: true, fs: 'ext2/ext3' } },
    });
    expect(missingItems(facts, { users: ['root', 'nobody'], paths: ['/a b'] })).toEqual(['u:nobody']);
  });

  it("the facts script runs in this machine's sh (POSIX sh, getent, stat)", () => {
    const tmp = mkdtempSync(join(tmpdir(), 'virtdeck-facts-'));
    try {
      mkdirSync(join(tmp, 'd'));
      writeFileSync(join(tmp, 'f'), 'x');
      const items = [
        'u:root',
        'u:no-such-user-virtdeck',
        'g:root',
        'p:' + join(tmp, 'd'),
        'p:' + join(tmp, 'f'),
        'p:' + join(tmp, 'nope'),
        'c:sh',
        'c:no-such-program-virtdeck',
        'u:-rf',
      ];
      const result = spawnSync('sh', ['-c', FACTS_SCRIPT, 'virtdeck', 'libvirtd', 'static', ...items]);
      expect(result.status, result.stderr.toString()).toBe(0);
      const facts = applyFactFrames(null, items, parseFrames(result.stdout));
      expect(facts.users).toEqual({ root: true, 'no-such-user-virtdeck': false, '-rf': false });
      expect(facts.groups).toEqual({ root: true });
      expect(facts.paths[join(tmp, 'd')]?.type).toBe('dir');
      expect(facts.paths[join(tmp, 'f')]).toMatchObject({ type: 'file', size: 1, executable: false });
      expect(facts.paths[join(tmp, 'nope')]?.type).toBe('missing');
      expect(facts.commands).toEqual({ sh: true, 'no-such-program-virtdeck': false });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

function readFixture(name: string): string {
  return readFileSync(join(__dirname, '../../fixtures/host-config', name), 'utf8');
}
