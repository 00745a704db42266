import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GrpcSchedulerClient, type Logger, SchedulerError } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

/** Certificates made at test time with openssl: a CA, a server cert for 127.0.0.1, a client cert. */
function makeCertificates(dir: string): Record<"ca" | "serverCert" | "serverKey" | "clientCert" | "clientKey" | "otherCa", Buffer> {
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  for (const ca of ["ca", "other-ca"]) {
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=k1s0 test ${ca}`, "-keyout", `${ca}.key`, "-out", `${ca}.pem`);
  }
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (const [name, ext] of [["server", ["-extfile", "server.ext"]], ["client", []]] as const) {
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=k1s0 ${name}`, "-keyout", `${name}.key`, "-out", `${name}.csr`);
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", `${name}.pem`, ...ext);
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    ca: read("ca.pem"),
    otherCa: read("other-ca.pem"),
    serverCert: read("server.pem"),
    serverKey: read("server.key"),
    clientCert: read("client.pem"),
    clientKey: read("client.key"),
  };
}

const job = { name: "secure", schedule: { type: "interval" as const, intervalMs: 60_000 }, payload: null };

describe("transport security and auth", () => {
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "k1s0-certs-"));
    certs = makeCertificates(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("talks TLS to an https:// server with a caller-supplied CA, and refuses an untrusted one", async () => {
    const server = await createTestServer({ clock: "manual", tls: { cert: certs.serverCert, key: certs.serverKey } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const trusted = new GrpcSchedulerClient(server.url, { tls: { ca: certs.ca }, retry: false });
    expect((await trusted.createJob(job)).status).toBe("pending");
    const untrusted = new GrpcSchedulerClient(server.url, { tls: { ca: certs.otherCa }, retry: false });
    await expect(untrusted.listJobs()).rejects.toMatchObject({ code: "SERVER_ERROR" });
    // No CA given: the system trust store does not know the test CA either.
    const system = new GrpcSchedulerClient(server.url, { retry: false });
    await expect(system.listJobs()).rejects.toBeInstanceOf(SchedulerError);
    await Promise.all([trusted.close(), untrusted.close(), system.close()]);
    await server.close();
  });

  it("does mutual TLS: a client certificate is required and checked", async () => {
    const server = await createTestServer({ clock: "manual", tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } });
    const withCert = new GrpcSchedulerClient(server.url, { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    expect(await withCert.listJobs()).toEqual([]);
    const withoutCert = new GrpcSchedulerClient(server.url, { tls: { ca: certs.ca }, retry: false });
    // A server that demands a client certificate and gets none: the credentials are at fault.
    const refused = (await withoutCert.listJobs().catch((e: unknown) => e)) as SchedulerError;
    expect(refused).toBeInstanceOf(SchedulerError);
    expect(refused.code).toBe("UNAUTHENTICATED");
    expect(refused.message).toMatch(/refused the TLS client certificate, or requires one/);
    // Half a key pair would connect without a certificate: refused when the client is made.
    for (const half of [{ cert: certs.clientCert }, { key: certs.clientKey }]) {
      expect(() => new GrpcSchedulerClient(server.url, { tls: { ca: certs.ca, ...half } })).toThrow(
        expect.objectContaining({ code: "INVALID_ARGUMENT", field: half.cert === undefined ? "options.tls.cert" : "options.tls.key" }),
      );
    }
    await Promise.all([withCert.close(), withoutCert.close()]);
    await server.close();
  });

  it("sends a bearer token; a missing or wrong one is UNAUTHENTICATED and never shown", async () => {
    const secret = "s3cr3t-token-value";
    const lines: string[] = [];
    const logger: Logger = { debug: (m, f) => void lines.push(m + JSON.stringify(f)), info: () => undefined, warn: () => undefined, error: () => undefined };
    const server = await createTestServer({ clock: "manual", auth: { token: secret }, logger });
    const good = new GrpcSchedulerClient(server.url, { token: secret, logger });
    expect((await good.createJob(job)).name).toBe("secure");
    let refreshed = 0;
    const fn = new GrpcSchedulerClient(server.url, { token: async () => (refreshed++, secret) });
    expect(await fn.listJobs()).toHaveLength(1);
    expect(refreshed).toBe(1);
    for (const token of [undefined, "wrong-token-value"]) {
      const client = new GrpcSchedulerClient(server.url, { ...(token === undefined ? {} : { token }), logger });
      const err = (await client.listJobs().catch((e: unknown) => e)) as SchedulerError;
      expect(err.code).toBe("UNAUTHENTICATED");
      expect(err.message).toMatch(/missing or invalid bearer token/);
      expect(`${err.message} ${String(err.cause)}`).not.toContain("wrong-token-value");
      await client.close();
    }
    expect(lines.join("\n")).not.toContain(secret);
    expect(lines.join("\n")).not.toContain("wrong-token-value");
    expect(() => new GrpcSchedulerClient(server.url, { token: "" })).toThrow(expect.objectContaining({ field: "options.token" }));
    await Promise.all([good.close(), fn.close()]);
    await server.close();
  });

  it("sends custom headers and rejects tls options on a cleartext URL", async () => {
    const seen: string[] = [];
    const server = await createTestServer({ clock: "manual" });
    const client = new GrpcSchedulerClient(server.url, {
      headers: { "x-tenant": "T-1" },
      interceptors: [(next) => async (req) => (seen.push(req.header.get("x-tenant") ?? ""), next(req))],
    });
    await client.listJobs();
    expect(seen).toEqual(["T-1"]);
    expect(() => new GrpcSchedulerClient(server.url, { tls: { ca: "x" } })).toThrow(expect.objectContaining({ field: "options.tls" }));
    await client.close();
    await server.close();
  });
});
