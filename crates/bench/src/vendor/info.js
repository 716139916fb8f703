// TagoIO's JavaScript SDK calling Account.info() in a loop; prints the
// nanoseconds the timed calls took. The URL comes from TAGOIO_API.
const { Resources } = require("@tago-io/sdk");

const [token, calls, warmup] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];

(async () => {
  const account = new Resources({ token, region: "env" }).account;
  for (let i = 0; i < warmup; i++) {
    if (!(await account.info()).email) throw new Error("no email in the answer");
  }
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await account.info();
  console.log(String(process.hrtime.bigint() - start));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
