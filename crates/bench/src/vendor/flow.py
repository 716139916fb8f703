# TagoIO's Python SDK through the network part's TagoIO flow: a login with
# an emailed PIN, a profile token with another, then Account.info(). The
# API's URL comes from TAGOIO_API, the PINs from the sandbox's admin API at
# SANDBOX_URL; the front's CA is trusted through REQUESTS_CA_BUNDLE.
import json
import os
import sys
import urllib.request

from tagoio_sdk import Resources
from tagoio_sdk.modules.Resources.Account import Account

email, password = sys.argv[1], sys.argv[2]
region = {"api": os.environ["TAGOIO_API"], "sse": os.environ["TAGOIO_API"] + "/events"}
outbox = f"{os.environ['SANDBOX_URL']}/_sandbox/outbox?provider=tagoio&limit=10000&to={email}"


def pin():
    with urllib.request.urlopen(outbox) as answer:
        return [m for m in json.load(answer) if m["kind"] == "pin"][-1]["secret"]


credentials = {"email": email, "password": password}
Account.requestLoginPINCode(credentials, "email", region)
login = Account.login({**credentials, "otp_type": "email", "pin_code": pin()}, region)
Account.requestLoginPINCode(credentials, "email", region)
request = {"profile_id": login["profiles"][0]["id"], **credentials, "name": "bench"}
token = Account.tokenCreate({**request, "otp_type": "email", "pin_code": pin()}, region)["token"]
assert Resources({"token": token, "region": region}).account.info()["email"] == email
