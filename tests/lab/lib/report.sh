# shellcheck shell=bash disable=SC2153  # STATE etc. come from lib/common.sh
# lab.json (the contract with the test suites), the connection summary and 'status'.

host_key_line() { cut -d' ' -f1-2 "$HOST_KEY.pub"; }
# Exactly as `ssh-keygen -lf` prints it: SHA256:<unpadded base64>.
host_key_fingerprint() { ssh-keygen -lf "$HOST_KEY.pub" | awk '{ print $2 }'; }

# libvirt URI that reaches the lab's libvirtd through the lab sshd as $1, verifying the host key
# against the lab known_hosts. Uses libvirt's libssh transport: the plain qemu+ssh transport runs
# the ssh binary and ignores known_hosts= (only no_verify=1 works there, and that writes the key
# into ~/.ssh/known_hosts).
virsh_ssh_uri() {
  local user=$1
  printf 'qemu+libssh://%s@127.0.0.1:%s/system?keyfile=%s&known_hosts=%s&known_hosts_verify=normal&sshauth=privkey\n' \
    "$user" "$SSH_PORT" "$STATE/keys/id_$user" "$KNOWN_HOSTS"
}

virsh_plain_ssh_uri() {
  printf 'qemu+ssh://%s@127.0.0.1:%s/system?keyfile=%s&no_verify=1\n' "$1" "$SSH_PORT" "$STATE/keys/id_$1"
}

# One guest's lab.json entry (the "guests" and "agent" lists use the same shape).
guest_json() {
  local name=$1 graphics=$2 running=false
  [[ "$(dom_state "$name")" == running ]] && running=true
  printf '    { "name": %s, "running": %s, "graphics": "%s", "uuid": "%s", "memoryMiB": %s, "serialLog": %s }' \
    "$(json_str "$name")" "$running" "$graphics" "$(guest_uuid "$name")" "$GUEST_MEMORY_MIB" \
    "$(json_str "$(serial_log "$name")")"
}

write_lab_json() {
  local out="$STATE/lab.json" name graphics run first=1
  {
    printf '{\n'
    printf '  "stateDir": %s,\n' "$(json_str "$STATE")"
    printf '  "ssh": {\n'
    printf '    "host": "127.0.0.1",\n'
    printf '    "port": %s,\n' "$SSH_PORT"
    printf '    "hostKey": %s,\n' "$(json_str "$(host_key_line)")"
    printf '    "hostKeyFingerprint": %s,\n' "$(json_str "$(host_key_fingerprint)")"
    printf '    "knownHostsFile": %s\n' "$(json_str "$KNOWN_HOSTS")"
    printf '  },\n'
    printf '  "benchSsh": { "host": "127.0.0.1", "port": %s, "pidFile": %s, "log": %s },\n' "$BENCH_SSH_PORT" \
      "$(json_str "$BENCH_SSHD_PIDFILE")" "$(json_str "$STATE/logs/sshd-bench.log")"
    printf '  "accounts": {\n'
    printf '    "root": { "user": "root", "identityFile": %s, "libvirtSshUri": %s },\n' \
      "$(json_str "$STATE/keys/id_root")" "$(json_str "$(virsh_ssh_uri root)")"
    printf '    "operator": { "user": %s, "identityFile": %s, "sudoPasswordFile": %s, "groups": ["libvirt"], "libvirtSshUri": %s }\n' \
      "$(json_str "$OPERATOR_USER")" "$(json_str "$STATE/keys/id_$OPERATOR_USER")" \
      "$(json_str "$PASSWORD_FILE")" "$(json_str "$(virsh_ssh_uri "$OPERATOR_USER")")"
    printf '  },\n'
    printf '  "libvirtUri": %s,\n' "$(json_str "$LIBVIRT_URI")"
    printf '  "guestPrompt": %s,\n' "$(json_str "$GUEST_PROMPT")"
    printf '  "storagePool": { "name": %s, "path": %s },\n' "$(json_str "$LAB_POOL_NAME")" "$(json_str "$LAB_POOL_DIR")"
    printf '  "guestKernel": %s,\n' "$(json_str "$(cat "$STATE/guest/kernel.version" 2>/dev/null || echo unknown)")"
    printf '  "guests": [\n'
    while read -r name graphics run; do
      ((first)) || printf ',\n'
      first=0
      guest_json "$name" "$graphics"
    done < <(guest_plan)
    printf '\n  ]'
    # Guests with a real QEMU guest agent (vd-agent-N), apart from "guests" so its counts stay.
    if ((AGENT_GUESTS > 0)); then
      printf ',\n  "agent": [\n'
      first=1
      while read -r name graphics run; do
        ((first)) || printf ',\n'
        first=0
        guest_json "$name" "$graphics"
      done < <(agent_plan)
      printf '\n  ]'
    fi
    if hostb_enabled && hostb_holder >/dev/null; then
      printf ',\n'
      hostb_json
    fi
    printf '\n}\n'
  } >"$out.tmp"
  chmod 0644 "$out.tmp"
  if cmp -s "$out.tmp" "$out"; then
    rm -f "$out.tmp"
    log "lab.json unchanged ($out)"
  else
    mv -f "$out.tmp" "$out"
    log "wrote $out"
  fi
}

