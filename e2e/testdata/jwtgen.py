#!/usr/bin/python3
"""Independent JWT maker for streamgate's tests.

Uses Debian's python3-jwt (PyJWT) and python3-cryptography only, so the
tokens the Go verifier checks are not made by the library it uses.

    jwtgen.py keys DIR     generate the keys below as PEM files in DIR and
                           print {"KID": PUBLIC_JWK, ...} (each JWK carries
                           kid, use "sig" and alg)
    jwtgen.py sign DIR     read a JSON list of token specs on stdin, print a
                           JSON list of tokens, one per spec

Keys (the kid is the key's name):
    rsa1, rsa2   RSA 2048 (RS256/384/512, PS256/384/512)
    ec1          EC P-256 (ES256)
    ed1          Ed25519 (EdDSA)

A spec: {"key": NAME, "alg": ALG, "kid": KID or null (no kid header;
default: NAME), "claims": {...}, "mode": MODE}. MODE:
    ""           sign normally
    "none"       alg "none", no signature
    "hs-pubkey"  HS256 with the RSA key's public PEM as the HMAC secret (the
                 algorithm-confusion forgery; built by hand because PyJWT
                 refuses such a secret)
    "tamper"     sign, then swap in a payload with "tampered": true and a
                 wider permission, keeping the signature
"""
import base64
import hashlib
import hmac
import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

KEYS = {"rsa1": "RS256", "rsa2": "RS256", "ec1": "ES256", "ed1": "EdDSA"}


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def generate(name):
    if name.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if name.startswith("ec"):
        return ec.generate_private_key(ec.SECP256R1())
    return ed25519.Ed25519PrivateKey.generate()


def load(directory, name):
    with open(os.path.join(directory, name + ".pem"), "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def public_jwk(name, key):
    pub = key.public_key()
    if name.startswith("rsa"):
        jwk = json.loads(RSAAlgorithm.to_jwk(pub))
    elif name.startswith("ec"):
        jwk = json.loads(ECAlgorithm.to_jwk(pub))
    else:
        jwk = json.loads(OKPAlgorithm.to_jwk(pub))
    jwk.update({"kid": name, "use": "sig", "alg": KEYS[name]})
    return jwk


def cmd_keys(directory):
    out = {}
    for name in KEYS:
        key = generate(name)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        with open(os.path.join(directory, name + ".pem"), "wb") as f:
            f.write(pem)
        out[name] = public_jwk(name, key)
    print(json.dumps(out))


def sign(directory, spec):
    name = spec["key"]
    alg = spec.get("alg") or KEYS[name]
    kid = spec.get("kid", name)
    claims = spec.get("claims", {})
    mode = spec.get("mode", "")
    key = load(directory, name)
    headers = {"kid": kid} if kid is not None else {}
    if mode == "none":
        head = dict(headers, alg="none", typ="JWT")
        return b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode()) + "."
    if mode == "hs-pubkey":
        secret = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        head = dict(headers, alg="HS256", typ="JWT")
        signing_input = b64(json.dumps(head).encode()) + "." + b64(json.dumps(claims).encode())
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + b64(mac)
    token = jwt.encode(claims, key, algorithm=alg, headers=headers or None)
    if mode == "tamper":
        head, _, sig = token.split(".")
        forged = dict(claims, tampered=True)
        forged["mediamtx_permissions"] = [{"action": "publish", "path": ""}, {"action": "api", "path": ""}]
        return head + "." + b64(json.dumps(forged).encode()) + "." + sig
    return token


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("keys", "sign"):
        sys.exit(__doc__)
    if sys.argv[1] == "keys":
        cmd_keys(sys.argv[2])
    else:
        specs = json.load(sys.stdin)
        print(json.dumps([sign(sys.argv[2], s) for s in specs]))


if __name__ == "__main__":
    main()
