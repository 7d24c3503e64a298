#!/bin/sh
# SSH "on-prem" hosts in network namespaces for the executor_ssh scenario.
#   netns-hosts.sh up STATE_DIR     create namespaces mwopsC-h1..3 (10.200.7N.2) with an sshd each
#   netns-hosts.sh down STATE_DIR   stop those sshd processes and remove the namespaces
# Only the network is separate: the hosts share this machine's filesystem and kernel.
set -eu
action=$1
state=$2
hosts="1 2 3"

up() {
  mkdir -p "$state" /run/sshd
  [ -f "$state/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/id_ed25519"
  [ -f "$state/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$state/host_ed25519"
  for i in $hosts; do
    ns=mwopsC-h$i
    ip netns add "$ns"
    ip link add "mwopsC-v$i" type veth peer name eth0 netns "$ns"
    ip addr add "10.200.7$i.1/30" dev "mwopsC-v$i"
    ip link set "mwopsC-v$i" up
    ip netns exec "$ns" ip addr add "10.200.7$i.2/30" dev eth0
    ip netns exec "$ns" ip link set eth0 up
    ip netns exec "$ns" ip link set lo up
    cat > "$state/sshd_h$i.conf" <<CONF
ListenAddress 10.200.7$i.2
HostKey $state/host_ed25519
PidFile $state/sshd_h$i.pid
AuthorizedKeysFile $state/id_ed25519.pub
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
Subsystem sftp internal-sftp
CONF
    ip netns exec "$ns" /usr/sbin/sshd -f "$state/sshd_h$i.conf"
  done
}

down() {
  for i in $hosts; do
    ns=mwopsC-h$i
    if ip netns list | grep -qw "$ns"; then
      for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null || true; done
      sleep 0.2
      for pid in $(ip netns pids "$ns"); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
    ip link del "mwopsC-v$i" 2>/dev/null || true
  done
}

"$action"
