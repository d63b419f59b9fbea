# shellcheck shell=bash
# Certificates and keys of the local control plane, made once with openssl.
# Sourced by control-plane.sh; expects $pki_dir to be set.
#
#   ca.{crt,key}         CA that signs everything below and verifies client certs
#   apiserver.{crt,key}  serving cert for 127.0.0.1, localhost, kubernetes.default.svc
#   admin.{crt,key}      client cert, O=system:masters (cluster-admin through RBAC)
#   sa.{key,pub}         service-account token signing key pair (RS256)

pki_days=3650

# Signs a CSR for key $1 with the CA; $2 is the subject, $3 the extension lines.
pki_sign() {
  local name=$1 subject=$2 extensions=$3
  openssl req -new -key "$pki_dir/$name.key" -subj "$subject" -out "$pki_dir/$name.csr" \
    2>/dev/null
  openssl x509 -req -in "$pki_dir/$name.csr" -CA "$pki_dir/ca.crt" -CAkey "$pki_dir/ca.key" \
    -CAcreateserial -days "$pki_days" -sha256 -out "$pki_dir/$name.crt" \
    -extfile <(printf '%s\n' "$extensions") 2>/dev/null
  rm -f "$pki_dir/$name.csr"
}

new_ec_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$pki_dir/$1.key"
}

# Creates whatever is missing; existing material is kept so kubeconfigs stay valid.
pki_ensure() {
  mkdir -p "$pki_dir"
  chmod 700 "$pki_dir"

  if [[ ! -f "$pki_dir/ca.crt" ]]; then
    new_ec_key ca
    openssl req -x509 -new -key "$pki_dir/ca.key" -subj "/CN=alignsync-local-ca" \
      -days "$pki_days" -sha256 -out "$pki_dir/ca.crt" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
    rm -f "$pki_dir"/{apiserver,admin}.crt
    echo "pki: created CA"
  fi

  if [[ ! -f "$pki_dir/apiserver.crt" ]]; then
    new_ec_key apiserver
    pki_sign apiserver "/CN=kube-apiserver" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,\
DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    echo "pki: created apiserver serving cert"
  fi

  if [[ ! -f "$pki_dir/admin.crt" ]]; then
    new_ec_key admin
    pki_sign admin "/O=system:masters/CN=alignsync-admin" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    echo "pki: created admin client cert"
  fi

  if [[ ! -f "$pki_dir/sa.key" ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki_dir/sa.key" \
      2>/dev/null
    openssl pkey -in "$pki_dir/sa.key" -pubout -out "$pki_dir/sa.pub"
    echo "pki: created service-account key pair"
  fi

  chmod 600 "$pki_dir"/*.key
}
