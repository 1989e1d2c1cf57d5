"""A stand-in for one RustFS node's HTTPS port for the reconciler tests: the admin routes the reconciler uses, with
the request checks and response shapes of RustFS's handlers at 1.0.0-rc.3, and every other request (S3) passed to
a moto server.

Replayed from (rustfs/rustfs 1.0.0-rc.3):
- rustfs/src/admin/handlers/policies.rs: ``ListCannedPolicies`` (GET list-canned-policies: a JSON map name ->
  policy, the built-in DEFAULT_POLICIES included), ``AddCannedPolicy`` (PUT add-canned-policy?name=: name required,
  no whitespace; body through ``Policy::parse_config``; "policy version is required"; 200, empty body),
  ``RemoveCannedPolicy`` (DELETE remove-canned-policy?name=).
- rustfs/src/admin/handlers/service_account.rs: ``AddServiceAccount`` (PUT add-service-account: AddServiceAccountReq
  JSON, plain on the /rustfs/admin prefix (admin/utils.rs ``read_compatible_admin_body``); name/description
  validation of crates/madmin/src/user.rs; access key 3-128 and secret key 8-40 characters; the root access key
  refused; ``{"credentials": {...}}``), ``ListServiceAccount`` (GET list-service-accounts: ``{"accounts": [
  ServiceAccountInfo]}``), ``InfoServiceAccount`` (GET info-service-account?accessKey=: InfoServiceAccountResp in
  camelCase, the session policy as a pretty-printed JSON string, ``impliedPolicy`` when there is none),
  ``UpdateServiceAccount`` (POST update-service-account?accessKey=: 204), ``DeleteServiceAccount`` (DELETE
  delete-service-account?accessKey=: 200 on this prefix, ``delete_service_account_success_status``); an unknown
  access key is NoSuchResource (handlers/iam_error.rs).
- rustfs/src/admin/handlers/quota.rs: GET get-bucket-quota?bucket= (``compat_bucket_quota_response``: quota, size,
  rate, requests, quotatype; NoSuchBucket for a missing bucket), PUT quota/{bucket} (``{"quota", "quota_type"}``,
  HARD only), DELETE quota/{bucket}.
- Errors are s3s's XML (``<Error><Code>``) with the code's HTTP status. Every admin request must carry a SigV4
  signature of the root credentials (service s3), checked here with botocore's own canonicalisation.
- /health/ready answers 200 (or ``ready`` = False: 503, rustfs/src/server/health.rs).
"""

from __future__ import annotations

import json
import re
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "policies"))
from rustfs_model.rustfs_state import bucket_policy_problems, builtin_policies, policy_problems  # noqa: E402

STATUS = {"InvalidArgument": 400, "InvalidRequest": 400, "MalformedPolicy": 400, "NoSuchResource": 404,
          "NoSuchBucket": 404, "AccessDenied": 403, "SignatureDoesNotMatch": 403}
_SA_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
ADMIN = "/rustfs/admin/v3/"


class Reject(Exception):
    def __init__(self, code: str, message: str):
        self.code, self.message = code, message


