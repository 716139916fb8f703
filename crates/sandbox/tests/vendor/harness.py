"""Shared by the Python drivers: the sandbox's admin API over plain HTTP and
a tally of checked operations. The server's URL comes from SANDBOX_URL."""

import json
import os
import sys
import traceback
import urllib.request

URL = os.environ["SANDBOX_URL"]


def admin(method, path, body=None):
    """Calls `/_sandbox/<path>` and returns the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{URL}/_sandbox/{path}", data=data, method=method)
    # Every admin write must say it is JSON, even one without a body.
    if method != "GET":
        request.add_header("content-type", "application/json")
    with urllib.request.urlopen(request) as response:
        text = response.read()
    return json.loads(text) if text else None


def latest(provider, to, kind):
    """The secret of the newest message of `kind` the fake sent to `to`."""
    found = [m for m in admin("GET", f"outbox?provider={provider}&to={to}") if m["kind"] == kind]
    assert found, f"no {kind} message to {to}"
    return found[-1]["secret"]


class Run:
    """Counts operations; the first failure ends the script with its name."""

    def __init__(self, sdk):
        self.sdk = sdk
        self.passed = 0

    def check(self, name, operation):
        try:
            result = operation()
        except BaseException as error:  # noqa: BLE001 - any failure names its step
            traceback.print_exc()
            sys.exit(f"{self.sdk}: {name} failed: {error!r}")
        self.passed += 1
        print(f"ok {name}", flush=True)
        return result

    def refused(self, name, operation):
        """Passes when `operation` raises."""

        def attempt():
            try:
                answered = operation()
            except Exception as error:  # noqa: BLE001 - any refusal will do
                return error
            raise AssertionError(f"expected a refusal, got {answered!r}")

        return self.check(name, attempt)

    def done(self):
        print(f"{self.sdk}: {self.passed} operations passed", flush=True)


def expect(condition, message):
    if not condition:
        raise AssertionError(message)
