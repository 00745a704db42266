/**
 * Scenario from the design document: a report service registers its daily cron job when it
 * starts. Registration is idempotent (a restart must not create a second job): `ensureJob` with
 * a unique key per tenant.
 *
 *   npx tsx examples/report-service.ts              # against an embedded test server
 *   SCHEDULER_URL=http://localhost:8093 npx tsx examples/report-service.ts
 */
import { GrpcSchedulerClient, type Job, type SchedulerClient } from "@k1s0/scheduler-client";
import { createTestServer } from "@k1s0/scheduler-client/testing";

export const DAILY_REPORT = "daily-report";

export class ReportService {
  constructor(
    private readonly scheduler: SchedulerClient,
    private readonly tenantId: string,
  ) {}

  /**
   * Registers the daily report (02:00 Asia/Tokyo) under this tenant's key: created on the first
   * start, found unchanged on every later one, updated when this code changes it. Atomic on the
   * scheduler, so replicas starting at once still end with one job.
   */
  async start(): Promise<Job> {
    const { job } = await this.scheduler.ensureJob({
      key: `${DAILY_REPORT}/${this.tenantId}`,
      name: `${DAILY_REPORT}-${this.tenantId}`,
      schedule: { type: "cron", expression: "0 2 * * *", timezone: "Asia/Tokyo" },
      payload: { report_type: "daily", tenant_id: this.tenantId },
      maxRetries: 3,
      timeoutSecs: 300,
    });
    return job;
  }
}

export async function main(serverUrl = process.env.SCHEDULER_URL): Promise<Job[]> {
  const server = serverUrl === undefined ? await createTestServer() : undefined;
  const client = new GrpcSchedulerClient(serverUrl ?? (server?.url as string));
  try {
    const service = new ReportService(client, "TENANT-001");
    const first = await service.start();
    const afterRestart = await service.start(); // a restart finds the same job
    console.log(`daily report job ${first.id} (${first.status}), next run ${first.nextRunAt?.toISOString()}`);
    return [first, afterRestart];
  } finally {
    await client.close();
    await server?.close();
  }
}

if (require.main === module) void main();
