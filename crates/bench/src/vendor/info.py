# TagoIO's Python SDK calling Account.info() in a loop; prints the
# nanoseconds the timed calls took. The URL comes from TAGOIO_API.
import sys
import time

from tagoio_sdk import Resources

token, calls, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
account = Resources({"token": token, "region": "env"}).account
for _ in range(warmup):
    assert account.info()["email"]
start = time.perf_counter_ns()
for _ in range(calls):
    account.info()
print(time.perf_counter_ns() - start)