print_summary() {
  local name graphics run
  cat <<EOF

==================== VirtDeck test lab ====================
lab.json         $STATE/lab.json
ssh (root)       ssh -i $STATE/keys/id_root -o UserKnownHostsFile=$KNOWN_HOSTS -p $SSH_PORT root@127.0.0.1
ssh (operator)   ssh -i $STATE/keys/id_$OPERATOR_USER -o UserKnownHostsFile=$KNOWN_HOSTS -p $SSH_PORT $OPERATOR_USER@127.0.0.1
                 sudo password: $PASSWORD_FILE
host key         $(host_key_fingerprint) (ED25519)
virsh over ssh   virsh -c '$(virsh_ssh_uri root)' list --all
                 or (ssh binary, no host key check, adds the key to ~/.ssh/known_hosts):
                 virsh -c '$(virsh_plain_ssh_uri root)' list --all
local virsh      virsh -c $LIBVIRT_URI list --all
guests:
EOF
  local display
  while read -r name graphics run; do
    display=
    if ((run)); then display="$(virsh_ domdisplay "$name" 2>/dev/null || true)"; fi
    printf '  %-12s %-9s %-6s %s\n' "$name" "$(dom_state "$name")" "$graphics" "$display"
  done < <(all_guests_plan)
  printf '  serial console: virsh -c %s console vd-vnc-1   (prompt "%s"; Ctrl-] leaves)\n' "$LIBVIRT_URI" "$GUEST_PROMPT"
  if hostb_enabled; then
    cat <<EOF
host B           $HOSTB_HOSTNAME at $HOSTB_ADDR (host A is $HOSTB_ADDR_A from there), isolation $(hostb_isolation_state)
ssh (root)       ssh -i $STATE/keys/id_root -o UserKnownHostsFile=$HOSTB_KNOWN_HOSTS -p $HOSTB_SSH_PORT root@$HOSTB_ADDR
host key         $(ssh-keygen -lf "$HOSTB_HOST_KEY.pub" | awk '{ print $2 }') (ED25519)
virsh (local)    virsh -c '$HOSTB_LOCAL_URI' list --all
shared pool      $SHARED_POOL = $SHARED_DIR on both hosts
EOF
  fi
  printf '===========================================================\n\n'
}

cmd_status() {
  local ok=1 pid name graphics run state
  echo "state dir: $STATE $([[ -d "$STATE" ]] && echo '(present)' || echo '(missing)')"
  for name in virtlogd libvirtd; do
    if pid="$(pid_alive "/run/$name.pid" "$name")"; then
      echo "$name: running (pid $pid$([[ -f "$STATE/run/$name.started-by-lab" ]] && echo ', started by the lab'))"
    else
      echo "$name: not running"
      ok=0
    fi
  done
  if pid="$(pid_alive "$SSHD_PIDFILE" sshd)"; then
    echo "sshd: running (pid $pid) on 127.0.0.1:$SSH_PORT, host key $(host_key_fingerprint 2>/dev/null || echo '?')"
  else
    echo "sshd: not running"
    ok=0
  fi
  if libvirt_answers; then
    echo "guests:"
    while read -r name graphics run; do
      state="$(dom_state "$name")"
      printf '  %-12s %-10s (want %s, %s)\n' "$name" "${state:-undefined}" "$( ((run)) && echo running || echo 'shut off')" "$graphics"
      if ((run)); then [[ "$state" == running ]] || ok=0; else [[ "$state" == "shut off" ]] || ok=0; fi
    done < <(all_guests_plan)
    local others
    others="$(lab_domains | grep -vxF -f <(all_guests_plan | cut -d' ' -f1) || true)"
    [[ -z "$others" ]] || echo "other vd-* domains: $(tr '\n' ' ' <<<"$others")"
  else
    echo "libvirt: $LIBVIRT_URI does not answer"
    ok=0
  fi
  [[ -f "$STATE/lab.json" ]] && echo "lab.json: $STATE/lab.json" || echo "lab.json: missing"
  hostb_status || ok=0
  if ((ok)); then
    echo "status: UP"
  else
    echo "status: NOT (fully) UP - run: bash tests/lab/lab.sh up"
    return 1
  fi
}
