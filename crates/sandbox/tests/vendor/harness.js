// Shared by the JavaScript drivers: the sandbox's admin API over fetch and a
// tally of checked operations. The server's URL comes from SANDBOX_URL.
const URL = process.env.SANDBOX_URL;

async function admin(method, path, body) {
  const init = { method };
  // Every admin write must say it is JSON, even one without a body.
  if (method !== "GET") init.headers = { "content-type": "application/json" };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`${URL}/_sandbox/${path}`, init);
  if (!response.ok) throw new Error(`admin ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// The secret of the newest message of `kind` the fake sent to `to`.
async function latest(provider, to, kind) {
  const found = (await admin("GET", `outbox?provider=${provider}&to=${encodeURIComponent(to)}`)).filter(
    (m) => m.kind === kind,
  );
  if (!found.length) throw new Error(`no ${kind} message to ${to}`);
  return found[found.length - 1].secret;
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

// Counts operations; the first failure ends the script with its name.
class Run {
  constructor(sdk) {
    this.sdk = sdk;
    this.passed = 0;
  }

  async check(name, operation) {
    let result;
    try {
      result = await operation();
    } catch (error) {
      console.error(error);
      console.error(`${this.sdk}: ${name} failed: ${error && error.message ? error.message : JSON.stringify(error)}`);
      process.exit(1);
    }
    this.passed += 1;
    console.log(`ok ${name}`);
    return result;
  }

  // Passes when `operation` is refused.
  async refused(name, operation) {
    return this.check(name, async () => {
      let answered;
      try {
        answered = await operation();
      } catch (error) {
        return error;
      }
      throw new Error(`expected a refusal, got ${JSON.stringify(answered)}`);
    });
  }

  done() {
    console.log(`${this.sdk}: ${this.passed} operations passed`);
  }
}

// Runs a driver's main function; any escaped error fails the script.
function main(body) {
  body().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}

module.exports = { URL, admin, latest, expect, Run, main };
