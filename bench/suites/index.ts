import type { BenchSuite } from "../lib/suite.js";
import { coldStartSuite } from "./cold-start.js";
import { cronSuite } from "./cron.js";
import { engineScaleSuite } from "./engine-scale.js";
import { kafkaSuite } from "./kafka.js";
import { listingSuite } from "./listing.js";
import { timerAccuracySuite } from "./timer-accuracy.js";
import { transportSuite } from "./transport.js";

/** Every suite, in the order `npm run bench` runs them. */
export const SUITES: readonly BenchSuite[] = [transportSuite, listingSuite, cronSuite, engineScaleSuite, timerAccuracySuite, kafkaSuite, coldStartSuite];
