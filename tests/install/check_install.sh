#!/usr/bin/env bash
# `make install` (cmake --install) into a staging directory (DESTDIR): nexusd,
# its configuration, the systemd unit and its user are where the unit says,
# the unit passes `systemd-analyze verify` without a warning (when systemd is there) and the
# installed nexusd accepts the installed configuration.
#   check_install.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: check_install.sh BUILD_DIR}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
fail() { echo "install: FAILED $*"; exit 1; }

DESTDIR=$stage cmake --install "$build" >"$stage.log" 2>&1 || { cat "$stage.log"; fail "cmake --install"; }
rm -f "$stage.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
unit=$(find "$stage" -name nexusd.service -path '*systemd/system*' | head -1)
[[ -n $unit ]] || fail "no nexusd.service under lib/systemd/system"
exec_start=$(sed -n 's/^ExecStart=\([^ ]*\) --config \(.*\)$/\1 \2/p' "$unit")
binary=${exec_start%% *}
config=${exec_start#* }
[[ -x $stage$binary ]] || fail "ExecStart names $binary, not installed"
[[ -f $stage$config ]] || fail "ExecStart names $config, not installed"
[[ $binary == "$prefix"/* ]] || fail "$binary is not under the prefix $prefix"
find "$stage" -path '*sysusers.d/nexusd.conf' | grep -q . || fail "no sysusers.d/nexusd.conf"
for line in Type=notify "ExecReload=/bin/kill -HUP \$MAINPID" NoNewPrivileges=yes \
            ProtectSystem=strict User=nexus; do
  grep -qxF "$line" "$unit" || fail "$unit lacks $line"
done
"$stage$binary" --check-config "$stage$config" || fail "the installed nexusd rejects $config"
if command -v systemd-analyze >/dev/null 2>&1; then
  # Verified with the installed paths moved into the staging root, where the
  # programs exist. systemd-analyze reports a directive it cannot parse as a
  # warning with exit 0: any output fails the check.
  sed "s#$prefix/#$stage$prefix/#g" "$unit" > "$stage/nexusd.service"
  out=$(systemd-analyze verify "$stage/nexusd.service" 2>&1)
  rc=$?
  if grep -q -e "System has not been booted" -e "Failed to connect to bus" <<<"$out"; then
    echo "install: systemd-analyze verify skipped (no running systemd): $out"
  elif [[ $rc != 0 || -n $out ]]; then
    echo "$out"
    fail "systemd-analyze verify"
  fi
fi
echo "install: all checks passed ($binary, $config, $(basename "$unit"))"
