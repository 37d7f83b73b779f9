#!/bin/sh
# Makes ./certs/{ca.crt,ca.key,tls.crt,tls.key} for the manual-ca overlay with openssl:
# an ECDSA P-256 CA (10 years; kept if it exists) and a serving certificate (1 year) for the
# webhook Service. Re-run to renew the serving certificate; delete certs/ca.* to start over
# (then re-apply so the caBundle follows).
#   NAMESPACE=notary-pin-system SERVICE=notary-pin-webhook DAYS=365 ./gen-certs.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ns=${NAMESPACE:-notary-pin-system}
svc=${SERVICE:-notary-pin-webhook}
days=${DAYS:-365}
out="$here/certs"
mkdir -p "$out"
umask 077
cd "$out"
if [ ! -s ca.key ] || [ ! -s ca.crt ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca.ec.key
  openssl pkcs8 -topk8 -nocrypt -in ca.ec.key -out ca.key
  rm -f ca.ec.key
  openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=notary-pin-webhook-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.crt
  echo "made a new CA: $out/ca.crt"
fi
openssl ecparam -name prime256v1 -genkey -noout -out tls.ec.key
openssl pkcs8 -topk8 -nocrypt -in tls.ec.key -out tls.key.new
rm -f tls.ec.key
openssl req -new -key tls.key.new -subj "/CN=$svc.$ns.svc" -out tls.csr
cat > tls.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$svc.$ns.svc,DNS:$svc.$ns.svc.cluster.local,DNS:$svc.$ns,DNS:$svc
EXT
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" -sha256 \
  -extfile tls.ext -out tls.crt.new
rm -f tls.csr tls.ext
mv tls.key.new tls.key
mv tls.crt.new tls.crt
chmod 644 ca.crt tls.crt
openssl verify -CAfile ca.crt tls.crt
echo "serving certificate for $svc.$ns.svc: $out/tls.crt (valid $days days)"