class RustfsStub:
    def __init__(self, s3_endpoint: str, access_key: str, secret_key: str, region: str):
        self.s3_endpoint, self.region = s3_endpoint.rstrip("/"), region
        self.credentials = Credentials(access_key, secret_key)
        self.policies: dict[str, dict] = {name: {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::*"]}]} for name in builtin_policies()}
        self.accounts: dict[str, dict] = {}
        self.quotas: dict[str, int] = {}
        self.admin_calls: list[tuple[str, str]] = []  # (method, route) of every admin request
        self.s3_calls: list[tuple[str, str]] = []  # (method, path?query) of every S3 request passed to moto
        self.ready = True
        self.pause = None  # a test's hook, called before each admin request is served
        self.lock = threading.Lock()

    # -- the checks RustFS makes

    def check_signature(self, method: str, url: str, headers: dict, body: bytes) -> None:
        auth = headers.get("Authorization", "")
        m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$", auth)
        if not m or m[1] != self.credentials.access_key or m[3] != self.region:
            raise Reject("AccessDenied", "not signed with the root credentials for this region")
        signed = m[4].split(";")
        request = AWSRequest(method=method, url=url, data=body,
                             headers={k: v for k, v in headers.items() if k.lower() in signed})
        request.context["timestamp"] = headers["X-Amz-Date"]
        signer = S3SigV4Auth(self.credentials, "s3", self.region)
        canonical = signer.canonical_request(request)
        if signer.signature(signer.string_to_sign(request, canonical), request) != m[5]:
            raise Reject("SignatureDoesNotMatch", "the request signature does not match")

    def check_s3(self, method: str, url, body: bytes) -> None:
        """An S3 request RustFS refuses before moto would see it (a subclass adds its checks); default: a bucket
        policy RustFS's PutBucketPolicy would refuse (rustfs/src/app/bucket_usecase.rs ``execute_put_bucket_policy``:
        BucketPolicy parse and ``is_valid``; moto stores any JSON), or one naming another bucket (S3's rule); then
        an Allow to ``Principal: "*"`` while the bucket's public access block has BlockPublicPolicy on (AccessDenied,
        "Access Denied"; no public access block, RustFS's default, or the flag off: allowed)."""
        if method == "PUT" and "policy" in urllib.parse.parse_qs(url.query, keep_blank_values=True):
            bucket = url.path.strip("/").split("/")[0]
            try:
                policy = json.loads(body)
                problems = bucket_policy_problems(policy, bucket)
            except ValueError as e:
                raise Reject("InvalidArgument", f"parse policy failed {e}") from None
            if problems:
                raise Reject("MalformedPolicy", "; ".join(problems))
            anyone = lambda p: p == "*" or isinstance(p, dict) and "*" in (  # noqa: E731 (principal.rs is_match)
                p.get("AWS") if isinstance(p.get("AWS"), list) else [p.get("AWS")])
            if any(st.get("Effect") == "Allow" and anyone(st.get("Principal")) for st in policy.get("Statement", [])) \
                    and self.blocks_public_policy(bucket):
                raise Reject("AccessDenied", "Access Denied")

    def blocks_public_policy(self, bucket: str) -> bool:
        """The bucket's public access block (moto's) has BlockPublicPolicy on."""
        try:
            with urllib.request.urlopen(f"{self.s3_endpoint}/{bucket}?publicAccessBlock") as r:
                return b"<BlockPublicPolicy>true</BlockPublicPolicy>" in r.read().replace(b"True", b"true")
        except urllib.error.HTTPError:
            return False

    def answer_s3(self, method: str, url, body: bytes) -> tuple[int, bytes] | None:
        """An S3 request served here, not by moto (a subclass's: what moto stores unlike RustFS); default: none."""
        return None

    def bucket_exists(self, bucket: str) -> bool:
        try:
            urllib.request.urlopen(urllib.request.Request(f"{self.s3_endpoint}/{bucket}", method="HEAD"))
            return True
        except urllib.error.HTTPError:
            return False

    # -- the routes

    def admin(self, method: str, route: str, query: dict, body: bytes) -> tuple[int, bytes]:
        if self.pause:
            self.pause(method, route)
        with self.lock:
            self.admin_calls.append((method, route))
            return self._admin(method, route, query, body)

    def _admin(self, method: str, route: str, query: dict, body: bytes) -> tuple[int, bytes]:
        if (method, route) == ("GET", "list-canned-policies"):
            return 200, json.dumps(self.policies).encode()
        if (method, route) == ("PUT", "add-canned-policy"):
            name = query.get("name", "")
            if not name:
                raise Reject("InvalidArgument", "policy name is required")
            if re.search(r"\s", name):
                raise Reject("InvalidArgument", "policy name contains spaces")
            try:
                policy = json.loads(body)
            except ValueError:
                raise Reject("InvalidRequest", "invalid policy JSON") from None
            problems = [p for p in policy_problems(policy) if not p.startswith("Version")]
            if problems:
                raise Reject("InvalidRequest", problems[0])
            if not policy.get("Version"):
                raise Reject("InvalidArgument", "policy version is required")
            self.policies[name] = policy
            return 200, b""
        if (method, route) == ("DELETE", "remove-canned-policy"):
            self.policies.pop(query.get("name", ""), None)
            return 200, b""
        if (method, route) == ("GET", "list-service-accounts"):
            return 200, json.dumps({"accounts": [
                {"parentUser": a["parentUser"], "accountStatus": a["status"], "impliedPolicy": a["policy"] is None,
                 "accessKey": k, **({"name": a["name"]} if a["name"] else {}),
                 **({"description": a["description"]} if a["description"] else {}), "expiration": None}
                for k, a in self.accounts.items()]}).encode()
        if (method, route) == ("PUT", "add-service-account"):
            return self._add_account(json.loads(body))
        if route in ("info-service-account", "update-service-account", "delete-service-account"):
            key = query.get("accessKey", "")
            if not key:
                raise Reject("InvalidArgument", "access key is empty")
            if key not in self.accounts:
                raise Reject("NoSuchResource", f"service account '{key}' does not exist")
            account = self.accounts[key]
            if (method, route) == ("GET", "info-service-account"):
                return 200, json.dumps({
                    "parentUser": account["parentUser"], "accountStatus": account["status"],
                    "impliedPolicy": account["policy"] is None,
                    **({"policy": json.dumps(account["policy"], indent=2)} if account["policy"] else {}),
                    **({"name": account["name"]} if account["name"] else {}),
                    **({"description": account["description"]} if account["description"] else {})}).encode()
            if (method, route) == ("POST", "update-service-account"):
                return self._update_account(account, json.loads(body))
            if method == "DELETE":
                del self.accounts[key]
                return 200, b""
        m = re.match(r"^quota/([^/]+)$", route)
        if route == "get-bucket-quota" or m:
            bucket = urllib.parse.unquote(m[1]) if m else query.get("bucket", "")
            if not self.bucket_exists(bucket):
                raise Reject("NoSuchBucket", f"bucket not found: {bucket}")
            if method == "GET" and not m:
                size = self.quotas.get(bucket, 0)
                return 200, json.dumps({"quota": size, "size": size, "rate": 0, "requests": 0,
                                        **({"quotatype": "hard"} if size else {})}).encode()
            if method == "PUT" and m:
                request = json.loads(body) if body else {}
                if str(request.get("quota_type", "HARD")).upper() != "HARD":
                    raise Reject("InvalidArgument", "only HARD quotas are supported")
                quota = request.get("size") or request.get("quota") or 0
                self.quotas[bucket] = quota
                return 200, json.dumps({"bucket": bucket, "quota": quota or None, "size": 0,
                                        "quota_type": "HARD"}).encode()
            if method == "DELETE" and m:
                self.quotas.pop(bucket, None)
                return 200, b""
        raise Reject("InvalidRequest", f"no such admin route: {method} {route}")

    @staticmethod
    def _validate_account_fields(name, description) -> None:
        if name and (len(name) > 32 or not _SA_NAME.match(name)):
            raise Reject("InvalidRequest", "name must contain only ASCII letters, digits, underscores and hyphens "
                                           "and must start with a letter")
        if description and len(description.encode()) > 256:
            raise Reject("InvalidRequest", "description must be at most 256 bytes long")

    def _session_policy(self, policy):
        if isinstance(policy, str):
            policy = json.loads(policy)
        problems = policy_problems(policy) if policy is not None else []
        if problems:
            raise Reject("InvalidArgument", f"invalid service account policy: {problems[0]}")
        return policy

    def _add_account(self, req: dict) -> tuple[int, bytes]:
        key, secret = req.get("accessKey", ""), req.get("secretKey", "")
        if re.search(r"\s", key):
            raise Reject("InvalidRequest", "access key has spaces")
        self._validate_account_fields(req.get("name"), req.get("description"))
        policy = self._session_policy(req.get("policy"))
        if key == self.credentials.access_key:
            raise Reject("InvalidArgument", "can't create user with system access key")
        if not 3 <= len(key) <= 128:
            raise Reject("InvalidArgument", "access key length is invalid")
        if not 8 <= len(secret) <= 40:
            raise Reject("InvalidArgument", "secret key length is invalid")
        if key in self.accounts:
            raise Reject("InvalidArgument", "access key already exists")
        self.accounts[key] = {"secretKey": secret, "parentUser": self.credentials.access_key, "status": "on",
                              "policy": policy, "name": req.get("name"), "description": req.get("description")}
        return 200, json.dumps({"credentials": {"accessKey": key, "secretKey": secret}}).encode()

    def _update_account(self, account: dict, req: dict) -> tuple[int, bytes]:
        self._validate_account_fields(req.get("newName"), req.get("newDescription"))
        if "newPolicy" in req:
            account["policy"] = self._session_policy(req["newPolicy"])
        for field, key in (("newSecretKey", "secretKey"), ("newName", "name"), ("newDescription", "description")):
            if field in req:
                account[key] = req[field]
        if "newStatus" in req:  # crates/iam/src/manager.rs: enabled/on -> on, anything else -> off
            account["status"] = "on" if req["newStatus"] in ("on", "enabled") else "off"
        return 204, b""

    # -- the server

    def serve(self) -> tuple[ThreadingHTTPServer, str]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/health/ready":
                    return self._reply(200 if stub.ready else 503, b"")
                if not url.path.startswith(ADMIN):
                    try:
                        stub.check_s3(self.command, url, body)  # what RustFS refuses before its S3 storage layer
                        answer = stub.answer_s3(self.command, url, body)
                    except Reject as e:
                        return self._error(e)
                    if answer is not None:
                        return self._reply(*answer, "application/xml")
                    return self._proxy(body)
                query = dict(urllib.parse.parse_qsl(url.query))
                host = self.headers.get("Host")
                try:
                    stub.check_signature(self.command, f"http://{host}{self.path}", dict(self.headers), body)
                    status, data = stub.admin(self.command, url.path[len(ADMIN):], query, body)
                except Reject as e:
                    return self._error(e)
                self._reply(status, data)

            def _error(self, e: Reject):
                data = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{e.code}</Code>"
                        f"<Message>{e.message}</Message></Error>").encode()
                return self._reply(STATUS[e.code], data, "application/xml")

            def _proxy(self, body: bytes):
                stub.s3_calls.append((self.command, self.path))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                # urllib would otherwise send a body as a form, which moto's Flask app then parses away.
                headers.setdefault("Content-Type", "binary/octet-stream")
                req = urllib.request.Request(stub.s3_endpoint + self.path, data=body or None, headers=headers,
                                             method=self.command)
                try:
                    with urllib.request.urlopen(req) as r:
                        status, data, rh = r.status, r.read(), r.headers
                except urllib.error.HTTPError as e:
                    status, data, rh = e.code, e.read(), e.headers
                self.send_response(status)
                for k, v in rh.items():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _reply(self, status: int, data: bytes, content_type: str = "application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}"
