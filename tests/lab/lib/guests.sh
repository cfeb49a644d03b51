# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# The lab's libvirt guests (all named vd-*): define, start, wait for the shell prompt, self-test.

GUEST_MEMORY_MIB="${VIRTDECK_LAB_GUEST_MEMORY_MIB:-160}"
GUEST_DISK_SIZE="${VIRTDECK_LAB_GUEST_DISK_SIZE:-64M}"

# "name graphics should_run" lines for the guests 'up' manages.
guest_plan() {
  local i
  for ((i = 1; i <= VNC_GUESTS; i++)); do echo "vd-vnc-$i vnc 1"; done
  echo "vd-spice-1 spice 1"
  for ((i = 1; i <= OFF_GUESTS; i++)); do echo "vd-off-$i vnc 0"; done
}

# The guests with a real QEMU guest agent (vd-agent-N, running): initramfs-agent.gz, an
# org.qemu.guest_agent.0 channel and an ext4 disk on /data. Listed apart (lab.json "agent").
agent_plan() {
  local i
  for ((i = 1; i <= AGENT_GUESTS; i++)); do echo "vd-agent-$i vnc 1"; done
}

is_agent_guest() { [[ "$1" == vd-agent-* ]]; }

# Every guest 'up' manages.
all_guests_plan() {
  guest_plan
  agent_plan
}

# Stable UUID per name, so a changed template can be re-defined over the existing domain.
guest_uuid() {
  local h
  h="$(printf 'virtdeck-lab:%s' "$1" | sha256sum | cut -c1-32)"
  printf '%s-%s-4%s-a%s-%s\n' "${h:0:8}" "${h:8:4}" "${h:13:3}" "${h:17:3}" "${h:20:12}"
}

serial_log() { printf '%s/logs/%s.serial.log\n' "$STATE" "$1"; }

render_domain_xml() {
  local name=$1 graphics=$2 gxml emulator initrd=initramfs.gz channel=
  case "$graphics" in
  vnc) gxml="<graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>" ;;
  spice) gxml="<graphics type='spice' port='-1' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/><image compression='off'/></graphics>" ;;
  *) die "unknown graphics type $graphics" ;;
  esac
  emulator="$(command -v qemu-system-x86_64)"
  if is_agent_guest "$name"; then
    initrd=initramfs-agent.gz
    # The guest agent's virtio-serial channel (libvirt picks the host-side socket path).
    channel="/<input type='keyboard'/i\\    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
  fi
  sed -e "s|@NAME@|$name|g" \
    -e "s|@UUID@|$(guest_uuid "$name")|g" \
    -e "s|@MEMORY_MIB@|$GUEST_MEMORY_MIB|g" \
    -e "s|@KERNEL@|$STATE/guest/vmlinuz|g" \
    -e "s|@INITRD@|$STATE/guest/$initrd|g" \
    -e "s|@CMDLINE@|console=tty1 console=ttyS0 vd.name=$name|g" \
    -e "s|@EMULATOR@|$emulator|g" \
    -e "s|@DISK@|$STATE/disks/$name.qcow2|g" \
    -e "s|@SERIAL_LOG@|$(serial_log "$name")|g" \
    -e "s|@GRAPHICS@|$gxml|g" \
    ${channel:+-e "$channel"} \
    "$LAB_SRC/guest/domain.xml.in"
}

dom_state() { virsh_ domstate "$1" 2>/dev/null | head -n1 || true; }
dom_exists() { virsh_ dominfo "$1" >/dev/null 2>&1; }

ensure_disk() {
  local disk="$STATE/disks/$1.qcow2"
  mkdir -p "$STATE/disks"
  [[ -s "$disk" ]] && return 0
  if is_agent_guest "$1"; then
    # An ext4 file system on the whole disk (the guest mounts it on /data), made here with e2fsprogs.
    local raw="$STATE/disks/$1.raw.new"
    truncate -s "$GUEST_DISK_SIZE" "$raw"
    mkfs.ext4 -q -F -L vd-data "$raw" || die "mkfs.ext4 $raw failed"
    qemu-img convert -q -f raw -O qcow2 "$raw" "$disk" || die "qemu-img convert $raw failed"
    rm -f "$raw"
    return 0
  fi
  qemu-img create -q -f qcow2 "$disk" "$GUEST_DISK_SIZE" || die "qemu-img create $disk failed"
}

