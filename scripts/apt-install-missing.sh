# Sourced by the set-up scripts: apt_install_missing PACKAGE... installs those of the Debian
# packages that are not installed yet (one apt-get update first, and only then), or stops
# with the caller's die(). Needs the caller's log() and die().

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install_missing() {
  local missing=() p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  log "apt-get update"
  as_root apt-get update -qq >/dev/null
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed (Debian 12 bookworm main is needed)"
}
