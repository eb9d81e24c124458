# apt_get ARGS...: apt-get that waits for another package manager instead of failing at once.
# A fresh cloud machine runs unattended upgrades at boot and holds dpkg's and apt's locks for minutes.
# apt waits for dpkg's lock itself (DPkg::Lock::Timeout) but not for the package lists' lock that
# `apt-get update` takes, so a refused lock is also retried here. Sourced by install.sh; needs $sudo_cmd.
APT_LOCK_WAIT="${APT_LOCK_WAIT:-900}"  # seconds to wait in all
APT_LOCK_POLL="${APT_LOCK_POLL:-5}"    # seconds between tries

apt_get() {
  local waited=0 status output
  while :; do
    status=0
    output=$(${sudo_cmd:-} apt-get -o DPkg::Lock::Timeout="$APT_LOCK_WAIT" "$@" 2>&1) || status=$?
    [ "$status" -ne 0 ] || return 0
    if [ "$waited" -lt "$APT_LOCK_WAIT" ] \
       && grep -qE "Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock" <<<"$output"; then
      [ "$waited" -gt 0 ] || echo "install.sh: another package manager holds apt's lock" \
        "(unattended upgrades on a fresh machine?): waiting up to ${APT_LOCK_WAIT} s" >&2
      sleep "$APT_LOCK_POLL"
      waited=$((waited + APT_LOCK_POLL))
      continue
    fi
    printf '%s\n' "$output" >&2
    return "$status"
  done
}