# Wait until each agent guest's QEMU guest agent answers a guest-ping (through libvirt).
wait_for_agents() {
  local deadline=$((SECONDS + BOOT_TIMEOUT)) name t0
  for name in "$@"; do
    t0="$(now)"
    until virsh_ qemu-agent-command "$name" '{"execute":"guest-ping"}' --timeout 3 >/dev/null 2>&1; do
      if ((SECONDS >= deadline)); then
        tail -n 15 "$(serial_log "$name")" >&2 2>/dev/null || true
        die "$name: the guest agent did not answer within ${BOOT_TIMEOUT}s (serial log: $(serial_log "$name"))"
      fi
      sleep 0.5
    done
    log "$name: guest agent answers (waited $(since "$t0")s)"
  done
}

# Define the domain if missing, or re-define it when the rendered XML changed since we last
# defined it (template or settings changed). XML edits made through libvirt are left alone.
ensure_defined() {
  local name=$1 graphics=$2 xml saved
  mkdir -p "$STATE/xml"
  saved="$STATE/xml/$name.xml"
  xml="$(render_domain_xml "$name" "$graphics")"
  ensure_disk "$name"
  if dom_exists "$name"; then
    if [[ -f "$saved" && "$(cat "$saved")" == "$xml" ]]; then
      return 0
    fi
    log "$name: definition changed, re-defining (applies at its next start)"
  else
    log "$name: defining ($graphics)"
  fi
  printf '%s\n' "$xml" >"$saved.new"
  virsh_ define "$saved.new" >/dev/null || die "virsh define $name failed (XML: $saved.new)"
  mv -f "$saved.new" "$saved"
  virsh_ autostart --disable "$name" >/dev/null 2>&1 || true
}

prompt_seen() {
  local log
  log="$(serial_log "$1")"
  [[ -f "$log" ]] && grep -qF "$GUEST_PROMPT" "$log"
}

ensure_running() {
  local name=$1 state
  state="$(dom_state "$name")"
  case "$state" in
  running) return 1 ;;
  paused)
    log "$name: paused, resuming"
    virsh_ resume "$name" >/dev/null || die "virsh resume $name failed"
    return 1
    ;;
  "shut off") ;;
  *)
    log "$name: state '$state', destroying before start"
    virsh_ destroy "$name" >/dev/null 2>&1 || true
    ;;
  esac
  log "$name: starting"
  local err
  err="$(virsh_ start "$name" 2>&1)" ||
    die "virsh start $name failed: $err (QEMU log: /var/log/libvirt/qemu/$name.log)"
  return 0
}

ensure_off() {
  local name=$1 state
  state="$(dom_state "$name")"
  [[ "$state" == "shut off" ]] && return 0
  log "$name: is '$state' but the lab wants it shut off; destroying"
  virsh_ destroy "$name" >/dev/null 2>&1 || true
}

# Wait until every named guest printed its shell prompt on the serial console (serial log).
wait_for_prompts() {
  local deadline=$((SECONDS + BOOT_TIMEOUT)) pending=("$@") still name
  while ((${#pending[@]} > 0)); do
    still=()
    for name in "${pending[@]}"; do
      if prompt_seen "$name"; then
        log "$name: shell prompt on ttyS0"
      else
        [[ "$(dom_state "$name")" == running ]] ||
          die "$name stopped while booting (state '$(dom_state "$name")'); serial log: $(serial_log "$name"), QEMU log: /var/log/libvirt/qemu/$name.log"
        still+=("$name")
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} == 0)) && break
    if ((SECONDS >= deadline)); then
      for name in "${pending[@]}"; do
        echo "---- last lines of $(serial_log "$name") ----" >&2
        tail -n 15 "$(serial_log "$name")" >&2 2>/dev/null || true
      done
      die "guests ${pending[*]} did not reach the '$GUEST_PROMPT' prompt within ${BOOT_TIMEOUT}s"
    fi
    sleep 0.5
  done
}

# Graphics must be reachable on 127.0.0.1: VNC must greet with "RFB ", SPICE must accept TCP.
verify_graphics() {
  local name=$1 graphics=$2 uri port banner
  uri="$(virsh_ domdisplay "$name" 2>/dev/null || true)"
  [[ "$uri" == "$graphics://127.0.0.1:"* ]] || die "$name: unexpected display URI '$uri' (want $graphics://127.0.0.1:PORT)"
  port="${uri##*:}"
  port="${port%%/*}"
  port="${port%%\?*}"
  [[ "$port" =~ ^[0-9]+$ ]] || die "$name: cannot parse the port of display URI '$uri'"
  if [[ "$graphics" == vnc ]]; then
    # vnc://HOST:N is a VNC display number (TCP port 5900+N); spice://HOST:PORT is the port.
    ((port < 5900)) && port=$((5900 + port))
    banner="$(timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port && head -c 4 <&3" 2>/dev/null || true)"
    [[ "$banner" == "RFB " ]] || die "$name: VNC on 127.0.0.1:$port did not greet with 'RFB ' (got '$banner')"
  else
    timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null ||
      die "$name: SPICE on 127.0.0.1:$port does not accept connections"
  fi
}

