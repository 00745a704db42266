import { create } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import {
  type UpdateJobRequest as UpdateJobRequestPb,
  UpdateJobRequestSchema,
} from "../../gen/k1s0/system/scheduler/v1/scheduler_service_pb.js";
import type { SpecChanges } from "../types/job-spec.js";
import { invalid } from "../validation/invalid.js";
import { overlapConverter } from "./enum-converters.js";
import { optionalTimestamp, overlapFromRequest, scheduleFromProto, scheduleToProto } from "./job-mapping.js";

/** The domain change of each `UpdateJobRequest.update_mask` path. */
const PATHS = {
  name: "name",
  schedule: "schedule",
  payload_json: "payloadJson",
  max_retries: "maxRetries",
  timeout_secs: "timeoutSecs",
  overlap: "overlap",
  start_at: "startAt",
  end_at: "endAt",
} as const satisfies Record<string, keyof SpecChanges>;

type MaskPath = keyof typeof PATHS;

/** Checked changes -> UpdateJobRequest: each change a field, named in the mask (field-mask semantics). */
export function changesToProto(jobId: string, c: SpecChanges): UpdateJobRequestPb {
  const paths = (Object.keys(PATHS) as MaskPath[]).filter((path) => c[PATHS[path]] !== undefined);
  return create(UpdateJobRequestSchema, {
    jobId,
    updateMask: { paths },
    name: c.name ?? "",
    ...(c.schedule === undefined ? {} : { schedule: scheduleToProto(c.schedule) }),
    payloadJson: c.payloadJson ?? "",
    maxRetries: c.maxRetries ?? 0,
    timeoutSecs: c.timeoutSecs ?? 0,
    overlap: c.overlap === undefined ? 0 : overlapConverter.toProto(c.overlap),
    startAt: optionalTimestamp(c.startAt ?? undefined),
    endAt: optionalTimestamp(c.endAt ?? undefined),
  });
}

/**
 * UpdateJobRequest -> the changes its mask names (not yet validated); a message field named and
 * left unset (`start_at`, `end_at`) clears it.
 * @throws `INVALID_ARGUMENT` naming `updateMask` for a path it does not know.
 */
export function changesFromProto(pb: UpdateJobRequestPb): SpecChanges {
  const c: SpecChanges = {};
  for (const path of pb.updateMask?.paths ?? []) {
    switch (path as MaskPath) {
      case "name":
        c.name = pb.name;
        break;
      case "schedule":
        c.schedule = scheduleFromProto(pb.schedule);
        break;
      case "payload_json":
        c.payloadJson = pb.payloadJson;
        break;
      case "max_retries":
        c.maxRetries = pb.maxRetries;
        break;
      case "timeout_secs":
        c.timeoutSecs = pb.timeoutSecs;
        break;
      case "overlap":
        c.overlap = overlapFromRequest(pb.overlap);
        break;
      case "start_at":
        c.startAt = pb.startAt === undefined ? null : new Date(timestampMs(pb.startAt));
        break;
      case "end_at":
        c.endAt = pb.endAt === undefined ? null : new Date(timestampMs(pb.endAt));
        break;
      default:
        throw invalid("INVALID_ARGUMENT", "updateMask", path, `must name fields among ${Object.keys(PATHS).join(", ")}`);
    }
  }
  return c;
}