ensure_guests() {
  local name graphics run started=() running=() t0
  t0="$(now)"
  while read -r name graphics run; do
    ensure_defined "$name" "$graphics"
    if ((run)); then
      if ensure_running "$name"; then started+=("$name"); fi
      running+=("$name")
    else
      ensure_off "$name"
    fi
  done < <(all_guests_plan)
  wait_for_prompts "${running[@]}"
  ((${#started[@]} == 0)) || log "guests booted to the prompt ${started[*]} in $(since "$t0")s (since first start)"
  while read -r name graphics run; do
    ((run)) && verify_graphics "$name" "$graphics"
  done < <(all_guests_plan)
  log "graphics: VNC/SPICE reachable on 127.0.0.1"
  # shellcheck disable=SC2046  # guest names have no spaces
  wait_for_agents $(agent_plan | cut -d' ' -f1)
}

# All vd-* domains libvirt knows about (never touches anything else).
lab_domains() {
  virsh_ list --all --name 2>/dev/null | grep -E '^vd-' || true
}

destroy_lab_guests() {
  local name
  for name in $(virsh_ list --state-running --state-paused --name 2>/dev/null | grep -E '^vd-' || true); do
    log "$name: destroying"
    virsh_ destroy "$name" >/dev/null 2>&1 || warn "virsh destroy $name failed"
  done
}

undefine_lab_guests() {
  local name
  for name in $(lab_domains); do
    log "$name: undefining"
    virsh_ undefine "$name" >/dev/null 2>&1 || warn "virsh undefine $name failed"
  done
}

# Type into the guest's serial console (its pty) and expect the shell's answer in the serial log.
# $((6*7)) is expanded by the guest shell, so "<marker>-42" proves a shell really ran the command.
serial_console_check() {
  local name=$1 pty marker deadline
  pty="$(virsh_ ttyconsole "$name" 2>/dev/null || true)"
  [[ "$pty" == /dev/pts/* ]] || die "selftest: $name has no serial pty (virsh ttyconsole said '$pty')"
  marker="vd-selftest-$RANDOM$RANDOM"
  exec 8<>"$pty"
  # QEMU only reads a pty once it notices a client (it polls about once a second).
  sleep 1.2
  # shellcheck disable=SC2016  # expanded by the guest's shell, not here
  printf 'echo %s-$((6*7))\r' "$marker" >&8
  deadline=$((SECONDS + 20))
  until grep -q "$marker-42" "$(serial_log "$name")"; do
    if ((SECONDS >= deadline)); then
      exec 8>&-
      die "selftest: the shell on $name's serial console ($pty) did not answer"
    fi
    sleep 0.3
  done
  exec 8>&-
  log "selftest: serial console of $name answers ($pty)"
}

# ACPI self-test: boot a throwaway guest, press the (virtual) power button, expect 'shut off'.
acpi_selftest() {
  local name=vd-selftest t0 boot_s off_s deadline
  log "selftest: ACPI shutdown on throwaway guest $name"
  if dom_exists "$name"; then
    virsh_ destroy "$name" >/dev/null 2>&1 || true
    virsh_ undefine "$name" >/dev/null 2>&1 || true
  fi
  rm -f "$STATE/xml/$name.xml" "$STATE/disks/$name.qcow2"
  ensure_defined "$name" vnc
  t0="$(now)"
  ensure_running "$name" || true
  wait_for_prompts "$name"
  boot_s="$(since "$t0")"
  serial_console_check "$name"
  # busybox acpid only listens once rcS has run; the prompt appears after rcS, so we are ready.
  t0="$(now)"
  virsh_ shutdown --mode acpi "$name" >/dev/null || die "virsh shutdown --mode acpi $name failed"
  deadline=$((SECONDS + 60))
  until [[ "$(dom_state "$name")" == "shut off" ]]; do
    if ((SECONDS >= deadline)); then
      tail -n 15 "$(serial_log "$name")" >&2 || true
      virsh_ destroy "$name" >/dev/null 2>&1 || true
      die "selftest: $name did not power off within 60 s after an ACPI shutdown request"
    fi
    sleep 0.5
  done
  off_s="$(since "$t0")"
  grep -q 'ACPI power button pressed' "$(serial_log "$name")" ||
    die "selftest: $name shut off but the guest never saw the power button (serial log: $(serial_log "$name"))"
  virsh_ undefine "$name" >/dev/null || warn "virsh undefine $name failed"
  rm -f "$STATE/xml/$name.xml" "$STATE/disks/$name.qcow2"
  log "selftest: OK - boot to prompt ${boot_s}s, ACPI shutdown -> 'shut off' in ${off_s}s"
}
